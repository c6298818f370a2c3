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

    def __init__(self, violations: Sequence[Violation], folder: str = "") -> None:
        self.violations = list(violations)
        head = f"{len(self.violations)} problem(s) in the evidence"
        if folder:
            head += f" at {folder}"
        lines = [head + ":"] + [f"  - {v}" for v in self.violations]
        super().__init__("\n".join(lines))


class ParameterError(ValueError):
    """A parameter given to a report, a cost rule or a command is not one of the valid values."""
