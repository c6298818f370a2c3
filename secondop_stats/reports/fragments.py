"""Small, escaped HTML fragments for static reports: tables, figures, lists, notes.

Every piece of data goes through pandas' ``to_html(escape=True)`` or :func:`html.escape`, so a
value such as ``<script>`` in the evidence shows as text. Figures become PNG data URIs rendered
with fixed metadata, so the same figure always gives the same bytes and the page needs no
JavaScript, no network and no widget state to read.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_DPI = 110


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def heading(text: str, level: int = 2, anchor: str | None = None) -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<h{level}{ident}>{esc(text)}</h{level}>"


def paragraph(text: str, css_class: str | None = None) -> str:
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f"<p{cls}>{esc(text)}</p>"


def note(text: str) -> str:
    """A muted explanatory paragraph."""
    return paragraph(text, "so-note")


def bullet_list(items: Iterable[str], css_class: str | None = None) -> str:
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f"<ul{cls}>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def definition_list(pairs: Iterable[tuple[str, str]], css_class: str | None = None) -> str:
    cls = f' class="{esc(css_class)}"' if css_class else ""
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs)
    return f"<dl{cls}>{body}</dl>"


def table(
    frame: pd.DataFrame,
    caption: str | None = None,
    empty: str = "Nothing to show.",
    min_widths: Mapping[str, str] | None = None,
) -> str:
    """A data table with escaped cells and headers, no index, and "—" for missing values.

    ``min_widths`` maps column names to CSS widths (e.g. ``{"95% CI": "7em"}``) for short
    columns that should not wrap. Every cell names its column in ``data-label``: on a phone
    the style sheet turns each row into a card of "column: value" lines.
    """
    if frame.empty:
        return note(empty)
    widths = {c: w for c, w in (min_widths or {}).items() if c in frame.columns}
    body = frame.to_html(
        index=False,
        escape=True,
        na_rep="—",
        border=0,
        classes="so-table",
        justify="left",
        col_space=widths or None,
    )
    body = labelled_cells(body, [_column_label(c) for c in frame.columns])
    if caption:
        body = body.replace(">", f"><caption>{esc(caption)}</caption>", 1)
    return f'<div class="so-table-wrap">{body}</div>'


def _column_label(column: object) -> str:
    """A column's header as one line of text (the levels of a multi-level header joined)."""
    if isinstance(column, tuple):
        return " ".join(str(level) for level in column if str(level))
    return str(column)


_BODY_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)


def labelled_cells(table_html: str, labels: Sequence[str]) -> str:
    """``table_html`` (pandas' ``to_html`` without index) with each body cell's column name in
    a ``data-label`` attribute. Cell text is escaped, so ``<td>`` only ever opens a cell."""
    head, sep, rest = table_html.partition("<tbody>")
    if not sep:
        return table_html
    openings = [f'<td data-label="{esc(label)}">' for label in labels]

    def label_row(match: re.Match[str]) -> str:
        cells = iter(openings)
        row = re.sub(r"<td>", lambda _: next(cells, "<td>"), match.group(1))
        return f"<tr>{row}</tr>"

    return head + sep + _BODY_ROW.sub(label_row, rest)


def png_bytes(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """Render a figure to PNG bytes that depend only on the figure (no software or date tag)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def figure(fig: Figure, alt: str, caption: str | None = None, dpi: int = PNG_DPI) -> str:
    """Embed a figure as a PNG data URI with alt text and an optional caption."""
    return image(png_bytes(fig, dpi), alt, caption, width_px=round(fig.get_figwidth() * 96))


def image(png: bytes, alt: str, caption: str | None = None, width_px: int | None = None) -> str:
    """Embed PNG bytes as a data URI (shown at most ``width_px`` wide) with alt text."""
    data = base64.b64encode(png).decode("ascii")
    style = f' style="max-width:{int(width_px)}px"' if width_px else ""
    img = f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}"{style}>'
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure class="so-figure">{img}{cap}</figure>'


def links(pairs: Sequence[tuple[str, str]]) -> str:
    """Inline links ``label`` → ``url``; only http(s) addresses become links."""
    out = []
    for label, url in pairs:
        if url.startswith(("https://", "http://")):
            out.append(f'<a href="{esc(url)}">{esc(label)}</a>')
    return " · ".join(out)


def details(summary: str, body: str, is_open: bool = False) -> str:
    """A collapsible block that needs no script: ``summary`` (escaped) shows ``body`` (markup)."""
    flag = " open" if is_open else ""
    return f"<details{flag}><summary>{esc(summary)}</summary>{body}</details>"


def section(*parts: str, css_class: str = "so-section") -> str:
    """Join fragments into one block."""
    return f'<section class="{esc(css_class)}">' + "".join(parts) + "</section>"
