"""secondop: evidence on medical second opinions, as validated data, statistics and reports.

Start with :func:`load_evidence`, which returns every table of the evidence package as pandas
DataFrames, validated against ``evidence/datapackage.json`` and the project's data rules.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .errors import EvidenceError, ParameterError

if TYPE_CHECKING:
    from .evidence import Evidence, load_evidence

try:
    __version__ = version("secondop")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Evidence", "EvidenceError", "ParameterError", "__version__", "load_evidence"]


def __getattr__(name: str) -> Any:
    """Import the evidence layer (and pandas) on first use, so that the command line starts
    light and a small import such as :mod:`secondop_stats.entry` stays small."""
    if name in ("Evidence", "load_evidence"):
        from . import evidence

        return getattr(evidence, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
