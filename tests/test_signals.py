"""Ctrl-C and SIGTERM as a terminal and a script deliver them, for ``report``, a PDF being
printed and ``serve`` (the batch is covered in test_reports_guard.py).

Each command is started as a shell script's background job is (its own process group, SIGINT
ignored), made busy, then signalled either as a terminal does (the whole process group) or as
``kill`` does (the command alone). It must stop within 5 s with status 130 (SIGINT), without a
traceback, leaving no process and no temporary file behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from secondop_stats.atomic import STATE_ENV, TEMP_MARK
from tests.server_support import free_port

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
SLOW = FIXTURES / "slow.ipynb"
MINIMAL = FIXTURES / "minimal.ipynb"
WAYS = [
    pytest.param(signal.SIGINT, True, id="ctrl-c-to-group"),
    pytest.param(signal.SIGINT, False, id="sigint-to-command"),
    pytest.param(signal.SIGTERM, True, id="sigterm-to-group"),
]


def family(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def start(argv: list[str], state: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``secondop ARGV`` as a script's background job: own process group, SIGINT ignored."""
    return subprocess.Popen(
        [sys.executable, "-m", "secondop_stats.entry", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        env={**os.environ, STATE_ENV: str(state), **(env or {})},
    )


def wait_until(proc: subprocess.Popen, ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            pytest.fail(f"the command ended before {what}: {proc.communicate()[1]}")
        time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail(f"never {what}")


def runs(proc: subprocess.Popen, needle: str) -> Callable[[], bool]:
    def check() -> bool:
        return any(needle in " ".join(p.cmdline()) for p in family(proc.pid)[1:] if _alive(p))

    return check


def _alive(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop_and_check(proc: subprocess.Popen, sig: int, to_group: bool, folders: list[Path]) -> str:
    everyone = family(proc.pid)
    started = time.monotonic()
    if to_group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    took = time.monotonic() - started
    assert took < 5, f"took {took:.1f} s to stop"
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
    else:
        assert proc.returncode in (130, 143), err
    assert "Traceback" not in err, err
    _gone, alive = psutil.wait_procs(everyone, timeout=3)
    assert not [p for p in alive if _alive(p)], [p.cmdline() for p in alive]
    for folder in folders:
        assert not [p for p in folder.rglob("*") if TEMP_MARK in p.name]
    return err


@pytest.mark.parametrize(("sig", "to_group"), WAYS)
def test_report_stops_with_its_kernel(tmp_path: Path, sig: int, to_group: bool) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    proc = start(["report", "--notebook", str(SLOW), "-o", str(out / "x.html")], state)
    wait_until(proc, runs(proc, "ipykernel"), "started its kernel")
    err = stop_and_check(proc, sig, to_group, [out])
    assert "interrupted" in err
    assert not (out / "x.html").exists()
    assert not list(state.glob("*.txt"))


@pytest.mark.parametrize(("sig", "to_group"), WAYS[:2])
def test_printing_a_pdf_stops_with_chromium(tmp_path: Path, sig: int, to_group: bool) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    chromium = bin_dir / "slow-chromium"
    chromium.write_text("#!/bin/sh\n(while :; do sleep 1; done) &\nwhile :; do sleep 1; done\n")
    chromium.chmod(0o755)
    out, state = tmp_path / "out", tmp_path / "state"
    proc = start(
        ["report", "--notebook", str(MINIMAL), "-o", str(out / "x.pdf")],
        state,
        {"SECONDOP_CHROMIUM": str(chromium)},
    )
    # Chromium runs in a session of its own: look for it among all processes
    wait_until(
        proc,
        lambda: any(str(chromium) in " ".join(p.info["cmdline"] or [])
                    for p in psutil.process_iter(["cmdline"])),
        "started printing",
    )
    stop_and_check(proc, sig, to_group, [out])
    time.sleep(0.5)
    left = [p for p in psutil.process_iter(["cmdline"])
            if str(chromium) in " ".join(p.info["cmdline"] or [])]
    assert not left
    assert not (out / "x.pdf").exists()


def _answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    return check


@pytest.mark.parametrize(("sig", "to_group"), WAYS)
def test_serve_stops_with_its_kernels(tmp_path: Path, sig: int, to_group: bool) -> None:
    port = free_port()
    proc = start(["serve", "--port", str(port), "--no-preheat"], tmp_path / "state")
    base = f"http://127.0.0.1:{port}"
    wait_until(proc, _answers(f"{base}/voila/render/index.ipynb"), "served its landing page")
    wait_until(proc, runs(proc, "ipykernel"), "ran a kernel")
    stop_and_check(proc, sig, to_group, [])
    assert not _answers(f"{base}/voila/render/index.ipynb")()
