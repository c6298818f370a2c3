"""Small constructors for the widgets the apps repeat, so they look and behave alike."""

from __future__ import annotations

import html
import math

import ipywidgets as w
import traitlets

from .html import PHONE_MAX_PX


def fitted(width: str, **layout: str) -> w.Layout:
    """A layout ``width`` wide on a wide screen that shrinks to its container on a narrow one
    (a fixed pixel width would push the control off a phone's screen)."""
    return w.Layout(width=width, max_width="100%", **layout)


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
            layout=w.Layout(width="110px", min_width="96px"),
        )
        for control in (self.start, self.end):
            control.add_class("so-year")  # keeps "from ... to ..." on one line on a phone
        super().__init__(
            [self.start, self.end],
            layout=w.Layout(align_items="center", flex_flow="row wrap", max_width="100%"),
        )
        self.add_class("so-years")
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


#: Smallest text size, in CSS pixels, a chart's labels may be shown at.
MIN_TEXT_PX = 10


def legible_width(width_inches: float, text_pt: float, min_px: float = MIN_TEXT_PX) -> int:
    """Width in CSS pixels at which a chart drawn ``width_inches`` wide (72 units an inch, as
    the apps' SVGs are) shows its ``text_pt`` labels at ``min_px`` or more."""
    return math.ceil(width_inches * 72 * min_px / text_pt)


def image_html(
    data: bytes,
    mime: str,
    alt: str,
    css_class: str,
    legible_px: int | None = None,
    label: str = "Chart",
    narrow: tuple[bytes, int] | None = None,
) -> str:
    """An inline image with its alternative text (an Image widget cannot carry one), in a
    chart region. On a narrow screen the image keeps ``legible_px`` of width (its labels stay
    readable) and the region scrolls sideways; the region is focusable so that keyboards can
    scroll it too; ``label`` names the region.

    ``narrow`` is a drawing for phones (same type, same content) and its width in CSS px:
    screens up to :data:`PHONE_MAX_PX` wide show it instead, at that width, without panning."""
    import base64

    def data_uri(image: bytes) -> str:
        return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"

    styles = [f"--so-legible-width:{int(legible_px)}px"] if legible_px else []
    classes = "so-chart"
    source = ""
    if narrow is not None:
        image, narrow_px = narrow
        styles.append(f"--so-narrow-width:{int(narrow_px)}px")
        classes += " so-chart-narrow"
        source = f'<source media="(max-width: {PHONE_MAX_PX}px)" srcset="{data_uri(image)}">'
    style = f' style="{";".join(styles)}"' if styles else ""
    img = (
        f'<img class="{html.escape(css_class)}" src="{data_uri(data)}" '
        f'alt="{html.escape(alt, quote=True)}">'
    )
    return (
        f'<div class="{classes}" tabindex="0" role="region" '
        f'aria-label="{html.escape(label, quote=True)}"{style}>'
        + (f"<picture>{source}{img}</picture>" if source else img)
        + "</div>"
    )


def scroll_region(content: str, label: str, max_height: str) -> str:
    """A scrollable box keyboard users can reach (focusable, named region)."""
    return (
        f'<div class="so-scroll" tabindex="0" role="region" aria-label="{html.escape(label)}" '
        f'style="max-height:{max_height};overflow:auto">{content}</div>'
    )
