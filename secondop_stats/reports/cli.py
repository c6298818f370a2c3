"""The ``secondop report`` and ``secondop reports`` commands.

:func:`add_report_commands` adds both to the main parser. Parameters are checked against the
evidence before any kernel starts: an unknown value exits with status 2, lists the valid values
and writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..atomic import WriteFailed
from ..costs import PLANS
from ..errors import EvidenceError, ParameterError
from ..evidence import Evidence, load_evidence
from ..output_rule import Protected, output_folder
from ..paths import reports_dir
from .batch import (
    DEFAULT_AUDIENCE,
    DEFAULT_PLANS,
    BatchInterrupted,
    default_set,
    pdf_failed,
    run_batch,
)
from .build import build_report, default_notebook
from .guard import FolderBusy, interrupt_on_sigterm
from .outputs import OutputPlan, plan_outputs
from .params import ALL, AUDIENCES, GROUP_LABELS, ReportParams, resolve
from .pdf import CHROMIUM_ENV, PdfError, find_chromium, pdf_path, print_pdf

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_CONDITIONS = ", ".join(g for g in GROUP_LABELS if g != ALL)


def _load(path: str | None, command: str) -> Evidence | int:
    """The evidence (``--evidence``, else ``$SECONDOP_EVIDENCE``, else the shipped folder), or an
    exit status after printing why it cannot be loaded."""
    path = path or os.environ.get("SECONDOP_EVIDENCE") or None
    try:
        return load_evidence(Path(path) if path else None)
    except FileNotFoundError as exc:
        print(f"secondop {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EvidenceError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED


@contextlib.contextmanager
def _html_for(plan: OutputPlan) -> Iterator[Path]:
    """Where to build the HTML: the output itself, or for a PDF a file in a temporary folder
    that is removed afterwards (the PDF is printed from it)."""
    if plan.format != "pdf":
        yield plan.output
        return
    with tempfile.TemporaryDirectory(prefix="secondop-report-") as scratch:
        yield Path(scratch) / f"{plan.output.stem}.html"


def run_report(args: argparse.Namespace) -> int:
    """``secondop report``: validate, then build one report."""
    evidence = _load(args.evidence, "report")
    if isinstance(evidence, int):
        return evidence
    requested = ReportParams(
        condition=args.condition,
        plan=args.plan,
        year=args.year,
        providers=tuple(args.providers) if args.providers else None,
        title=args.title,
        audience=args.audience,
    )
    try:
        params = resolve(requested, evidence)
    except ParameterError as exc:
        print(f"secondop report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    output = args.output if args.output is not None else reports_dir() / f"{params.slug}.html"
    template = Path(args.notebook) if args.notebook else default_notebook()
    try:
        plan = plan_outputs(
            output,
            executed=Path(args.executed) if args.executed is not None else None,
            evidence_dir=evidence.path,
            template=template,
        )
    except ParameterError as exc:
        print(f"secondop report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not template.is_file():
        print(f"secondop report: error: no report template at {template}", file=sys.stderr)
        return EXIT_USAGE
    chromium = None
    if plan.format == "pdf":
        try:
            chromium = find_chromium()  # before any kernel starts
        except PdfError as exc:
            print(f"secondop report: cannot write PDF: {exc}", file=sys.stderr)
            return EXIT_FAILED
    plan.output.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    # SIGTERM stops a report as Ctrl-C does: its kernel, Chromium and temporary files go too
    with interrupt_on_sigterm(), _html_for(plan) as html:
        result = build_report(
            params,
            html,
            data_hash=evidence.data_hash,
            notebook=template,
            evidence_dir=evidence.path,
            executed=plan.executed,
        )
        if not result.ok:
            print(f"secondop report: failed: {result.error}", file=sys.stderr)
            if result.failed_notebook:
                print(f"  executed notebook kept at {result.failed_notebook}", file=sys.stderr)
            return EXIT_FAILED
        if chromium:
            try:
                print_pdf(html, plan.output, chromium=chromium)
            except PdfError as exc:
                print(f"secondop report: PDF not written: {exc}", file=sys.stderr)
                return EXIT_FAILED
    print(f"{plan.output} ({time.perf_counter() - start:.1f} s)")
    return EXIT_OK


def run_reports(args: argparse.Namespace) -> int:
    """``secondop reports``: build the default set in parallel, then the index."""
    evidence = _load(args.evidence, "reports")
    if isinstance(evidence, int):
        return evidence
    try:
        reports = default_set(evidence, conditions=args.conditions, plans=args.plans)
    except ParameterError as exc:
        print(f"secondop reports: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    template = Path(args.notebook) if args.notebook else default_notebook()
    try:
        folder = output_folder(
            reports_dir() if args.output_dir is None else args.output_dir,
            protected=Protected.of(evidence_dir=evidence.path, template=template),
        )
    except ParameterError as exc:
        print(f"secondop reports: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    start = time.perf_counter()
    try:
        results = run_batch(
            reports,
            folder,
            evidence=evidence,
            evidence_dir=evidence.path,
            notebook=Path(args.notebook) if args.notebook else None,
            jobs=args.jobs,
            force=args.force,
            pdf=args.pdf,
        )
    except (FolderBusy, ParameterError) as exc:
        for line in str(exc).splitlines():
            print(f"secondop reports: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except WriteFailed as exc:
        print(f"secondop reports: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except PdfError as exc:
        print(f"secondop reports: cannot write PDFs: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BatchInterrupted as stop:
        done = sum(r.status in ("built", "skipped") for r in stop.results)
        cancelled = sum(r.status == "cancelled" for r in stop.results)
        print(
            f"secondop reports: stopped; {done} reports ready, {cancelled} cancelled; "
            f"index: {folder.resolve() / 'index.html'}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    counts = {s: sum(r.status == s for r in results) for s in ("built", "skipped", "failed")}
    no_pdf = [r for r in results if pdf_failed(r)]
    pdfs = f", {len(no_pdf)} PDFs not written" if no_pdf else ""
    print(
        f"{len(results)} reports: {counts['built']} built, {counts['skipped']} up to date, "
        f"{counts['failed']} failed{pdfs} in {time.perf_counter() - start:.1f} s; "
        f"index: {folder.resolve() / 'index.html'}"
    )
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"failed: {r.html.name}: {r.error}", file=sys.stderr)
    for r in no_pdf:
        print(f"failed: {pdf_path(r.html).name}: {r.error}", file=sys.stderr)
    return EXIT_FAILED if failed or no_pdf else EXIT_OK


def positive_int(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--evidence",
        metavar="DIR",
        help="evidence folder (default: $SECONDOP_EVIDENCE, else the shipped evidence/)",
    )
    p.add_argument(
        "--notebook",
        metavar="FILE",
        help="report template notebook (default: notebooks/report.ipynb)",
    )


def add_report_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``reports`` to the ``secondop`` command's subparsers."""
    p = subparsers.add_parser(
        "report",
        help="build one report (HTML or PDF, and the executed notebook)",
        description="Execute the report notebook for one set of parameters and export it to "
        "self-contained HTML, or to PDF when the output ends in .pdf (the HTML printed by "
        f"headless Chromium: /usr/bin/chromium, chromium on the PATH, or ${CHROMIUM_ENV}; "
        "install it with apt-get install chromium), keeping the executed notebook beside it. "
        "Parameters are checked before anything runs; an unknown value is an error (exit 2) "
        "listing the valid ones.",
    )
    p.add_argument(
        "--condition", default=ALL, help=f"condition group: {_CONDITIONS}, or {ALL} (default)"
    )
    p.add_argument(
        "--plan",
        default="medicare_part_b",
        help=f"insurance plan: {', '.join(PLANS)} (default: medicare_part_b)",
    )
    p.add_argument(
        "--year",
        type=int,
        help="year of evidence/part_b_deductible.csv for the patient's share (default: latest)",
    )
    p.add_argument(
        "--providers",
        nargs="+",
        metavar="ID",
        help="provider_ids to compare (default: every provider with a price)",
    )
    p.add_argument("--title", help="report title (default: made from condition, plan and year)")
    p.add_argument(
        "--audience",
        default="patients",
        help=f"who reads it: {', '.join(AUDIENCES)} (default: patients)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="report file to write; its extension sets the format: .html, or .pdf (printed "
        "by Chromium) (default: reports/<condition>-<plan>-<year>-<audience>.html)",
    )
    p.add_argument(
        "--executed",
        metavar="FILE",
        help="where to keep the executed notebook (default: the output's name with .ipynb); "
        "an existing file is replaced only if secondop report wrote it",
    )
    _add_common(p)
    p.set_defaults(func=run_report)

    plans = ", ".join(DEFAULT_PLANS)
    p = subparsers.add_parser(
        "reports",
        help="build the default set of reports and an index, in parallel",
        description=(
            f"Build one report per condition group ({_CONDITIONS}) plus one for all "
            f"conditions, for each of the plans {plans}: the most common public plan, a common "
            "private plan and no insurance, each for the latest deductible year and for "
            f"{DEFAULT_AUDIENCE}. Reports are built in parallel with an index.html linking "
            "them. A report whose notebook, parameters, evidence data hash and package "
            "(version and code) are unchanged since its last build is skipped. Exits 1 and "
            "names the failures if any report (or, with --pdf, any PDF) fails; the others are "
            "still built."
        ),
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        metavar="N",
        help="parallel workers (default and maximum: the number of cores)",
    )
    p.add_argument("--force", action="store_true", help="rebuild even the unchanged reports")
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print each report to <name>.pdf beside its HTML, linked from the index "
        f"(needs Chromium: apt-get install chromium, or ${CHROMIUM_ENV} naming it)",
    )
    p.add_argument(
        "--conditions",
        nargs="+",
        metavar="C",
        help="build only these condition groups (or all) instead of every one",
    )
    p.add_argument("--plans", nargs="+", metavar="P", help=f"plans to build for (default: {plans})")
    p.add_argument(
        "--output-dir", metavar="DIR", help="folder for reports and index (default: reports/)"
    )
    _add_common(p)
    p.set_defaults(func=run_reports)
