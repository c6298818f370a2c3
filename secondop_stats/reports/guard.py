"""What keeps a batch of reports safe to interrupt: a lock on its output folder, workers that
die with their parent and start with signals held back, and a clean stop on Ctrl-C or SIGTERM
(temporary files are cleaned by :mod:`secondop_stats.atomic`).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

class FolderBusy(RuntimeError):
    """Another batch is writing to the same folder."""


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` for one batch; a second batch is refused at once.

    The lock is an ``flock`` on the folder itself (no lock file is written among the user's
    files), so the system releases it when the holding process ends, however it ends: a killed
    batch never leaves a stale lock.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(
                f"another batch is writing reports to {folder}; wait for it to finish or "
                "choose another --output-dir"
            ) from None
        yield folder
    finally:
        os.close(fd)


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while worker processes start: a process started inside the
    block begins with them blocked (so a Ctrl-C sent to the whole process group cannot hit it
    half-started) until it installs its own handlers; the parent receives them on leaving."""
    wanted = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def parent_death_signal() -> Callable[[], None]:
    """A function that asks Linux to send the calling process SIGTERM when its parent dies.

    libc is loaded here, in the parent, so that the returned function is safe to run between
    fork and exec (as a ``preexec_fn``); elsewhere than Linux it does nothing.
    """
    if sys.platform.startswith("linux"):
        try:
            prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
        except (OSError, AttributeError):
            pass
        else:
            return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    return lambda: None


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (a worker must not outlive
    the batch that started it); on SIGTERM, stop the kernels it started, then exit."""
    parent_death_signal()()
    signal.signal(signal.SIGTERM, _stop_worker)
    # Ctrl-C goes to the whole process group: the parent decides, the workers wait for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # started with both blocked (see signals_blocked): from here on they are handled
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def _stop_worker(signum: int, frame: object) -> None:
    kill_children(os.getpid())
    os._exit(128 + signum)


def kill_children(pid: int, timeout: float = 3.0) -> None:
    """Terminate every descendant of ``pid`` (kernels included), then kill what is left."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt in the main thread, so that a batch stops the same
    way for Ctrl-C and for a polite kill."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
