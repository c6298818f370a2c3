"""Downloads of a chart as SVG (always ready) and PNG (made on request: rendering a PNG on
every filter change would slow the apps down)."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from .controls import Html
from .downloads import download_bar, download_link


class ChartDownloads(w.HBox):
    """An SVG link kept current, and a button that makes the PNG of the chart shown."""

    def __init__(self, stem: str, make_png: Callable[[], bytes]) -> None:
        self.stem = stem
        self.make_png = make_png
        self.svg_link = Html()
        self.png_button = w.Button(description="Make a PNG", tooltip="Make a PNG of the chart")
        self.png_link = Html()
        self.png_button.on_click(self._on_png)
        super().__init__(
            [self.svg_link, self.png_button, self.png_link],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )

    def update(self, svg: bytes) -> None:
        """Offer the chart just drawn (SVG), and withdraw any PNG of an earlier chart."""
        self.svg_link.value = download_bar(
            [download_link(f"{self.stem}.svg", svg, "image/svg+xml", "Chart (SVG)")]
        )
        self.png_link.value = ""

    def _on_png(self, _button: object = None) -> None:
        self.png_link.value = download_bar(
            [download_link(f"{self.stem}.png", self.make_png(), "image/png", "Chart (PNG)")]
        )
