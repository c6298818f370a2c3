"""secondop: evidence on medical second opinions, as validated data, statistics and reports.

Start with :func:`load_evidence`, which returns every table of the evidence package as pandas
DataFrames, validated against ``evidence/datapackage.json`` and the project's data rules.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import EvidenceError, ParameterError
from .evidence import Evidence, load_evidence

try:
    __version__ = version("secondop")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Evidence", "EvidenceError", "ParameterError", "__version__", "load_evidence"]
