"""Build one report: execute the template with papermill, export HTML, write both atomically.

The executed notebook and the HTML are first written to temporary files in the output folder and
then moved into place with os.replace, so a reader never sees half a report and a failed run
leaves the previous report (if any) untouched. A failed run keeps its executed notebook as
``<name>.failed.ipynb`` for diagnosis; it never writes HTML.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..paths import notebooks_dir
from . import export
from ..atomic import discard, install, temporary_path, write_all
from .outputs import MARKER
from .params import ReportParams
from .stamp import Inputs, generated_at, manifest_bytes, manifest_path, sha256_file

KERNEL_NAME = "python3"
#: Seconds one notebook cell may run before the report is failed.
CELL_TIMEOUT = 600
#: Environment of report kernels: non-interactive matplotlib, and no debugger start-up warning.
KERNEL_ENV = {"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
#: Kernel start-up flags: report kernels stay quiet on the terminal (a failing cell is reported
#: from the notebook itself; the kernel's own log only adds transport and shutdown noise).
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


def default_notebook() -> Path:
    """The report template, ``notebooks/report.ipynb``."""
    return notebooks_dir() / "report.ipynb"


@dataclass(frozen=True)
class BuildResult:
    """What happened to one report: built, skipped (unchanged) or failed, and where."""

    params: ReportParams
    html: Path
    status: str
    seconds: float = 0.0
    error: str | None = None
    failed_notebook: Path | None = None

    @property
    def ok(self) -> bool:
        """Built now or up to date (not failed, not cancelled)."""
        return self.status in ("built", "skipped")


def report_inputs(params: ReportParams, notebook: Path, data_hash: str) -> Inputs:
    """The inputs that determine a report's bytes (apart from its generation date)."""
    return Inputs(
        notebook_sha256=sha256_file(notebook),
        parameters=params.as_dict(),
        data_hash=data_hash,
        version=__version__,
    )


@contextlib.contextmanager
def kernel_environment(extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """Set environment variables that kernels started inside the block inherit."""
    wanted = {**KERNEL_ENV, **(extra or {})}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def describe_failure(exc: BaseException) -> str:
    """One line saying where and why a notebook failed."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        where = f"cell {exc.exec_count}" if exc.exec_count is not None else "a cell"
        return f"{where} raised {exc.ename}: {exc.evalue}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")


def execute(
    notebook: Path,
    output: Path,
    parameters: Mapping[str, object],
    *,
    kernel_name: str = KERNEL_NAME,
    timeout: float = CELL_TIMEOUT,
) -> object:
    """Run ``notebook`` with papermill, saving the executed copy to ``output``.

    The kernel is stopped at once when the last cell is done (its outputs are all collected by
    then), rather than waiting for a graceful shutdown.
    """
    import papermill  # imported here: a run that skips every report never needs it

    with kernel_environment():
        return papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=dict(parameters),
            kernel_name=kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            cwd=str(output.parent),
            execution_timeout=timeout,
            extra_arguments=list(KERNEL_ARGS),
            shutdown_kernel="immediate",
        )


def marked_notebook(path: Path, marker: Mapping[str, object]) -> bytes | None:
    """The executed notebook at ``path`` with a record in its metadata that ``secondop report``
    wrote it (None when it cannot be read)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    nb.setdefault("metadata", {})[MARKER] = dict(marker)
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def mark_notebook(path: Path, marker: Mapping[str, object]) -> None:
    """Record in an executed notebook's metadata that ``secondop report`` wrote it."""
    data = marked_notebook(path, marker)
    if data is not None:
        path.write_bytes(data)


def build_report(
    params: ReportParams,
    html_path: Path,
    *,
    data_hash: str,
    notebook: Path | None = None,
    evidence_dir: Path | None = None,
    kernel_name: str = KERNEL_NAME,
    timeout: float = CELL_TIMEOUT,
    executed: Path | None = None,
) -> BuildResult:
    """Execute and export one report whose parameters were already validated (see
    :func:`~secondop_stats.reports.params.resolve`) into paths already checked (see
    :func:`~secondop_stats.reports.outputs.plan_outputs`). Never raises for a failing
    notebook: the result says what went wrong."""
    start = time.perf_counter()
    notebook = Path(notebook or default_notebook()).resolve()
    html_path = Path(html_path).resolve()
    ipynb_path = Path(executed).resolve() if executed else html_path.with_suffix(".ipynb")
    failed_path = ipynb_path.with_suffix(".failed.ipynb")
    marker = {"parameters": params.as_dict(), "version": __version__}
    inputs = report_inputs(params, notebook, data_hash)
    parameters = {**params.as_dict(), "evidence_dir": str(evidence_dir) if evidence_dir else None}
    tmp = temporary_path(ipynb_path, ".ipynb")
    try:
        try:
            nb = execute(notebook, tmp, parameters, kernel_name=kernel_name, timeout=timeout)
        except Exception as exc:
            kept = None
            if tmp.is_file() and tmp.stat().st_size:
                mark_notebook(tmp, marker)
                install(tmp, failed_path)
                kept = failed_path
            return BuildResult(
                params,
                html_path,
                "failed",
                time.perf_counter() - start,
                describe_failure(exc),
                kept,
            )
        html = export.to_html(nb, params.title or html_path.stem)
        executed_nb = marked_notebook(tmp, marker)
        if executed_nb is None:
            raise RuntimeError(f"papermill wrote no readable notebook for {html_path.name}")
        # all or nothing: a full disk leaves the previous report whole, never half of a new one
        write_all(
            {
                html_path: html.encode("utf-8"),
                ipynb_path: executed_nb,
                manifest_path(html_path): manifest_bytes(
                    html_path, inputs, generated=generated_at()
                ),
            }
        )
        if failed_path.is_file() and not failed_path.is_symlink():
            failed_path.unlink()
        return BuildResult(params, html_path, "built", time.perf_counter() - start)
    finally:
        discard(tmp)
