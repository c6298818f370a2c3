"""Every quote is verbatim: from the five articles, or from the curation notes that recorded it.

The articles are looked for at ``$SECONDOP_SOURCES`` or ``../shared/seeds``. Where they are
absent these checks are skipped with a reason that says so, except under ``CI=true``, where an
absent article is a failure (CI always has them beside the clone).
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from secondop_stats.paths import research_dir, seeds_dir
from secondop_stats.quotes import missing_quotes, normalise, occurs_in

QUOTED_TABLES = [
    ("figures", "figure_id", "quote"),
    ("providers", "provider_id", "quote"),
    ("coverage", "rule_id", "quote"),
]


def _absent(what: str, folder) -> None:
    message = (
        f"{what} not found at {folder}: set SECONDOP_SOURCES to the folder of the five source "
        "articles (or put them at ../shared/seeds) to run the verbatim-quote checks"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    folder = seeds_dir()
    if not folder.is_dir() or not any(folder.glob("*.txt")):
        _absent("the five source articles", folder)
    return {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.txt")}


@pytest.fixture(scope="module")
def research() -> list[str]:
    folder = research_dir()
    if not folder.is_dir():
        _absent("the curation notes", folder)
    return [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()]


def _with_source(evidence, table: str) -> pd.DataFrame:
    frame = getattr(evidence, table)
    sources = evidence.sources[["source_id", "kind", "file"]].rename(
        columns={"kind": "source_kind"}
    )
    return frame.merge(sources, on="source_id")


def test_the_five_articles_are_sources(evidence, seeds) -> None:
    files = set(evidence.sources.loc[evidence.sources["kind"] == "article", "file"])
    assert files == set(seeds)


@pytest.mark.parametrize(("table", "id_col", "quote_col"), QUOTED_TABLES)
def test_article_quotes_occur_in_their_article(evidence, seeds, table, id_col, quote_col) -> None:
    frame = _with_source(evidence, table)
    verbatim = frame[frame["quote_origin"] == "source_text"]
    assert (verbatim["source_kind"] == "article").all(), (
        "source_text quotes must cite one of the five articles (the only texts held here): "
        f"{list(verbatim.loc[verbatim['source_kind'] != 'article', id_col])}"
    )
    missing = [
        f"{row[id_col]} ({row['file']}): {row[quote_col]!r}"
        for _, row in verbatim.iterrows()
        if not occurs_in(row[quote_col], [seeds[row["file"]]])
    ]
    assert not missing, "quotes not found verbatim in their article:\n" + "\n".join(missing)


@pytest.mark.parametrize(("table", "id_col", "quote_col"), QUOTED_TABLES)
def test_research_quotes_occur_in_the_notes(evidence, research, table, id_col, quote_col) -> None:
    frame = getattr(evidence, table)
    noted = frame[frame["quote_origin"] == "research_notes"]
    missing = missing_quotes(noted, id_col, quote_col, research)
    assert not missing, f"{table}: quotes not found in shared/research: {missing}"


def test_guidance_is_verbatim(evidence, seeds) -> None:
    frame = _with_source(evidence, "guidance")
    assert (frame["source_kind"] == "article").all()
    missing = [
        f"{row['guidance_id']}: {row['text']!r}"
        for _, row in frame.iterrows()
        if not occurs_in(row["text"], [seeds[row["file"]]])
    ]
    assert not missing, "guidance items not found in their article:\n" + "\n".join(missing)


def test_headline_figures_are_present(evidence) -> None:
    fig = evidence.figure_table()
    meyer = fig[(fig["denominator"] == 6791) & (fig["source_kind"] == "article")]
    assert {14.8, 37.4} <= set(meyer["percent"])


def test_normalise_folds_marks_and_space() -> None:
    assert normalise("it’s  a\n“test”") == 'it\'s a "test"'
    assert not occurs_in("", ["anything"])
