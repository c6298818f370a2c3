"""Small constructors for the widgets the apps repeat, so they look and behave alike."""

from __future__ import annotations

import ipywidgets as w
import traitlets


def checkbox(description: str, value: bool = True) -> w.Checkbox:
    """A checkbox with its label beside it (no indent), as wide as its label."""
    return w.Checkbox(
        value=value, description=description, indent=False, layout=w.Layout(width="auto")
    )


#: Marks content MathJax must leave alone: "$1,000 to $2,500" is money, not mathematics.
NO_MATH = "tex2jax_ignore"


class Html(w.HTML):
    """An HTML widget whose content is never typeset as mathematics (JupyterLab and Voilà run
    MathJax over HTML widgets, which turns text between two dollar signs into formulas)."""

    @traitlets.validate("value")
    def _no_math(self, proposal: dict) -> str:
        value = proposal["value"] or ""
        if value.startswith(f'<div class="{NO_MATH}">'):
            return value
        return f'<div class="{NO_MATH}">{value}</div>'
