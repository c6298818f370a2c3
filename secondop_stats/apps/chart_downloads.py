"""Downloads of a chart as SVG and PNG, each made when asked for (a PNG rendered, or an SVG
sent, on every filter change would slow the apps down)."""

from __future__ import annotations

from collections.abc import Callable

from .file_download import DownloadFile, FileDownloads


class ChartDownloads(FileDownloads):
    """ "Chart (SVG)" and "Chart (PNG)" buttons for the chart currently shown."""

    def __init__(self, stem: str, make_svg: Callable[[], bytes], make_png: Callable[[], bytes]):
        super().__init__(
            [
                DownloadFile("svg", "Chart (SVG)", f"{stem}.svg", "image/svg+xml", make_svg),
                DownloadFile("png", "Chart (PNG)", f"{stem}.png", "image/png", make_png),
            ]
        )
