"""``secondop serve``: the three apps as a Voilà dashboard on this computer only (127.0.0.1).

Voilà serves the ``notebooks/`` folder; its landing notebook ``index.ipynb`` links the apps.
Voilà shows widgets and text, never code cells, and refuses to run code sent from the page.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from ..paths import notebooks_dir
from ..reports.guard import parent_death_signal

DEFAULT_PORT = 8866
HOST = "127.0.0.1"
LANDING = "index.ipynb"
TEMPLATE = "secondop"
#: Holds ``voila/templates/secondop``, found by Voilà through JUPYTER_PATH.
JUPYTER_DATA = Path(__file__).resolve().parent / "jupyter"
#: Seconds Voilà gets to shut its kernels down after SIGTERM before it is killed.
STOP_TIMEOUT_S = 3.0


def landing_url(port: int, host: str = HOST) -> str:
    """Address of the dashboard's landing page."""
    return f"http://{host}:{port}/voila/render/{LANDING}"


#: Memory a dashboard kernel takes with the apps loaded (measured: about 200 MB), with room.
KERNEL_MEMORY_BYTES = 300 * 1024**2
#: Never more kernels than this, whatever the memory: the machine has few cores.
MAX_KERNELS_CAP = 8
DEFAULT_IDLE_TIMEOUT = 600
MANAGER = "secondop_stats.apps.voila_server.BoundedKernelManager"
#: Kernels kept ready per app notebook.
PREHEATED_PER_NOTEBOOK = 1
#: Seconds between handing a ready kernel to a visitor and starting its replacement: the new
#: kernel (building an app takes a few CPU-seconds) then does not compete with the visitor's
#: page as it opens (Voilà's default is 1 s; a page needs about 1 s on 2 cores).
REFILL_DELAY_S = 3
#: The report template lives beside the apps but is not a page anyone opens.
NOT_PREHEATED = "report.ipynb"


def default_max_kernels(available_bytes: int | None = None) -> int:
    """Kernels that fit in half of the available memory, between 1 and MAX_KERNELS_CAP."""
    if available_bytes is None:
        import psutil

        available_bytes = psutil.virtual_memory().available
    return max(1, min(MAX_KERNELS_CAP, int(available_bytes * 0.5 // KERNEL_MEMORY_BYTES)))


def voila_command(
    port: int,
    folder: Path | None = None,
    *,
    show_tracebacks: bool = False,
    max_kernels: int | None = None,
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT,
    preheat: bool = True,
    template: str = TEMPLATE,
) -> list[str]:
    """The Voilà command line serving ``folder`` (default: the notebooks) on 127.0.0.1:port,
    with at most ``max_kernels`` kernels (default: from the machine's memory) and kernels idle
    for ``idle_timeout`` seconds culled.

    With ``preheat``, each app notebook keeps one kernel that has already loaded its app, so a
    page opens without waiting for a kernel; those kernels count against ``max_kernels``.

    Tracebacks stay hidden from the audience unless ``show_tracebacks`` (for tests). ``template``
    is the project's page; the benchmark passes Voilà's own ``lab`` page to compare."""
    folder = folder if folder is not None else notebooks_dir()
    kernels = max_kernels if max_kernels is not None else default_max_kernels()
    return [
        sys.executable,
        "-m",
        "secondop_stats.apps.voila_server",
        str(folder),
        f"--VoilaConfiguration.multi_kernel_manager_class={MANAGER}",
        f"--BoundedKernelManager.max_kernels={kernels}",
        f"--BoundedKernelManager.cull_idle_timeout={idle_timeout}",
        f"--BoundedKernelManager.cull_interval={max(1, min(60, idle_timeout // 2))}",
        "--BoundedKernelManager.cull_connected=True",
        "--no-browser",
        f"--Voila.ip={HOST}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.strip_sources=True",
        f"--VoilaConfiguration.show_tracebacks={show_tracebacks}",
        f"--template={template}",
        "--theme=light",
        *(
            [
                "--preheat_kernel=True",
                f"--pool_size={PREHEATED_PER_NOTEBOOK}",
                f"--VoilaKernelManager.fill_delay={REFILL_DELAY_S}",
                f"--VoilaKernelManager.preheat_denylist={NOT_PREHEATED}",
            ]
            if preheat
            else []
        ),
    ]


def voila_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Voilà: ``base`` (default: this process's) with the project's
    template folder first on JUPYTER_PATH."""
    env = dict(os.environ if base is None else base)
    paths = [str(JUPYTER_DATA), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def serve(
    port: int = DEFAULT_PORT,
    folder: Path | None = None,
    *,
    max_kernels: int | None = None,
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT,
    preheat: bool = True,
) -> int:
    """Run the dashboard until interrupted; return Voilà's exit status.

    Ctrl-C or SIGTERM, to this command or its whole process group, stops Voilà and its kernels
    within a few seconds (exit status 130 for Ctrl-C, 143 for SIGTERM).
    """
    kernels = max_kernels if max_kernels is not None else default_max_kernels()
    command = voila_command(
        port, folder, max_kernels=kernels, idle_timeout=idle_timeout, preheat=preheat
    )
    ready = ", one per app kept ready" if preheat else ""
    print(
        f"secondop dashboard: {landing_url(port)}  (at most {kernels} kernels{ready}; idle "
        f"visitors' kernels stopped after {idle_timeout} s; Ctrl-C to stop)",
        flush=True,
    )
    # Voilà runs in a session of its own: a Ctrl-C from the terminal reaches this command
    # alone, which then stops Voilà and everything it started, the same way every time.
    process = subprocess.Popen(
        command, env=voila_env(), start_new_session=True, preexec_fn=parent_death_signal()
    )
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return process.wait()
    except KeyboardInterrupt as stop:
        stop_server(process)
        return 143 if "SIGTERM" in str(stop) else 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt("SIGTERM")


def stop_server(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """Ask Voilà to stop (SIGTERM: it shuts its kernels down), then stop whatever of it and its
    kernels is left, so that nothing outlives the command."""
    import psutil

    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        family = []
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    _gone, alive = psutil.wait_procs(family, timeout=1.0)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(alive, timeout=1.0)


def _serve(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        print(f"secondop serve: port must be 1-65535, not {args.port}", file=sys.stderr)
        return 2
    if args.max_kernels is not None and args.max_kernels < 1:
        print(
            f"secondop serve: --max-kernels must be 1 or more, not {args.max_kernels}",
            file=sys.stderr,
        )
        return 2
    if args.idle_timeout < 10:
        print(
            f"secondop serve: --idle-timeout must be 10 s or more, not {args.idle_timeout}",
            file=sys.stderr,
        )
        return 2
    return serve(
        args.port,
        max_kernels=args.max_kernels,
        idle_timeout=args.idle_timeout,
        preheat=args.preheat,
    )


def add_serve_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``serve [--port N]`` to the ``secondop`` command's subcommands."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the evidence explorer, costs and decision guide as a dashboard (Voilà)",
        description=f"Serve the apps with Voilà on {HOST} (no code shown). "
        f"Open {landing_url(DEFAULT_PORT)}.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--max-kernels",
        type=int,
        metavar="N",
        help="most kernels at once, one per open page; a visitor beyond it is asked to try "
        f"again (default: from the memory available, at most {MAX_KERNELS_CAP}: "
        f"{default_max_kernels()} here)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=int,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="S",
        help=f"stop a kernel idle for S seconds (default {DEFAULT_IDLE_TIMEOUT})",
    )
    parser.add_argument(
        "--no-preheat",
        dest="preheat",
        action="store_false",
        help="do not keep a kernel ready per app (pages then wait for a kernel to start and "
        "the app to load; the ready kernels count against --max-kernels)",
    )
    parser.set_defaults(func=_serve)
    return parser
