"""Batch report build against the naive baseline, on the same parameter sets.

Ours: ``secondop reports --force`` (parallel workers, one kernel per report, the exporter set up
once per worker). Baseline: for each report, the ``papermill`` command and then ``jupyter nbconvert
--to html --no-input``, one after the other. Both write into temporary folders. Prints
``batch_seconds``, ``baseline_seconds`` and ``batch_speedup`` (baseline / ours).

    .venv/bin/python benchmarks/bench_batch.py                        # the whole default set
    .venv/bin/python benchmarks/bench_batch.py --conditions heart --plans ppo self_pay
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import run

from secondop_stats import load_evidence
from secondop_stats.reports.batch import default_set
from secondop_stats.reports.build import KERNEL_NAME, default_notebook
from secondop_stats.reports.params import ReportParams

BIN = Path(sys.executable).parent
QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}


def run_ours(folder: Path, selection: list[str]) -> float:
    """Seconds for ``secondop reports --force`` into ``folder``."""
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "secondop"), "reports", "--force", "--output-dir", str(folder), *selection],
        **QUIET,
    )
    return time.perf_counter() - start


def papermill_args(p: ReportParams) -> list[str]:
    """``-p name value`` for each parameter papermill should inject."""
    args = []
    for name, value in p.as_dict().items():
        if value is not None:
            args += ["-y", name, repr(value)] if isinstance(value, list) else ["-p", name, value]
    return [str(a) for a in args]


def run_baseline(reports: list[ReportParams], folder: Path) -> float:
    """Seconds for papermill then nbconvert, as separate commands, report after report."""
    notebook = default_notebook()
    start = time.perf_counter()
    for p in reports:
        out = folder / f"{p.slug}.ipynb"
        papermill = [str(BIN / "papermill"), str(notebook), str(out), "-k", KERNEL_NAME]
        subprocess.run([*papermill, *papermill_args(p)], **QUIET)
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)], **QUIET
        )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Batch reports against papermill + nbconvert.")
    parser.add_argument("--conditions", nargs="+", metavar="C", help="only these groups")
    parser.add_argument("--plans", nargs="+", metavar="P", help="only these plans")
    args = parser.parse_args(argv)
    reports = default_set(load_evidence(), conditions=args.conditions, plans=args.plans)
    selection = []
    if args.conditions:
        selection += ["--conditions", *args.conditions]
    if args.plans:
        selection += ["--plans", *args.plans]
    with tempfile.TemporaryDirectory() as ours_dir, tempfile.TemporaryDirectory() as base_dir:
        ours = run_ours(Path(ours_dir), selection)
        baseline = run_baseline(reports, Path(base_dir))
        built = len(list(Path(ours_dir).glob("*.html"))) - 1  # minus index.html
        made = len(list(Path(base_dir).glob("*.html")))
    if built != len(reports) or made != len(reports):
        print(f"expected {len(reports)} reports, got {built} (ours) and {made} (baseline)")
        return 1
    print(f"reports: {len(reports)}")
    print(f"batch_seconds: {ours:.1f}")
    print(f"baseline_seconds: {baseline:.1f}")
    print(f"batch_speedup: {baseline / ours:.2f}")
    return 0


if __name__ == "__main__":
    run(main, "bench_batch", limit_s=1200)
