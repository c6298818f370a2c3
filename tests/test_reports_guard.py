"""Batches stop, lock and clean up: Ctrl-C and SIGTERM sent as a terminal sends them (to the
whole process group) and to the command alone, a second batch, temporary files a killed run
left, and a failing report with a single worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from secondop_stats.atomic import STATE_ENV, TEMP_MARK
from secondop_stats.reports import batch
from secondop_stats.reports.guard import FolderBusy, folder_lock
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


def test_a_killed_runs_temporary_files_go_by_exact_name_and_the_users_stay(
    evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed with SIGKILL leaves its temporary file and its journal; the next batch
    removes exactly that file. Files that merely look temporary are the user's and stay."""
    state = tmp_path / "state"
    monkeypatch.setenv(STATE_ENV, str(state))
    out = tmp_path / "reports"
    out.mkdir()
    killed = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from secondop_stats.atomic import temporary_path; "
            "print(temporary_path(Path(sys.argv[1]) / 'all.html', '.ipynb'), flush=True); "
            "time.sleep(60)",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    left = Path(killed.stdout.readline().strip())
    killed.kill()
    killed.wait(timeout=10)
    assert left.is_file() and TEMP_MARK in left.name
    users = [out / ".notes.tmp", out / ".all.html.k3j2.tmp.ipynb", out / "draft.tmp"]
    for path in users:
        path.write_text("keep me", encoding="utf-8")
    reports = [params(evidence, condition="heart")]
    batch.run_batch(reports, out, evidence=evidence, notebook=MINIMAL, progress=False)
    assert not left.exists()
    assert all(p.read_text(encoding="utf-8") == "keep me" for p in users)
    assert not [p for p in out.iterdir() if TEMP_MARK in p.name]
    assert not list(state.glob("*.txt")), "journals are removed once their files are gone"


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


def _start_slow_batch(out: Path, state: Path, jobs: int = 2) -> subprocess.Popen:
    """Start ``secondop reports`` as a shell script's background job starts it (its own
    process group, SIGINT ignored), and wait until its workers run a kernel each (the slow
    cell sleeps 120 s), failing the test if they never do."""
    command = [
        sys.executable,
        "-m",
        "secondop_stats.entry",
        "reports",
        "--notebook",
        str(SLOW),
        "--output-dir",
        str(out),
        "--conditions",
        "cancer",
        "heart",
        "neurology",
        "--plans",
        "ppo",
        "self_pay",
        "--jobs",
        str(jobs),
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        env={**os.environ, STATE_ENV: str(state)},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        kernels = [p for p in _descendants(proc.pid) if "ipykernel" in " ".join(p.cmdline())]
        if len(kernels) >= jobs:
            return proc
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("the batch never started its kernels")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "to_group", "jobs"),
    [
        (signal.SIGINT, True, 2),  # Ctrl-C in a terminal
        (signal.SIGINT, False, 2),
        (signal.SIGTERM, True, 2),
        (signal.SIGTERM, False, 2),
        (signal.SIGINT, True, 1),  # one worker: the command runs the kernel itself
    ],
    ids=["int-group", "int-parent", "term-group", "term-parent", "int-group-one-worker"],
)
def test_an_interrupted_batch_stops_fast_and_leaves_nothing(
    tmp_path: Path, sig: int, to_group: bool, jobs: int
) -> None:
    out, state = tmp_path / "reports", tmp_path / "state"
    proc = _start_slow_batch(out, state, jobs)
    family = [psutil.Process(proc.pid), *_descendants(proc.pid)]
    started = time.monotonic()
    if to_group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - started
    assert proc.returncode == 130, stderr
    assert took < 5, f"took {took:.1f} s to stop"
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    assert "stopped;" in stderr and "cancelled" in stderr
    _gone, alive = psutil.wait_procs(family, timeout=5)
    assert not alive, [p.cmdline() for p in alive]
    assert (out / INDEX_NAME).is_file()
    assert "the batch was stopped" in (out / INDEX_NAME).read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if TEMP_MARK in p.name]
    assert not list(state.glob("*.txt"))


@pytest.mark.slow
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    proc = _start_slow_batch(tmp_path / "reports", tmp_path / "state")
    family = _descendants(proc.pid)
    assert family
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    _gone, alive = psutil.wait_procs(family, timeout=20)
    for p in alive:
        p.kill()
    assert not alive, [p.cmdline() for p in alive]
