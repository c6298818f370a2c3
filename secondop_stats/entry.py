"""The ``secondop`` console command's entry point: no traceback on Ctrl-C, at any moment.

A terminal sends Ctrl-C to the whole foreground process group, and a shell script starts its
background jobs with SIGINT ignored; either way the command must stop at once and quietly. This
module is tiny on purpose: it takes over SIGINT before the heavy imports (pandas, papermill,
Jupyter) start, so an interrupt while they load ends the command with one line, not a
traceback; then it hands over to :func:`secondop_stats.cli.main`, which turns an interrupt
into exit status 130 after its own clean-up.
"""

from __future__ import annotations

import os
import signal
import sys

EXIT_INTERRUPTED = 130


def _quiet_stop(signum: int, frame: object) -> None:
    """Stop now with one line: used while nothing of ours needs cleaning up."""
    os.write(2, b"secondop: interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def run() -> None:
    """Run the ``secondop`` command with a clean Ctrl-C from start to exit."""
    signal.signal(signal.SIGINT, _quiet_stop)
    from .cli import main  # the heavy imports happen here

    # from here on, Ctrl-C raises KeyboardInterrupt, which the commands clean up after
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        status = main()
    except KeyboardInterrupt:
        print("secondop: interrupted", file=sys.stderr)
        status = EXIT_INTERRUPTED
    signal.signal(signal.SIGINT, _quiet_stop)  # nothing left to clean: exit quietly
    sys.stdout.flush()
    raise SystemExit(status)


if __name__ == "__main__":
    run()
