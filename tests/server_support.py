"""A real ``secondop serve`` Voilà process on a free loopback port, for server tests and the
server benchmark."""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from secondop_stats.apps.serve import TEMPLATE, voila_command, voila_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running dashboard server."""

    process: subprocess.Popen
    base: str

    def kernels(self) -> list[psutil.Process]:
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        alive = []
        for child in children:
            try:
                if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(
                    child.cmdline()
                ):
                    alive.append(child)
            except psutil.Error:  # ended (or a zombie) while we looked: not alive
                continue
        return alive

    def open_page(
        self, notebook: str = "03_decision_guide.ipynb", *, timeout: float = 180, **headers: str
    ) -> Page:
        """GET an app page (which starts its kernel); a 503 is returned, not raised. The whole
        answer must arrive within ``timeout`` seconds."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        request = urllib.request.Request(f"{self.base}/voila/render/{notebook}", headers=headers)
        try:
            with opener.open(request, timeout=timeout) as response:
                return Page(response.status, _read_within(response, timeout), opener, jar)
        except urllib.error.HTTPError as error:
            return Page(error.code, error.read().decode("utf-8", "replace"), opener, jar)

    def close_page(self, page: Page) -> int:
        """What the browser sends when a page closes: the shutdown request with its token."""
        xsrf = next((c.value for c in page.jar if c.name == "_xsrf"), "")
        data = urllib.parse.urlencode({"_xsrf": xsrf}).encode()
        request = urllib.request.Request(
            f"{self.base}/voila/api/shutdown/{page.kernel_id}", data=data, method="POST"
        )
        try:
            with page.opener.open(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def wait_until_idle(self, kernels: int, timeout: float = 180) -> bool:
        """Wait until ``kernels`` kernels run and all of them are idle (pre-heated kernels
        have built their apps); False when that does not happen within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = self.kernels()
            if len(running) >= kernels:
                try:
                    for kernel in running:
                        kernel.cpu_percent(None)
                    time.sleep(1.0)
                    busy = sum(kernel.cpu_percent(None) for kernel in running)
                except psutil.Error:
                    continue
                if busy < 5:
                    return True
            else:
                time.sleep(0.5)
        return False

    def wait_for_kernel_gone(self, kernel_id: str, timeout: float = 60) -> bool:
        """Wait until no kernel process runs with ``kernel_id`` (its connection file names
        it); False when one still does after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(kernel_id in line for line in self._command_lines()):
                return True
            time.sleep(0.5)
        return False

    def _command_lines(self) -> list[str]:
        lines = []
        for kernel in self.kernels():
            with contextlib.suppress(psutil.Error):  # ended while we looked
                lines.append(" ".join(kernel.cmdline()))
        return lines

    def wait_for_kernels(self, count: int, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.kernels()) == count:
                return count
            time.sleep(0.5)
        return len(self.kernels())


def _read_within(response, timeout: float) -> str:
    """The body of a streamed answer, refused when it takes longer than ``timeout`` in all."""
    deadline = time.monotonic() + timeout
    chunks = []
    while chunk := response.read(65536):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page took more than {timeout:g} s to arrive")
    return b"".join(chunks).decode("utf-8")


@dataclass
class Page:
    status: int
    html: str
    opener: urllib.request.OpenerDirector
    jar: http.cookiejar.CookieJar

    @property
    def kernel_id(self) -> str:
        found = re.findall(r'"kernelId": "([0-9a-f-]+)"', self.html)
        return found[0] if found else ""


@contextlib.contextmanager
def running_server(
    max_kernels: int,
    idle_timeout: int = 600,
    *,
    preheat: bool = True,
    folder: Path | None = None,
    template: str = TEMPLATE,
) -> Iterator[Server]:
    """``secondop serve`` of ``folder`` (default: the notebooks) on a free port, with the
    project's page or, for comparison, another Voilà ``template``."""
    port = free_port()
    command = voila_command(
        port,
        folder,
        max_kernels=max_kernels,
        idle_timeout=idle_timeout,
        preheat=preheat,
        template=template,
    )
    process = subprocess.Popen(
        command, env=voila_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
