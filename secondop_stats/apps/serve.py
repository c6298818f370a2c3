"""``secondop serve``: the three apps as a Voilà dashboard on this computer only (127.0.0.1).

Voilà serves the ``notebooks/`` folder; its landing notebook ``index.ipynb`` links the apps.
Voilà shows widgets and text, never code cells, and refuses to run code sent from the page.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from ..paths import notebooks_dir

DEFAULT_PORT = 8866
HOST = "127.0.0.1"
LANDING = "index.ipynb"
TEMPLATE = "secondop"
#: Holds ``voila/templates/secondop``, found by Voilà through JUPYTER_PATH.
JUPYTER_DATA = Path(__file__).resolve().parent / "jupyter"


def landing_url(port: int, host: str = HOST) -> str:
    """Address of the dashboard's landing page."""
    return f"http://{host}:{port}/voila/render/{LANDING}"


def voila_command(
    port: int, folder: Path | None = None, *, show_tracebacks: bool = False
) -> list[str]:
    """The Voilà command line serving ``folder`` (default: the notebooks) on 127.0.0.1:port.

    Tracebacks stay hidden from the audience unless ``show_tracebacks`` (for tests)."""
    folder = folder if folder is not None else notebooks_dir()
    return [
        sys.executable,
        "-m",
        "voila",
        str(folder),
        "--no-browser",
        f"--Voila.ip={HOST}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.strip_sources=True",
        f"--VoilaConfiguration.show_tracebacks={show_tracebacks}",
        f"--template={TEMPLATE}",
        "--theme=light",
    ]


def voila_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Voilà: ``base`` (default: this process's) with the project's
    template folder first on JUPYTER_PATH."""
    env = dict(os.environ if base is None else base)
    paths = [str(JUPYTER_DATA), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def serve(port: int = DEFAULT_PORT, folder: Path | None = None) -> int:
    """Run the dashboard until interrupted; return Voilà's exit status.

    SIGTERM is passed on to Voilà, so that stopping ``secondop serve`` also stops the server and
    its kernels (Ctrl-C reaches Voilà directly, as it shares the terminal).
    """
    command = voila_command(port, folder)
    print(f"secondop dashboard: {landing_url(port)}  (Ctrl-C to stop)", flush=True)
    process = subprocess.Popen(command, env=voila_env())
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, lambda signum, _: process.send_signal(signum))
    try:
        return process.wait()
    except KeyboardInterrupt:
        return process.wait()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _serve(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        print(f"secondop serve: port must be 1-65535, not {args.port}", file=sys.stderr)
        return 2
    return serve(args.port)


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
    parser.set_defaults(func=_serve)
    return parser
