"""Every CSV the project writes is spreadsheet-safe; ``secondop export`` gives the explorer's
downloads from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from secondop_stats.apps.exports import selection_csv
from secondop_stats.cli import main
from secondop_stats.csvsafe import BOM, safe_cell, to_csv
from secondop_stats.paths import evidence_dir


@pytest.mark.parametrize("text", ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text
    out = to_csv([{"a": text, "b": -3.5}], ["a", "b"])
    assert out.startswith(BOM)
    row = list(csv.reader(io.StringIO(out.removeprefix(BOM), newline="")))[1]
    assert row == ["'" + text, "-3.5"]  # numbers stay numbers


def test_explorer_download_is_safe_even_for_hostile_quotes() -> None:
    rows = [{"figure_id": "x", "quote": "=cmd|' /C calc'!A0", "finding": "@risk", "percent": 12.5}]
    text = selection_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))
    assert parsed[0]["quote"].startswith("'=") and parsed[0]["finding"] == "'@risk"
    assert parsed[0]["percent"] == "12.5"


def test_export_csv_matches_the_explorer_selection(tmp_path: Path) -> None:
    from secondop_stats.apps import build_explorer

    out = tmp_path / "lymphoma.csv"
    assert (
        main(
            [
                "export",
                "--format",
                "csv",
                "--metric",
                "diagnosis_changed",
                "--condition",
                "lymphoma",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith(BOM)
    exported = list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))
    explorer = build_explorer(state={"metric": "diagnosis_changed", "condition": "lymphoma"})
    assert [r["figure_id"] for r in exported] == list(explorer.table()["figure_id"])


def test_export_references(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    assert main(["export", "--format", "bibtex", "--metric", "stage_changed", "-o", str(bib)]) == 0
    text = bib.read_text(encoding="utf-8")
    assert text.count("@article{") >= 5 and "UNCONFIRMED" not in text
    js = tmp_path / "refs.json"
    assert main(["export", "--format", "csl-json", "--metric", "stage_changed", "-o", str(js)]) == 0
    items = json.loads(js.read_text(encoding="utf-8"))
    assert items and all(item["title"] for item in items)


def test_export_refuses_bad_values_and_places(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "csv", "--metric", "happiness"]) == 2
    assert "valid values" in capsys.readouterr().err
    target = evidence_dir() / "figures.csv"
    before = target.read_bytes()
    assert main(["export", "--format", "csv", "-o", str(target)]) == 2
    assert "inside the evidence folder" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert main(["export", "--format", "csv", "-o", str(tmp_path)]) == 2
