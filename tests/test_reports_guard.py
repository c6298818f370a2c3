"""Batches stop, lock and clean up: Ctrl-C and SIGTERM, a second batch, stale temporary files,
and a failing report with a single worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from secondop_stats.reports import batch
from secondop_stats.reports.guard import CACHE_NAME, FolderBusy, folder_lock
from secondop_stats.reports.index import INDEX_NAME
from secondop_stats.reports.params import ReportParams, resolve

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
MINIMAL = FIXTURES / "minimal.ipynb"
FAILS = FIXTURES / "fails_midway.ipynb"
SLOW = FIXTURES / "slow.ipynb"


def params(evidence, **kw: object) -> ReportParams:
    return resolve(ReportParams(**kw), evidence)


def test_a_second_batch_into_the_same_folder_is_refused(evidence, tmp_path: Path) -> None:
    reports = [params(evidence, condition="cancer")]
    with folder_lock(tmp_path), pytest.raises(FolderBusy, match="another batch"):
        batch.run_batch(reports, tmp_path, evidence=evidence, notebook=MINIMAL, progress=False)
    # released with its holder: the next batch runs
    results = batch.run_batch(
        reports, tmp_path, evidence=evidence, notebook=MINIMAL, progress=False
    )
    assert results[0].status == "built"


def test_stale_temporary_files_are_cleared_at_the_next_run(evidence, tmp_path: Path) -> None:
    stale = tmp_path / ".all-x.html.k3j2.tmp.ipynb"
    stale.write_text("half a notebook", encoding="utf-8")
    (tmp_path / CACHE_NAME).mkdir()
    (tmp_path / CACHE_NAME / "old.pkl").write_bytes(b"x")
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me", encoding="utf-8")
    reports = [params(evidence, condition="heart")]
    batch.run_batch(reports, tmp_path, evidence=evidence, notebook=MINIMAL, progress=False)
    assert not stale.exists() and not (tmp_path / CACHE_NAME).exists()
    assert mine.read_text(encoding="utf-8") == "keep me"
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_one_worker_goes_on_after_a_failure(evidence, tmp_path: Path) -> None:
    reports = [params(evidence, condition=c) for c in ("cancer", "heart", "neurology")]
    results = batch.run_batch(
        reports, tmp_path, evidence=evidence, notebook=FAILS, jobs=1, progress=False
    )
    assert [r.status for r in results] == ["built", "failed", "built"]


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


SCRIPT = """
import sys
from pathlib import Path
from secondop_stats import load_evidence
from secondop_stats.reports import batch
from secondop_stats.reports.params import ReportParams, resolve
ev = load_evidence()
reports = [resolve(ReportParams(condition=c, plan=p), ev)
           for c in ("cancer", "heart", "neurology") for p in ("ppo", "self_pay")]
try:
    batch.run_batch(reports, Path(sys.argv[1]), evidence=ev, notebook=Path(sys.argv[2]),
                    jobs=2, progress=False)
except batch.BatchInterrupted as stop:
    print("STOPPED", sum(r.status == "cancelled" for r in stop.results), flush=True)
    sys.exit(130)
"""


def _start_slow_batch(out: Path) -> subprocess.Popen:
    """Start the batch script and wait until both workers run a kernel (the slow cell sleeps
    120 s), failing the test if they never do."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(out), str(SLOW)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        kernels = [p for p in _descendants(proc.pid) if "ipykernel" in " ".join(p.cmdline())]
        if len(kernels) >= 2:
            return proc
        time.sleep(0.5)
    proc.kill()
    pytest.fail("the batch never started its kernels")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_batch_stops_fast_and_leaves_nothing(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "reports"
    proc = _start_slow_batch(out)
    family = _descendants(proc.pid)
    started = time.monotonic()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - started
    assert proc.returncode == 130, stderr
    assert took < 15, f"took {took:.1f} s to stop"
    assert "STOPPED 6" in stdout or "STOPPED" in stdout
    _gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, [p.cmdline() for p in alive]
    assert (out / INDEX_NAME).is_file()
    assert "the batch was stopped" in (out / INDEX_NAME).read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if ".tmp" in p.name or p.name == CACHE_NAME]


@pytest.mark.slow
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    proc = _start_slow_batch(out)
    family = _descendants(proc.pid)
    assert family
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    _gone, alive = psutil.wait_procs(family, timeout=20)
    for p in alive:
        p.kill()
    assert not alive, [p.cmdline() for p in alive]
