"""Exceptions raised by secondop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .validation import Violation


class EvidenceError(ValueError):
    """The evidence data break one or more rules.

    The message lists every violation at once, each naming file, line, column, value and rule,
    so that a researcher editing the CSVs can fix them all in one pass.
    """

    #: How many violations the message lists; ``secondop validate --all`` lists every one.
    SHOWN = 40

    def __init__(self, violations: Sequence[Violation], folder: str = "") -> None:
        self.violations = list(violations)
        self.folder = folder
        super().__init__(self.describe(self.SHOWN))

    def describe(self, limit: int | None = None) -> str:
        """The message: a head line, then up to ``limit`` violations (None: all of them)."""
        head = f"{len(self.violations)} problem(s) in the evidence"
        if self.folder:
            head += f" at {self.folder}"
        shown = self.violations if limit is None else self.violations[:limit]
        lines = [head + ":"] + [f"  - {v}" for v in shown]
        if len(shown) < len(self.violations):
            lines.append(
                f"  … and {len(self.violations) - len(shown)} more (many may follow from the "
                "ones above; secondop validate --all lists every one)"
            )
        return "\n".join(lines)


class ParameterError(ValueError):
    """A parameter given to a report, a cost rule or a command is not one of the valid values."""
