"""HTML report → PDF, printed by headless Chromium.

A report is printed by a browser so that the PDF is exactly the page a reader sees, with its
print styles (every collapsed group open, the template's ``@page`` size and margins) and real,
searchable text. Chromium runs as a child process in its own session with a throwaway profile
and a time limit; on timeout, failure or interrupt it is stopped with everything it started.
The PDF is written to a temporary file beside the target and moved into place, so a reader never
sees half a PDF and a failed print leaves the previous PDF (if any) untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..atomic import WriteFailed, discard, install, temporary_path
from .guard import kill_children, parent_death_signal

#: Environment variable naming the Chromium executable; it wins over the usual places.
CHROMIUM_ENV = "SECONDOP_CHROMIUM"
#: Where Debian's chromium package puts it (looked for first, then the PATH).
DEBIAN_CHROMIUM = "/usr/bin/chromium"
#: Seconds Chromium may take to print one report before it is stopped.
PRINT_TIMEOUT = 120.0
INSTALL_HINT = f"install it with: apt-get install chromium (or set {CHROMIUM_ENV} to its path)"
#: Chromium options: no window, no GPU, no network chatter, nothing but the page on the paper.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-extensions",
    "--disable-sync",
    "--no-pdf-header-footer",
)


class PdfError(RuntimeError):
    """A PDF could not be written; the message is one line saying why."""


class ChromiumMissing(PdfError):
    """No Chromium to print with."""


def find_chromium() -> Path:
    """The Chromium to print with: ``$SECONDOP_CHROMIUM`` when set (a wrong setting is an error,
    not a reason to look elsewhere), else ``/usr/bin/chromium``, ``chromium`` or
    ``chromium-browser`` on the PATH. Raises :class:`ChromiumMissing` naming what was tried."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        path = Path(named).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ChromiumMissing(
            f"Chromium not found: {CHROMIUM_ENV}={named} is not an executable file; {INSTALL_HINT}"
        )
    places = (DEBIAN_CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in places:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise ChromiumMissing(
        f"Chromium not found (looked for {DEBIAN_CHROMIUM}, chromium and chromium-browser on "
        f"the PATH); {INSTALL_HINT}"
    )


def pdf_path(html: Path) -> Path:
    """Where the PDF of ``html`` goes: beside it, with ``.pdf``."""
    return Path(html).with_suffix(".pdf")


def current_pdf(html: Path) -> Path | None:
    """The PDF beside ``html`` if it exists and was printed after ``html`` was written (an older
    one shows a previous report), else None."""
    pdf = pdf_path(html)
    try:
        return pdf if pdf.stat().st_mtime_ns >= Path(html).stat().st_mtime_ns else None
    except OSError:
        return None


def print_pdf(
    html: Path,
    pdf: Path,
    *,
    chromium: Path | None = None,
    timeout: float = PRINT_TIMEOUT,
) -> Path:
    """Print the page ``html`` to ``pdf`` (replaced atomically) and return ``pdf``'s path.

    ``chromium`` defaults to :func:`find_chromium`. Raises :class:`PdfError` when Chromium is
    missing, fails, takes longer than ``timeout`` seconds or writes no PDF; nothing is left
    behind then, and an interrupt stops Chromium before it propagates.
    """
    html = Path(html).resolve()
    pdf = Path(pdf).resolve()
    if not html.is_file():
        raise PdfError(f"no HTML to print at {html}")
    chromium = chromium or find_chromium()
    tmp = temporary_path(pdf, ".pdf")
    try:
        with tempfile.TemporaryDirectory(prefix="secondop-chromium-") as profile:
            command = [
                str(chromium),
                *CHROMIUM_ARGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={tmp}",
                html.as_uri(),
            ]
            _run(command, timeout)
        with tmp.open("rb") as fh:
            if fh.read(5) != b"%PDF-":
                raise PdfError(f"Chromium wrote no PDF for {html.name}")
        try:
            install(tmp, pdf)
        except WriteFailed as exc:
            raise PdfError(str(exc)) from None
    finally:
        discard(tmp)
    return pdf


def _run(command: list[str], timeout: float) -> None:
    """Run Chromium; stop it and all it started on timeout, failure or interrupt."""
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches us, not Chromium; we stop it
            preexec_fn=parent_death_signal(),  # and it never outlives us
        )
    except OSError as exc:
        raise ChromiumMissing(
            f"cannot start Chromium {command[0]}: {exc.strerror or exc}; {INSTALL_HINT}"
        ) from None
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise PdfError(f"Chromium did not finish printing within {timeout:g} s") from None
    except BaseException:
        _stop(proc)
        raise
    if proc.returncode != 0:
        raise PdfError(f"Chromium failed (exit status {proc.returncode}): {_last_error(err)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop Chromium's helpers, then Chromium and whatever is left in its session, and reap it.

    The session is killed before Chromium is reaped, so its id cannot have been reused.
    """
    kill_children(proc.pid, timeout=2.0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=5)


def _last_error(stderr: bytes | None) -> str:
    """The last line of Chromium's error output that is not about the missing desktop bus."""
    lines = [
        line.strip()
        for line in (stderr or b"").decode("utf-8", "replace").splitlines()
        if line.strip() and "dbus" not in line and "unexpected operator" not in line
    ]
    return lines[-1][:300] if lines else "no message"
