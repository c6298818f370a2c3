"""Small constructors for the widgets the apps repeat, so they look and behave alike."""

from __future__ import annotations

import html

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


class YearRange(w.HBox):
    """A year range as two labelled drop-downs ("Years from", "to"): unlike a range slider,
    each control has a name and is easy to use from the keyboard. ``value`` is (first, last)."""

    value = traitlets.Tuple(traitlets.Int(), traitlets.Int())

    def __init__(self, first: int, last: int, description: str = "Years", **style: object) -> None:
        years = list(range(first, last + 1))
        self.min, self.max = first, last
        self.start = w.Dropdown(
            options=years, value=first, description=f"{description} from", **style
        )
        self.end = w.Dropdown(
            options=years,
            value=last,
            description="to",
            style={"description_width": "24px"},
            layout=w.Layout(width="110px"),
        )
        super().__init__([self.start, self.end], layout=w.Layout(align_items="center"))
        self._syncing = False
        self.value = (first, last)
        self.start.observe(self._from_controls, names="value")
        self.end.observe(self._from_controls, names="value")
        self.observe(self._to_controls, names="value")

    def _from_controls(self, change: dict) -> None:
        if not self._syncing:
            low, high = sorted((self.start.value, self.end.value))
            self.value = (low, high)

    def _to_controls(self, change: dict) -> None:
        low, high = sorted(change["new"])
        self._syncing = True
        try:
            self.start.value, self.end.value = low, high
        finally:
            self._syncing = False


def image_html(data: bytes, mime: str, alt: str, css_class: str) -> str:
    """An inline image with its alternative text (an Image widget cannot carry one)."""
    import base64

    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<img class="{html.escape(css_class)}" src="data:{mime};base64,{encoded}" '
        f'alt="{html.escape(alt, quote=True)}" style="width:100%;max-width:1000px">'
    )


def scroll_region(content: str, label: str, max_height: str) -> str:
    """A scrollable box keyboard users can reach (focusable, named region)."""
    return (
        f'<div class="so-scroll" tabindex="0" role="region" aria-label="{html.escape(label)}" '
        f'style="max-height:{max_height};overflow:auto">{content}</div>'
    )
