"""PDF reports: printed by Chromium from the HTML report, written atomically, refused safely."""

from __future__ import annotations

import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from secondop_stats.cli import main
from secondop_stats.query.checklist import checklist_items
from secondop_stats.reports import batch, pdf
from secondop_stats.reports.content import AUDIENCE_GUIDANCE, GUIDANCE_KINDS
from secondop_stats.reports.index import INDEX_NAME
from secondop_stats.reports.outputs import plan_outputs
from secondop_stats.reports.params import ReportParams, resolve

from .browser_support import chromium_path

pypdf = pytest.importorskip("pypdf")

MINIMAL = Path(__file__).parent / "fixtures" / "notebooks" / "minimal.ipynb"
PAGE = "<!DOCTYPE html><html><head><title>t</title></head><body><p>Hello 42%</p></body></html>"


def pdf_text(path: Path) -> tuple[int, str]:
    """Page count and the text of every page, ligatures undone and whitespace collapsed."""
    reader = pypdf.PdfReader(str(path))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), " ".join(unicodedata.normalize("NFKC", text).split())


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def fake_chromium(folder: Path, script: str) -> Path:
    """An executable standing in for Chromium, running ``script`` under /bin/sh."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fake-chromium"
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)
    return path


#: A stand-in that "prints" a tiny PDF to the --print-to-pdf= path.
WRITES_PDF = """for a in "$@"; do
  case "$a" in --print-to-pdf=*) printf '%%PDF-1.4 fake\\n' > "${a#--print-to-pdf=}";; esac
done
"""


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing where Chromium is looked for."""
    monkeypatch.delenv(pdf.CHROMIUM_ENV, raising=False)
    monkeypatch.setattr(pdf, "DEBIAN_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)


# --- a real report printed by Chromium --------------------------------------------------------


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """``secondop report -o heart.pdf`` beside a user's heart.html and an old heart.pdf."""
    chromium = chromium_path()
    root = tmp_path_factory.mktemp("pdf")
    out = root / "out"
    out.mkdir()
    (out / "heart.html").write_text("mine", encoding="utf-8")
    (out / "heart.pdf").write_bytes(b"an older file the user named")
    scratch = root / "scratch"
    scratch.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(pdf.CHROMIUM_ENV, chromium)
        mp.setattr(tempfile, "tempdir", str(scratch))
        start = time.perf_counter()
        code = main(
            ["report", "--condition", "heart", "--plan", "ppo", "-o", str(out / "heart.pdf")]
        )
        seconds = time.perf_counter() - start
    yield {"code": code, "out": out, "scratch": scratch, "seconds": seconds}


@pytest.mark.browser
@pytest.mark.notebook
def test_report_pdf_has_the_whole_report_as_text(printed, evidence) -> None:
    assert printed["code"] == 0
    path = printed["out"] / "heart.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    pages, text = pdf_text(path)
    assert pages >= 1
    params = resolve(ReportParams(condition="heart", plan="ppo"), evidence)
    assert flat(params.title) in text
    # every checklist group, the collapsed ones included, with its first item
    items = checklist_items(evidence.guidance, AUDIENCE_GUIDANCE["patients"], insured=True)
    assert "Checklist" in text
    for kind, group in items.groupby("kind", sort=False):
        assert flat(GUIDANCE_KINDS[kind]) in text, kind
        first = flat(group["text"].iloc[0])[:40]
        assert first in text, (kind, first)
    assert re.search(r"\d+(\.\d+)?\s?%", text)


@pytest.mark.browser
@pytest.mark.notebook
def test_report_pdf_pages_are_letter_and_nothing_else_is_written(printed) -> None:
    reader = pypdf.PdfReader(str(printed["out"] / "heart.pdf"))
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    # the named PDF was replaced; the user's HTML beside it is untouched; the executed notebook
    # is kept; no temporary file or folder is left
    out: Path = printed["out"]
    assert (out / "heart.html").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["heart.html", "heart.ipynb", "heart.pdf"]
    assert list(printed["scratch"].iterdir()) == []


@pytest.mark.browser
@pytest.mark.notebook
def test_reports_pdf_writes_a_pdf_beside_each_report_and_links_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(pdf.CHROMIUM_ENV, chromium_path())
    argv = ["reports", "--pdf", "--conditions", "heart", "--plans", "ppo"]
    assert main([*argv, "--output-dir", str(tmp_path), "--jobs", "1"]) == 0
    assert "1 built" in capsys.readouterr().out
    htmls = sorted(tmp_path.glob("*.html"))
    reports = [h for h in htmls if h.name != INDEX_NAME]
    assert len(reports) == 1
    report = reports[0]
    assert report.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    index = (tmp_path / INDEX_NAME).read_text(encoding="utf-8")
    assert f'<a href="{report.stem}.pdf">PDF</a>' in index
    assert f'<a href="{report.name}">' in index
    assert leftovers(tmp_path) == []


@pytest.mark.browser
@pytest.mark.notebook
def test_batch_prints_missing_pdfs_without_rebuilding_and_drops_stale_links(
    evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pdf.CHROMIUM_ENV, chromium_path())
    reports = [resolve(ReportParams(condition="cancer"), evidence)]
    html = tmp_path / f"{reports[0].slug}.html"

    def run(**kw: object) -> list[str]:
        results = batch.run_batch(
            reports, tmp_path, evidence=evidence, notebook=MINIMAL, jobs=1, progress=False, **kw
        )
        assert all(r.error is None for r in results), results
        return [r.status for r in results]

    def linked() -> bool:
        return "PDF</a>" in (tmp_path / INDEX_NAME).read_text(encoding="utf-8")

    assert run() == ["built"]  # without --pdf: no PDF, no link
    assert not html.with_suffix(".pdf").exists() and not linked()
    mtime = html.stat().st_mtime_ns
    assert run(pdf=True) == ["skipped"]  # the report is up to date: only its PDF is printed
    assert html.stat().st_mtime_ns == mtime
    assert html.with_suffix(".pdf").read_bytes().startswith(b"%PDF-") and linked()
    printed_at = html.with_suffix(".pdf").stat().st_mtime_ns
    assert run(pdf=True) == ["skipped"]  # both up to date: nothing printed
    assert html.with_suffix(".pdf").stat().st_mtime_ns == printed_at
    assert run() == ["skipped"] and linked()  # a run without --pdf keeps the current PDF's link
    assert run(force=True) == ["built"]  # a rebuilt report makes the old PDF stale: no link
    assert html.with_suffix(".pdf").exists() and not linked()


# --- Chromium missing or failing -------------------------------------------------------------


def test_missing_chromium_is_one_line_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_chromium: None,
) -> None:
    assert main(["report", "-o", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "Chromium not found" in err and "apt-get install chromium" in err
    assert list(tmp_path.iterdir()) == []
    # the same for a batch: refused before any report is built
    folder = tmp_path / "batch"
    argv = ["reports", "--pdf", "--conditions", "heart", "--plans", "ppo"]
    assert main([*argv, "--output-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install chromium" in err
    assert not folder.exists()


def test_a_wrong_chromium_setting_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    with pytest.raises(pdf.ChromiumMissing, match=f"{pdf.CHROMIUM_ENV}=.*no-such-chromium"):
        pdf.find_chromium()
    assert main(["report", "-o", str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-chromium" in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_chromium_is_found_in_the_usual_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_chromium: None
) -> None:
    with pytest.raises(pdf.ChromiumMissing, match="apt-get install chromium"):
        pdf.find_chromium()
    fake = fake_chromium(tmp_path, "exit 0\n")
    monkeypatch.setattr(pdf.shutil, "which", lambda name: str(fake) if name == "chromium" else None)
    assert pdf.find_chromium() == fake
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(fake))
    assert pdf.find_chromium() == fake


def test_a_failing_chromium_leaves_the_previous_pdf_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "page.pdf"
    target.write_bytes(b"%PDF- previous")
    fails = fake_chromium(tmp_path / "bin", "echo 'something broke' >&2\nexit 3\n")
    with pytest.raises(pdf.PdfError, match=r"exit status 3\): something broke"):
        pdf.print_pdf(page, target, chromium=fails)
    silent = fake_chromium(tmp_path / "bin2", "exit 0\n")  # succeeds but prints nothing
    with pytest.raises(pdf.PdfError, match="wrote no PDF"):
        pdf.print_pdf(page, target, chromium=silent)
    assert target.read_bytes() == b"%PDF- previous"
    assert leftovers(out) == []
    works = fake_chromium(tmp_path / "bin3", WRITES_PDF)
    assert pdf.print_pdf(page, target, chromium=works) == target.resolve()
    assert target.read_bytes() == b"%PDF-1.4 fake\n"
    assert leftovers(out) == []


def test_a_hanging_chromium_is_stopped_with_its_children(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    # a "browser" that never finishes, with a helper process of its own
    hangs = fake_chromium(
        tmp_path / "bin", "(while :; do sleep 1; done) &\nwhile :; do sleep 1; done\n"
    )
    start = time.monotonic()
    with pytest.raises(pdf.PdfError, match="did not finish printing within 2 s"):
        pdf.print_pdf(page, tmp_path / "page.pdf", chromium=hangs, timeout=2)
    assert time.monotonic() - start < 30
    time.sleep(0.5)
    alive = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(hangs) in " ".join(p.info["cmdline"] or [])
    ]
    assert alive == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "page.html"]


@pytest.mark.notebook
def test_a_failed_pdf_is_recorded_and_the_other_reports_go_on(
    evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PDF that cannot be printed leaves its report (HTML) linked, names the error in the
    index and on stderr, and makes the batch exit 1; the other reports and PDFs are written."""
    script = 'case "$*" in *heart*) echo "no paper" >&2; exit 2;; esac\n' + WRITES_PDF
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(fake_chromium(tmp_path / "bin", script)))
    out = tmp_path / "out"
    reports = [resolve(ReportParams(condition=c), evidence) for c in ("cancer", "heart")]
    monkeypatch.setattr("secondop_stats.reports.cli.default_set", lambda ev, **kw: reports)
    argv = ["reports", "--pdf", "--notebook", str(MINIMAL), "--output-dir", str(out), "-j", "2"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "2 built" in captured.out and "1 PDFs not written" in captured.out
    assert f"failed: {reports[1].slug}.pdf: PDF not written: " in captured.err
    assert "no paper" in captured.err
    cancer, heart = (out / f"{r.slug}.html" for r in reports)
    assert cancer.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert heart.is_file() and not heart.with_suffix(".pdf").exists()
    index = (out / INDEX_NAME).read_text(encoding="utf-8")
    assert f'<a href="{cancer.stem}.pdf">PDF</a>' in index
    assert f'<a href="{heart.name}">' in index and f'"{heart.stem}.pdf"' not in index
    assert "PDF not written" in index and "no paper" in index
    assert leftovers(out) == []


def test_without_pdf_the_batch_never_looks_for_chromium(
    evidence, tmp_path: Path, no_chromium: None
) -> None:
    """No --pdf, no Chromium needed: the index of a batch with nothing to do is still written."""
    results = batch.run_batch([], tmp_path, evidence=evidence, progress=False)
    assert results == [] and (tmp_path / INDEX_NAME).is_file()


# --- where a PDF may be written: the same rules as for HTML ----------------------------------


def test_pdf_output_plans_an_executed_notebook_beside_it(tmp_path: Path) -> None:
    plan = plan_outputs(tmp_path / "cancer.pdf")
    assert plan.format == "pdf"
    assert plan.output == (tmp_path / "cancer.pdf").resolve()
    assert plan.executed == (tmp_path / "cancer.ipynb").resolve()


def test_cli_keeps_a_users_notebook_beside_a_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "x.ipynb"
    mine.write_text('{"cells": [], "metadata": {"mine": true}}', encoding="utf-8")
    assert main(["report", "-o", str(tmp_path / "x.pdf")]) == 2
    assert "not written by secondop" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == '{"cells": [], "metadata": {"mine": true}}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ipynb"]
