"""Small constructors for the widgets the apps repeat, so they look and behave alike."""

from __future__ import annotations

import ipywidgets as w


def checkbox(description: str, value: bool = True) -> w.Checkbox:
    """A checkbox with its label beside it (no indent), as wide as its label."""
    return w.Checkbox(
        value=value, description=description, indent=False, layout=w.Layout(width="auto")
    )
