"""Output paths of ``secondop report``: checked before any kernel starts; nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secondop_stats import ParameterError
from secondop_stats.cli import main
from secondop_stats.paths import evidence_dir
from secondop_stats.reports.build import default_notebook, mark_notebook
from secondop_stats.reports.outputs import plan_outputs, written_by_us


def test_executed_notebook_is_derived_from_the_output(tmp_path: Path) -> None:
    plan = plan_outputs(tmp_path / "cancer.html")
    assert plan.format == "html"
    assert plan.executed == (tmp_path / "cancer.ipynb").resolve()


@pytest.mark.parametrize("name", ["out.docx", "out", "out.HTML.txt", "out.pdf.txt"])
def test_unknown_formats_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ParameterError, match=r"valid extensions: \.html, \.pdf"):
        plan_outputs(tmp_path / name)


@pytest.mark.parametrize("name", ["out.pdf", "OUT.PDF"])
def test_pdf_is_a_format(tmp_path: Path, name: str) -> None:
    plan = plan_outputs(tmp_path / name)
    assert plan.format == "pdf"
    assert plan.executed == (tmp_path / name).resolve().with_suffix(".ipynb")


def test_a_users_notebook_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "x.ipynb"
    mine.write_text('{"cells": [], "metadata": {}}', encoding="utf-8")
    with pytest.raises(ParameterError, match="not written by secondop"):
        plan_outputs(tmp_path / "x.html")
    # an executed notebook of an earlier run may be replaced
    mark_notebook(mine, {"parameters": {}})
    assert written_by_us(mine)
    assert plan_outputs(tmp_path / "x.html").executed == mine.resolve()
    # or the executed notebook can be named elsewhere
    other = plan_outputs(tmp_path / "y.html", executed=tmp_path / "run" / "y-run.ipynb")
    assert other.executed.name == "y-run.ipynb"


@pytest.mark.parametrize("suffix", [".html", ".pdf"])
def test_refuses_the_evidence_folder_the_template_and_folders(tmp_path: Path, suffix: str) -> None:
    ev = evidence_dir()
    with pytest.raises(ParameterError, match="inside the evidence folder"):
        plan_outputs(ev / f"figures{suffix}", evidence_dir=ev)
    with pytest.raises(ParameterError, match="inside the evidence folder"):
        plan_outputs(tmp_path / f"r{suffix}", executed=ev / "r.ipynb", evidence_dir=ev)
    template = default_notebook()
    with pytest.raises(ParameterError, match="the report template"):
        plan_outputs(tmp_path / f"r{suffix}", executed=template, template=template)
    (tmp_path / f"folder{suffix}").mkdir()
    with pytest.raises(ParameterError, match="is a folder"):
        plan_outputs(tmp_path / f"folder{suffix}")


@pytest.mark.parametrize("suffix", [".html", ".pdf"])
def test_symlinks_into_the_evidence_folder_are_followed(tmp_path: Path, suffix: str) -> None:
    ev = tmp_path / "evidence"
    ev.mkdir()
    link = tmp_path / "looks-harmless"
    link.symlink_to(ev, target_is_directory=True)
    with pytest.raises(ParameterError, match="inside the evidence folder"):
        plan_outputs(link / f"x{suffix}", evidence_dir=ev)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/out.docx"], "unknown format .docx"),
        (["-o", "{evidence}/figures.csv"], "unknown format .csv"),
        (["-o", "{evidence}/figures.html"], "inside the evidence folder"),
        (["-o", "{tmp}"], "valid extensions"),
        (["-o", "{evidence}/figures.pdf"], "inside the evidence folder"),
        (["-o", "{tmp}/x.pdf", "--executed", "{evidence}/x.ipynb"], "inside the evidence folder"),
        (["-o", "{tmp}/x.pdf", "--executed", "{tmp}/x.pdf"], "must end in .ipynb"),
    ],
)
def test_cli_refuses_before_any_kernel_starts(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    """Refused as usage errors (exit 2), for a PDF even before Chromium is looked for."""
    monkeypatch.setenv("SECONDOP_CHROMIUM", str(tmp_path / "no-chromium-here"))
    ev = evidence_dir()
    before = {p: p.stat().st_mtime_ns for p in ev.iterdir()}
    argv = ["report", *(a.format(tmp=tmp_path, evidence=ev) for a in args)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert {p: p.stat().st_mtime_ns for p in ev.iterdir()} == before
    assert not list(tmp_path.iterdir())


def test_cli_keeps_a_users_notebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "x.ipynb"
    mine.write_text(json.dumps({"cells": [], "metadata": {"mine": True}}), encoding="utf-8")
    assert main(["report", "-o", str(tmp_path / "x.html")]) == 2
    assert "not written by secondop" in capsys.readouterr().err
    assert json.loads(mine.read_text())["metadata"] == {"mine": True}
    assert not (tmp_path / "x.html").exists()
