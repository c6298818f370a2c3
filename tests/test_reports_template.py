"""End to end with the real template, notebooks/report.ipynb, on an edited copy of the evidence."""

from __future__ import annotations

import argparse
import re
import shutil

import pytest

from secondop_stats import __version__, load_evidence
from secondop_stats.paths import evidence_dir
from secondop_stats.reports.build import build_report, default_notebook
from secondop_stats.reports.cli import add_report_commands
from secondop_stats.reports.params import ReportParams, resolve
from tests.conftest import EvidenceCopy

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

SCRIPT = "<script>alert(1)</script>"
DATE_LINE = re.compile(rb'^<p class="so-generated">Generated [^<]*</p>\n', re.MULTILINE)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The overall report built twice from a copy of the evidence with a hostile provider name:
    once by ``secondop report``, once by build_report."""
    root = tmp_path_factory.mktemp("template")
    copy = EvidenceCopy(root / "evidence")
    shutil.copytree(evidence_dir(), copy.folder)
    row = copy.find("providers.csv", lambda r: r["price_low_usd"] not in ("", "0"))
    copy.set("providers.csv", row, "name", SCRIPT)
    evidence = load_evidence(copy.folder)

    parser = argparse.ArgumentParser(prog="secondop")
    add_report_commands(parser.add_subparsers(dest="command", required=True))
    first = root / "one" / "report.html"
    args = parser.parse_args(
        ["report", "--evidence", str(copy.folder), "--audience", "researchers", "-o", str(first)]
    )
    assert args.func(args) == 0

    params = resolve(ReportParams(audience="researchers"), evidence)
    second = root / "two" / "report.html"
    result = build_report(
        params, second, data_hash=evidence.data_hash, evidence_dir=copy.folder.resolve()
    )
    assert result.status == "built", result.error
    return {"first": first, "second": second, "evidence": evidence, "params": params}


def test_provider_name_shows_as_text(built) -> None:
    html = built["first"].read_text(encoding="utf-8")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


def test_html_has_outputs_only(built) -> None:
    html = built["first"].read_text(encoding="utf-8")
    body = html.split("<body", 1)[1]
    for absent in (
        "jp-InputArea",
        "jp-InputPrompt",
        "In&nbsp;[",
        "Out[",
        "content.prepare",
        "display(HTML",
        "Traceback",
        "Error",
    ):
        assert absent not in body, absent
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert "jupyter-widgets" not in html
    assert "https://cdnjs" not in html and "mathjax" not in html.lower()


def test_report_has_every_section(built) -> None:
    html = built["first"].read_text(encoding="utf-8")
    params = built["params"]
    assert f"<title>{params.title}</title>" in html
    for anchor in (
        "key-figures",
        "pooled",
        "costs",
        "coverage",
        "checklist",
        "references",
        "stamp",
    ):
        assert f'id="{anchor}"' in html, anchor
    assert "Diagnosis changed" in html and "Treatment changed" in html
    assert 'src="data:image/png;base64,' in html
    assert 'href="https://doi.org/' in html
    assert 'id="ref-1"' in html


def test_stamp_names_version_data_hash_parameters_and_date(built) -> None:
    html = built["first"].read_text(encoding="utf-8")
    assert __version__ in html
    assert built["evidence"].data_hash in html
    assert re.search(r'(&quot;|")audience(&quot;|"): (&quot;|")researchers', html)
    assert len(DATE_LINE.findall(built["first"].read_bytes())) == 1


def test_executed_notebook_is_kept_beside_the_html(built) -> None:
    for html in (built["first"], built["second"]):
        assert html.with_suffix(".ipynb").is_file()
        assert html.with_name("report.manifest.json").is_file()


def test_two_builds_differ_only_in_the_date_line(built) -> None:
    one, two = (DATE_LINE.sub(b"", built[k].read_bytes()) for k in ("first", "second"))
    assert one == two


def test_template_is_committed_without_outputs() -> None:
    import nbformat

    nb = nbformat.read(default_notebook(), as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb.cells
        if c.cell_type == "code"
    )
