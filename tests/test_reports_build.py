"""Building reports with small fixture notebooks: atomic output, failures, skipping, the index."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import pytest

from secondop_stats import load_evidence
from secondop_stats.reports import batch, cli
from secondop_stats.reports.build import build_report
from secondop_stats.reports.cli import add_report_commands
from secondop_stats.reports.index import INDEX_NAME
from secondop_stats.reports.params import ReportParams, resolve
from secondop_stats.reports.stamp import manifest_path

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
MINIMAL = FIXTURES / "minimal.ipynb"
FAILS = FIXTURES / "fails_midway.ipynb"
SLOW = FIXTURES / "slow.ipynb"


def params(evidence, **kw: object) -> ReportParams:
    return resolve(ReportParams(**kw), evidence)


def leftovers(folder: Path) -> list[str]:
    """Temporary files a build left behind."""
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def test_build_writes_html_notebook_and_manifest(evidence, tmp_path: Path) -> None:
    p = params(evidence, condition="cancer", title="Fixture <report>")
    result = build_report(p, tmp_path / "r.html", data_hash=evidence.data_hash, notebook=MINIMAL)
    assert result.status == "built", result.error
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<h1>Fixture &lt;report&gt;</h1>" in html
    assert "<title>Fixture &lt;report&gt;</title>" in html
    # outputs only: no code, no prompts, no parameter cells, no widget state, no script
    body = html.split("<body", 1)[1]
    for absent in (
        "jp-InputArea",
        "jp-InputPrompt",
        "In&nbsp;[",
        "display(HTML",
        "Out[",
        "injected-parameters",
        "parameters",
        "papermill",
        "highlight",
    ):
        assert absent not in body, absent
    for absent in ("application/vnd.jupyter.widget-state+json", "<script"):
        assert absent not in html, absent
    executed = json.loads((tmp_path / "r.ipynb").read_text(encoding="utf-8"))
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])
    manifest = json.loads(manifest_path(tmp_path / "r.html").read_text(encoding="utf-8"))
    assert manifest["data_hash"] == evidence.data_hash
    assert manifest["parameters"]["condition"] == "cancer"
    assert leftovers(tmp_path) == []


def test_same_inputs_give_the_same_bytes(evidence, tmp_path: Path) -> None:
    p = params(evidence, condition="heart", plan="ppo")
    for name in ("a", "b"):
        build_report(p, tmp_path / f"{name}.html", data_hash=evidence.data_hash, notebook=MINIMAL)
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_failure_mid_run_leaves_no_html(evidence, tmp_path: Path) -> None:
    p = params(evidence, condition="heart")
    result = build_report(p, tmp_path / "r.html", data_hash=evidence.data_hash, notebook=FAILS)
    assert result.status == "failed"
    assert "RuntimeError" in result.error and "deliberate failure for heart" in result.error
    assert not (tmp_path / "r.html").exists()
    assert not (tmp_path / "r.ipynb").exists()
    assert not manifest_path(tmp_path / "r.html").exists()
    assert result.failed_notebook == tmp_path / "r.failed.ipynb"
    assert result.failed_notebook.is_file()
    assert leftovers(tmp_path) == []


def test_failed_rebuild_keeps_the_previous_report(evidence, tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    ok = params(evidence, condition="cancer")
    build_report(ok, html, data_hash=evidence.data_hash, notebook=FAILS)
    before = html.read_bytes()
    result = build_report(
        replace(ok, condition="heart"), html, data_hash=evidence.data_hash, notebook=FAILS
    )
    assert result.status == "failed"
    assert html.read_bytes() == before


def test_cell_timeout_fails_the_report(evidence, tmp_path: Path) -> None:
    p = params(evidence)
    result = build_report(
        p, tmp_path / "r.html", data_hash=evidence.data_hash, notebook=SLOW, timeout=2
    )
    assert result.status == "failed"
    assert "timed out" in result.error.lower() or "timeout" in result.error.lower()
    assert not (tmp_path / "r.html").exists()
    assert leftovers(tmp_path) == []


def test_batch_goes_on_after_a_failure(evidence, tmp_path: Path) -> None:
    reports = [params(evidence, condition=c) for c in ("cancer", "heart", "neurology")]
    results = batch.run_batch(
        reports, tmp_path, evidence=evidence, notebook=FAILS, jobs=2, progress=False
    )
    assert [r.status for r in results] == ["built", "failed", "built"]
    assert "deliberate failure for heart" in results[1].error
    assert not results[1].html.exists()
    assert results[0].html.is_file() and results[2].html.is_file()
    index = (tmp_path / INDEX_NAME).read_text(encoding="utf-8")
    assert "FAILED: cell" in index and "deliberate failure for heart" in index
    assert f'href="{results[0].html.name}"' in index
    assert f'href="{results[1].html.name}"' not in index


def test_reports_command_exits_non_zero_and_names_failures(
    evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = [params(evidence, condition=c) for c in ("heart", "mixed")]
    monkeypatch.setattr(cli, "default_set", lambda ev, **kw: reports)
    parser = argparse.ArgumentParser(prog="secondop")
    add_report_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        ["reports", "--notebook", str(FAILS), "--output-dir", str(tmp_path), "--jobs", "1"]
    )
    assert args.func(args) == 1
    captured = capsys.readouterr()
    assert reports[0].slug in captured.err and "deliberate failure" in captured.err
    assert "1 built" in captured.out and "1 failed" in captured.out


def test_unchanged_reports_are_skipped(broken, tmp_path: Path) -> None:
    ev = load_evidence(broken.folder)
    reports = [params(ev, condition=c) for c in ("cancer", "heart")]

    def run(reports: list[ReportParams], ev=ev) -> list[str]:
        results = batch.run_batch(
            reports, tmp_path, evidence=ev, notebook=MINIMAL, jobs=1, progress=False
        )
        return [r.status for r in results]

    assert run(reports) == ["built", "built"]
    first = reports[0]
    mtime = (tmp_path / f"{first.slug}.html").stat().st_mtime_ns
    assert run(reports) == ["skipped", "skipped"]
    assert (tmp_path / f"{first.slug}.html").stat().st_mtime_ns == mtime
    # a changed parameter rebuilds that report only
    retitled = [replace(reports[0], title="Another title"), reports[1]]
    assert run(retitled) == ["built", "skipped"]
    # changed evidence (new data hash) rebuilds everything
    broken.set("conditions.csv", 0, "label", "All specialties, relabelled")
    changed = load_evidence(broken.folder)
    assert changed.data_hash != ev.data_hash
    assert run(retitled, changed) == ["built", "built"]
    # a missing report is rebuilt even with an unchanged manifest
    (tmp_path / f"{reports[1].slug}.html").unlink()
    assert run(retitled, changed) == ["skipped", "built"]
    # --force rebuilds
    results = batch.run_batch(
        retitled, tmp_path, evidence=changed, notebook=MINIMAL, jobs=1, force=True, progress=False
    )
    assert [r.status for r in results] == ["built", "built"]


def test_index_lists_every_report_with_its_parameters(evidence, tmp_path: Path) -> None:
    reports = [
        params(evidence, condition="cancer", plan="ppo"),
        params(evidence, condition="all", plan="self_pay", audience="payers", title="A & B"),
    ]
    batch.run_batch(reports, tmp_path, evidence=evidence, notebook=MINIMAL, jobs=1, progress=False)
    index = (tmp_path / INDEX_NAME).read_text(encoding="utf-8")
    for r in reports:
        assert f'<a href="{r.slug}.html">' in index
        assert f'<a href="{r.slug}.ipynb">' in index
    for text in (
        "Cancer",
        "PPO",
        "All conditions",
        "Self-pay (no insurance)",
        "payers",
        "A &amp; B",
        str(reports[0].year),
        evidence.data_hash,
        "2 reports",
    ):
        assert text in index, text
    assert index.count("built now") == 2
    assert "<script" not in index
