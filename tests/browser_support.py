"""Helpers for the browser tests: Chromium, local servers on free ports, console capture and
screenshots under tests/artifacts/.

Everything waits on conditions (a port accepting connections, an element appearing) with
generous time limits, so the tests hold on a slow shared machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 180
PAGE_SECONDS = 240


def chromium_path() -> str:
    """Path of Debian's Chromium; fails under CI (CI set) and skips elsewhere when missing."""
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    message = (
        "Chromium is not installed: the browser tests need Debian's chromium package "
        "(apt-get install chromium); .ci/run installs it"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
    raise AssertionError("unreachable")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process started for a test, with its log file."""

    name: str
    command: Sequence[str]
    port: int
    log: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> Server:
        """Start the process (in its own session, so that stopping it ends its kernels too)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            list(self.command),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
        )
        handle.close()
        self.wait_for_port()
        return self

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_port(self, seconds: float = SERVER_START_SECONDS) -> None:
        """Wait until the port accepts connections; fail with the log if the process ends."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}",
                    pytrace=False,
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.25)
        pytest.fail(
            f"{self.name} did not listen on port {self.port} within {seconds:.0f} s:\n"
            f"{self.log_tail()}",
            pytrace=False,
        )

    def stop(self) -> None:
        """Stop the process group this server started (terminate, then kill after 20 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Start ``server`` and stop it on exit."""
    try:
        yield server.start()
    finally:
        server.stop()


class Console:
    """Collects a page's console errors and uncaught exceptions."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.messages: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _on_console(self, message) -> None:
        self.messages.append(f"{message.type}: {message.text}")
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")


def screenshot(page, name: str) -> Path:
    """Save a screenshot of the page under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    with contextlib.suppress(Exception):
        page.screenshot(path=str(path), full_page=True, timeout=60_000)
    return path


@contextlib.contextmanager
def screenshot_on_failure(page, name: str) -> Iterator[None]:
    """Run a block; on any failure save ``<name>-failure.png`` and re-raise."""
    try:
        yield
    except BaseException:
        screenshot(page, f"{name}-failure")
        raise


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (skips or fails as chromium_path)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def voila_dashboard(log_name: str, max_kernels: int = 16) -> Iterator[str]:
    """The dashboard served as `secondop serve` does (tracebacks shown, for tests) on a free
    port; yields its base address."""
    from secondop_stats.apps.serve import voila_command, voila_env

    port = free_port()
    command = voila_command(port, show_tracebacks=True, max_kernels=max_kernels)
    server = Server("voila", command, port, ARTIFACTS / log_name, env=voila_env())
    with running(server):
        yield f"http://127.0.0.1:{port}"


def choose_metric(page, label: str) -> str:
    """Choose the explorer's metric whose option reads ``label (N)``; return the option."""
    metric = page.locator(".so-explorer-metric select")
    values = metric.locator("option").evaluate_all("o => o.map(x => x.value)")
    chosen = next(v for v in values if v.startswith(f"{label} ("))
    metric.select_option(value=chosen)
    return chosen
