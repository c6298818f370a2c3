"""The ``secondop`` command: validate the evidence, summarise it, and (later) build reports."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .apps.serve import add_serve_command
from .atomic import WriteFailed, reason_of
from .errors import EvidenceError
from .evidence import load_evidence
from .export_command import add_export_command
from .paths import evidence_dir
from .reports.cli import add_report_commands
from .summary import one_line, report

#: The environment variable naming the evidence folder every command uses by default.
EVIDENCE_ENV = "SECONDOP_EVIDENCE"


def chosen_evidence(path: str | None) -> Path:
    """The evidence folder a command reads: ``path``, else ``$SECONDOP_EVIDENCE``, else the
    shipped one."""
    named = path if path else os.environ.get(EVIDENCE_ENV)
    return Path(named) if named else evidence_dir()


def _validate(args: argparse.Namespace) -> int:
    folder = chosen_evidence(args.path)
    try:
        ev = load_evidence(folder)
    except FileNotFoundError as exc:
        print(f"secondop validate: {exc}", file=sys.stderr)
        return 2
    except EvidenceError as exc:
        print(exc.describe(None if args.all else exc.SHOWN), file=sys.stderr)
        return 1
    print(one_line(ev))
    return 0


def _summary(args: argparse.Namespace) -> int:
    try:
        ev = load_evidence(chosen_evidence(args.path))
    except FileNotFoundError as exc:
        print(f"secondop summary: {exc}", file=sys.stderr)
        return 2
    except EvidenceError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(report(ev))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secondop",
        description="Evidence on medical second opinions: data, statistics, reports.",
    )
    parser.add_argument("--version", action="version", version=f"secondop {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    default = f"${EVIDENCE_ENV}, else the shipped evidence/"
    p = sub.add_parser("validate", help="check an evidence folder against its schema and rules")
    p.add_argument("path", nargs="?", help=f"evidence folder (default: {default})")
    p.add_argument("--all", action="store_true", help="list every problem, not the first 40")
    p.set_defaults(func=_validate)

    p = sub.add_parser("summary", help="print what the evidence holds")
    p.add_argument("path", nargs="?", help=f"evidence folder (default: {default})")
    p.set_defaults(func=_summary)
    add_report_commands(sub)
    add_serve_command(sub)
    add_export_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        # whatever this command started (a report's kernel, Chromium) stops with it
        from .reports.guard import kill_children

        kill_children(os.getpid(), timeout=2.0)
        print(f"secondop {args.command}: interrupted", file=sys.stderr)
        return 130
    except EvidenceError as exc:
        print(exc, file=sys.stderr)
        return 1
    except WriteFailed as exc:  # one line: the place and the reason
        print(f"secondop {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"secondop {args.command}: cannot use{where}: {reason_of(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # never a traceback: one line that says it is ours
        print(
            f"secondop {args.command}: internal error ({type(exc).__name__}: {exc}); "
            "please report it",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
