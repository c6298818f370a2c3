"""Interactive apps over the evidence: ipywidgets for JupyterLab and the Voilà dashboard.

Each app is built by one function and returns an object that exposes its widgets as attributes,
its current state (the filtered table, the pooled results, the computed costs) and ``.widget``,
the root container to display. Notebooks only narrate and display; tests drive the apps by
setting widget values.

The builders are imported on first use, so that ``secondop serve`` (which only starts Voilà)
does not load ipywidgets and matplotlib.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .explorer import EvidenceExplorer, build_explorer
    from .guide import DecisionGuide, build_guide
    from .providers import ProvidersApp, build_providers

_EXPORTS = {
    "EvidenceExplorer": "explorer",
    "build_explorer": "explorer",
    "DecisionGuide": "guide",
    "build_guide": "guide",
    "ProvidersApp": "providers",
    "build_providers": "providers",
}

__all__ = [
    "DecisionGuide",
    "EvidenceExplorer",
    "ProvidersApp",
    "build_explorer",
    "build_guide",
    "build_providers",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
