"""Build many reports in parallel, skipping those whose inputs have not changed.

Each report runs in its own kernel; reports are spread over worker processes (at most one per
core) that each keep their papermill and nbconvert set-up for every report they build, and the
kernels share the results that depend only on the condition group (see :mod:`.cache`). With
``pdf`` each report is also printed to ``<name>.pdf`` beside its HTML by the same worker (see
:mod:`.pdf`). A failing report or PDF is recorded and the others go on. The index page is
written at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from ..atomic import WriteFailed, sweep_leftovers
from ..evidence import Evidence
from ..output_rule import OutputRefused, Protected, companion_output
from . import export
from .build import (
    CELL_TIMEOUT,
    BuildResult,
    build_report,
    default_notebook,
    kernel_environment,
    report_inputs,
)
from .cache import CACHE_ENV
from .guard import (
    FolderBusy,
    die_with_parent,
    folder_lock,
    interrupt_on_sigterm,
    kill_children,
    signals_blocked,
)
from .index import INDEX_NAME, write_index
from .outputs import foreign_files, page_is_ours
from .params import ReportParams, resolve, valid_values
from .pdf import PdfError, current_pdf, find_chromium, pdf_path, print_pdf
from .stamp import is_up_to_date, record_pdf

#: Plans in the default set: the most common public plan, a common private one, and no insurance.
DEFAULT_PLANS = ("medicare_part_b", "ppo", "self_pay")
DEFAULT_AUDIENCE = "patients"


def default_set(
    evidence: Evidence,
    *,
    conditions: Sequence[str] | None = None,
    plans: Sequence[str] | None = None,
) -> list[ReportParams]:
    """One report per condition group plus "all" (or ``conditions``), for each of ``plans``
    (default :data:`DEFAULT_PLANS`), latest year, for patients. Raises ParameterError for an
    unknown condition or plan."""
    conditions = conditions or valid_values(evidence)["condition"]
    return [
        resolve(ReportParams(condition=c, plan=p, audience=DEFAULT_AUDIENCE), evidence)
        for c in dict.fromkeys(conditions)
        for p in dict.fromkeys(plans or DEFAULT_PLANS)
    ]


#: How the error of a report whose HTML is good but whose PDF could not be printed begins.
PDF_FAILED = "PDF not written"


@dataclass(frozen=True)
class Job:
    """One report to build: everything a worker process needs, picklable.

    ``build`` False means the HTML is up to date and only its PDF is printed; ``chromium`` is
    the browser that prints the PDF, None for no PDF.
    """

    params: ReportParams
    html: Path
    data_hash: str
    notebook: Path
    evidence_dir: Path | None
    timeout: float
    build: bool = True
    chromium: Path | None = None


def run_job(job: Job) -> BuildResult:
    """Build one report (in a worker process), then print its PDF if asked.

    A PDF that cannot be printed leaves the report built (its HTML is good) with ``error``
    saying why there is no PDF.
    """
    if job.build:
        result = build_report(
            job.params,
            job.html,
            data_hash=job.data_hash,
            notebook=job.notebook,
            evidence_dir=job.evidence_dir,
            timeout=job.timeout,
        )
    else:
        result = BuildResult(job.params, job.html, "skipped")
    if job.chromium is None or not result.ok:
        return result
    try:
        pdf = print_pdf(result.html, pdf_path(result.html), chromium=job.chromium)
        record_pdf(result.html, pdf)
    except PdfError as exc:
        return replace(result, error=f"{PDF_FAILED}: {exc}")
    except WriteFailed as exc:  # e.g. no room left for the PDF
        return replace(result, error=f"{PDF_FAILED}: {exc}")
    except OSError as exc:
        return replace(result, error=f"{PDF_FAILED}: {describe(exc)}")
    return result


def pdf_failed(result: BuildResult) -> bool:
    """Whether ``result`` is a report built (or up to date) whose PDF could not be printed."""
    return result.ok and result.error is not None


def _init_worker() -> None:
    """Make the worker die with the batch, and set up the HTML exporter once, before its first
    report."""
    die_with_parent()
    export.html_exporter()


def worker_count(jobs: int | None, tasks: int) -> int:
    """Requested workers (None: one per core), capped at the number of cores and of tasks."""
    cores = os.cpu_count() or 1
    if jobs is not None and (isinstance(jobs, bool) or jobs < 1):
        raise ValueError(f"jobs must be 1 or more, not {jobs!r}")
    wanted = cores if jobs is None else jobs
    return max(1, min(wanted, cores, tasks))


def check_folder_files(
    reports: Sequence[ReportParams],
    output_dir: Path,
    *,
    pdf: bool,
    protected: Protected,
) -> None:
    """Refuse the batch before anything runs when its folder holds, under a name the batch
    would write, a file that secondop did not write (or a link): nothing of the user's is
    replaced. Raises :class:`OutputRefused` naming every such file."""
    problems = []
    try:
        companion_output(
            output_dir / INDEX_NAME,
            owned=page_is_ours,
            protected=protected,
            what="the index",
            hint="move it, or choose another --output-dir",
        )
    except OutputRefused as exc:
        problems.append(str(exc))
    for params in reports:
        problems += foreign_files(output_dir / f"{params.slug}.html", pdf=pdf, protected=protected)
    if problems:
        raise OutputRefused("\n".join(dict.fromkeys(problems)))


def run_batch(
    reports: Sequence[ReportParams],
    output_dir: Path,
    *,
    evidence: Evidence,
    evidence_dir: Path | None = None,
    notebook: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    progress: bool | None = None,
    timeout: float = CELL_TIMEOUT,
    pdf: bool = False,
) -> list[BuildResult]:
    """Build ``reports`` (already validated) into ``output_dir`` and write ``index.html``.

    Returns one result per report, in the order given. Reports whose manifest matches their
    inputs are skipped unless ``force``. ``progress`` None shows the bar on a terminal only.
    With ``pdf`` each report is also printed to ``<name>.pdf`` (an up-to-date report whose PDF
    is missing or older is printed again without rebuilding); Chromium is looked for first, and
    :class:`~secondop_stats.reports.pdf.ChromiumMissing` raised before anything is written.
    Files of the same names that secondop did not write are never replaced: the batch is
    refused first (:class:`~secondop_stats.output_rule.OutputRefused`). The folder is locked
    for the batch (a second batch raises :class:`FolderBusy`); temporary files a killed run left
    are removed first, by the exact names it recorded. Ctrl-C or SIGTERM cancels the queued
    reports, stops the running ones with their kernels, writes the index of what was built and
    raises :class:`BatchInterrupted`.
    """
    output_dir = Path(output_dir).resolve()
    worker_count(jobs, 1)  # refuse a meaningless --jobs before anything starts
    chromium = find_chromium() if pdf else None
    protected = Protected.of(
        evidence_dir=evidence_dir,
        template=Path(notebook or default_notebook()),
    )
    check_folder_files(reports, output_dir, pdf=pdf, protected=protected)
    with folder_lock(output_dir), interrupt_on_sigterm():
        sweep_leftovers()
        return _run_locked(
            reports,
            output_dir,
            evidence,
            evidence_dir,
            notebook,
            jobs,
            force,
            progress,
            timeout,
            chromium,
        )


class BatchInterrupted(KeyboardInterrupt):
    """The batch was stopped; ``results`` holds every report's outcome (cancelled ones too)."""

    def __init__(self, results: list[BuildResult]) -> None:
        super().__init__("batch interrupted")
        self.results = results


def _run_locked(
    reports: Sequence[ReportParams],
    output_dir: Path,
    evidence: Evidence,
    evidence_dir: Path | None,
    notebook: Path | None,
    jobs: int | None,
    force: bool,
    progress: bool | None,
    timeout: float,
    chromium: Path | None,
) -> list[BuildResult]:
    notebook = Path(notebook or default_notebook()).resolve()
    results: dict[int, BuildResult] = {}
    todo: list[tuple[int, Job]] = []
    for i, params in enumerate(reports):
        html = output_dir / f"{params.slug}.html"
        inputs = report_inputs(params, notebook, evidence.data_hash)
        fresh = not force and is_up_to_date(html, inputs)
        if fresh and (chromium is None or current_pdf(html)):
            results[i] = BuildResult(params, html, "skipped")
            continue
        job = Job(
            params,
            html,
            evidence.data_hash,
            notebook,
            evidence_dir,
            timeout,
            build=not fresh,
            chromium=chromium,
        )
        todo.append((i, job))
    # a report whose HTML was up to date stays listed as such if its PDF is not printed
    pdf_only = {i: BuildResult(job.params, job.html, "skipped") for i, job in todo if not job.build}

    todo = spread_by_condition(todo)
    disable = True if not todo else (None if progress is None else not progress)
    bar = tqdm(total=len(todo), desc="reports", unit="report", disable=disable)
    interrupted = False
    try:
        with bar, tempfile.TemporaryDirectory(prefix="secondop-batch-cache-") as cache:
            _run(todo, results, bar, worker_count(jobs, len(todo)), Path(cache))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        # No worker runs any more: what a stopped worker left half-written goes too.
        sweep_leftovers()
    ordered = [
        results.get(i)
        or pdf_only.get(i)
        or BuildResult(p, output_dir / f"{p.slug}.html", "cancelled")
        for i, p in enumerate(reports)
    ]
    write_index(ordered, output_dir, evidence=evidence)
    if interrupted:
        raise BatchInterrupted(ordered)
    return ordered


def spread_by_condition(todo: list[tuple[int, Job]]) -> list[tuple[int, Job]]:
    """Order jobs round-robin over condition groups: the first report of each group runs
    before any group's second, so reports sharing a group's results seldom run at once."""
    seen: dict[str, int] = {}
    ranks = []
    for _, job in todo:
        ranks.append(seen.get(job.params.condition, 0))
        seen[job.params.condition] = ranks[-1] + 1
    order = sorted(range(len(todo)), key=lambda k: ranks[k])
    return [todo[k] for k in order]


def _run(
    todo: list[tuple[int, Job]],
    results: dict[int, BuildResult],
    bar: tqdm,
    workers: int,
    cache: Path,
) -> None:
    """Build ``todo`` with ``workers`` processes, filling ``results``; kernels share ``cache``."""
    with kernel_environment({CACHE_ENV: str(cache)}):
        if workers == 1:
            try:
                for i, job in todo:
                    try:
                        result = run_job(job)
                    except Exception as exc:  # whatever went wrong, the next report still runs
                        result = BuildResult(job.params, job.html, "failed", error=describe(exc))
                    results[i] = _tick(bar, result)
            except BaseException:
                kill_children(os.getpid(), timeout=2.0)  # the running report's kernel
                raise
        elif todo:
            pool = ProcessPoolExecutor(
                workers, mp_context=get_context("spawn"), initializer=_init_worker
            )
            try:
                with signals_blocked():  # workers start with Ctrl-C held back
                    futures = {pool.submit(run_job, job): (i, job) for i, job in todo}
                for future in as_completed(futures):
                    i, job = futures[future]
                    try:
                        result = future.result()
                    except Exception as exc:  # a worker died: record it, go on
                        result = BuildResult(job.params, job.html, "failed", error=describe(exc))
                    results[i] = _tick(bar, result)
            except BaseException:
                # Cancel what is queued, stop the running reports and their kernels now.
                pool.shutdown(wait=False, cancel_futures=True)
                kill_children(os.getpid(), timeout=2.0)
                raise
            else:
                pool.shutdown(wait=True)


def describe(exc: BaseException) -> str:
    """One line for an unexpected error in building a report."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")


def _tick(bar: tqdm, result: BuildResult) -> BuildResult:
    bar.update()
    if not result.ok:
        bar.write(f"failed: {result.html.name}: {result.error}")
    elif pdf_failed(result):
        bar.write(f"failed: {pdf_path(result.html).name}: {result.error}")
    return result
