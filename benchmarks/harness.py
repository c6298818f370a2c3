"""What every benchmark shares: a time limit, and one line saying why when it cannot measure.

``make bench`` must always finish. Each benchmark runs its ``main`` under :func:`run`, which
stops it after ``limit_s`` seconds (SIGALRM, so a wait that hangs is interrupted too) and turns
any failure into one line on stderr, ``<name>: could not measure: <why>``, and exit status 1.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable


class TimeLimit(Exception):
    """The benchmark ran past its time limit."""


def _alarm(signum: int, frame: object) -> None:
    raise TimeLimit


def run(main: Callable[[], int | None], name: str, limit_s: int) -> None:
    """Run ``main`` within ``limit_s`` seconds; exit 0 when it measured, 1 with a reason."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit_s)
    try:
        status = main() or 0
    except TimeLimit:
        print(f"{name}: could not measure: did not finish within {limit_s} s", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        status = 130
    except Exception as exc:  # one line, never a traceback
        print(f"{name}: could not measure: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    finally:
        signal.alarm(0)
    raise SystemExit(status)
