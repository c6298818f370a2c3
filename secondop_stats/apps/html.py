"""Escaped HTML fragments for the apps: tables, links, notes and the shared style sheet.

Every value from the evidence goes through :func:`esc`; only :class:`Safe` strings (built here
from escaped parts) are inserted as markup, so a quote or a title can never inject HTML.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..text import is_missing

#: Styles shared by the apps; class names carry the ``so-`` prefix to stay out of Jupyter's way.
#: Widest screen (CSS px) given the phone layout: cards for tables, narrow chart drawings (the
#: style sheet's media query and the charts' phone sources both use it).
PHONE_MAX_PX = 600

STYLE = """
<style>
.so-app { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2933; max-width: 1200px; }
.so-app h2 { font-size: 1.35em; margin: 0.2em 0 0.3em; }
.so-app h3 { font-size: 1.1em; margin: 0.8em 0 0.3em; }
.so-lead { color: #52606d; margin: 0 0 0.6em; line-height: 1.4; }
.so-status { color: #323f4b; margin: 0.3em 0; }
.so-note { color: #616e7c; font-size: 0.92em; line-height: 1.4; }
.so-warn { color: #8d2b0b; background: #fff4e5; border-left: 4px solid #e98f2c;
  padding: 0.4em 0.7em; margin: 0.4em 0; }
.so-ok { background: #effcf6; border-left: 4px solid #3ebd93; padding: 0.4em 0.7em;
  margin: 0.4em 0; }
.so-scroll { max-height: 440px; overflow: auto; border: 1px solid #e4e7eb; }
table.so-table { border-collapse: collapse; font-size: 0.9em; width: 100%; }
table.so-table th { position: sticky; top: 0; background: #f5f7fa; text-align: left;
  border-bottom: 2px solid #cbd2d9; padding: 4px 6px; }
table.so-table td { border-bottom: 1px solid #e4e7eb; padding: 3px 6px; vertical-align: top;
  line-height: 1.35; }
table.so-table td.so-num, table.so-table th.so-num { text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.so-card { border: 1px solid #d9e2ec; border-radius: 6px; padding: 0.6em 0.9em;
  background: #fbfcfd; line-height: 1.45; }
.so-card blockquote { margin: 0.4em 0; padding: 0.3em 0.8em; border-left: 4px solid #9fb3c8;
  background: #f0f4f8; font-style: italic; }
.so-card dt { font-weight: 600; margin-top: 0.4em; }
.so-card dd { margin: 0 0 0 1em; }
.so-links a { margin-right: 1.2em; }
.so-links a:last-child { margin-right: 0; }
.so-download { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4em 1em; }
.so-download-button { padding: 0.35em 0.8em; border: 1px solid #1c5f91; border-radius: 4px;
  color: #1c5f91; background: #fff; font: inherit; cursor: pointer; margin-top: 0.3em; }
.so-download-button:hover { background: #e6f6ff; }
.so-download-status { color: #3e4c59; }
.so-print ul { margin: 0.2em 0 0.6em 1.2em; padding: 0; }
.so-print li { margin: 0.15em 0; }
.so-source { color: #616e7c; font-size: 0.88em; }
.so-chart img { display: block; width: 100%; max-width: 1000px; height: auto; }
/* an HTML widget is never wider than its box: wide content scrolls in its own region */
.so-app .widget-html > .widget-html-content { min-width: 0; }
/* a widget 100% wide plus its margins would overflow its box by the margins */
.so-app .jupyter-widgets { max-width: calc(100% - 2 * var(--jp-widgets-margin, 2px)) !important; }
.so-app .widget-checkbox { height: auto; min-height: var(--jp-widgets-inline-height, 28px); }
/* long labels wrap beside their box; the left padding keeps each box 24 px from a control
   beside it (WCAG 2.5.8 target spacing) */
.so-app .widget-checkbox > .widget-label-basic { display: flex; align-items: baseline;
  white-space: normal; height: auto; padding: 4px 0 4px 6px; line-height: 1.3; }
@media print { .so-noprint { display: none !important; } }
/* Phones: tables become one card per row, each value under its column name (data-label);
   labelled controls put the label above a full-width control; charts keep a readable text
   size and scroll sideways inside their own region. */
@media screen and (max-width: PHONE_MAX_PXpx) {
  .so-app table.so-table, .so-app table.so-table tbody, .so-app table.so-table tr,
  .so-app table.so-table td { display: block; width: auto; }
  .so-app table.so-table thead { display: block; position: absolute; width: 1px; height: 1px;
    overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  .so-app table.so-table tr { border: 1px solid #d9e2ec; border-radius: 6px; margin: 0 0 0.6em;
    padding: 0.3em 0.5em; background: #fff; }
  .so-app table.so-table td, .so-app table.so-table td.so-num { display: grid;
    grid-template-columns: minmax(6.5em, 38%) 1fr; gap: 0.6em; border: none; padding: 2px 0;
    text-align: left; white-space: normal; overflow-wrap: anywhere; }
  .so-app table.so-table td::before { content: attr(data-label); font-weight: 600;
    color: #3e4c59; overflow-wrap: normal; }
  .so-app table.so-table td:empty { display: none; }
  .so-app .so-scroll { max-height: 75vh !important; border: none; }
  .so-app .widget-dropdown:not(.so-year), .so-app .widget-text, .so-app .widget-select {
    flex-wrap: wrap; height: auto; width: 100% !important; }
  .so-app .widget-dropdown:not(.so-year) > .widget-label, .so-app .widget-text > .widget-label,
  .so-app .widget-select > .widget-label { width: 100% !important; max-width: 100%;
    text-align: left; white-space: normal; height: auto; line-height: 1.4; }
  .so-app .widget-dropdown:not(.so-year) > select, .so-app .widget-text > input,
  .so-app .widget-select > select { flex: 1 1 100%; max-width: 100%; }
  .so-app .widget-dropdown > select, .so-app .widget-text > input { min-height: 36px; }
  .so-app .widget-select > select { overflow-x: hidden; }  /* long choices end at the edge */
  .so-app .so-years { flex-wrap: nowrap !important; }
  .so-app .so-years > .so-year { flex: 1 1 auto; min-width: 0; width: auto !important; }
  .so-app .so-years > .so-year > .widget-label { width: auto !important; }
  .so-chart { overflow-x: auto; }
  .so-chart img { width: var(--so-legible-width, 100%); max-width: none; }
  .so-chart-narrow img { width: var(--so-narrow-width); max-width: none; }
}
</style>
""".replace("PHONE_MAX_PX", str(PHONE_MAX_PX))


class Safe(str):
    """A string of markup already escaped; inserted as is by :func:`html_table` and friends."""

    __slots__ = ()


def esc(value: Any) -> Safe:
    """Escape any value for HTML; missing values become an empty string."""
    if isinstance(value, Safe):
        return value
    if is_missing(value):
        return Safe("")
    return Safe(html.escape(str(value), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Safe:
    """Concatenate escaped parts (Safe parts are kept as they are)."""
    return Safe(esc(sep).join(esc(p) for p in parts))


def tag(name: str, content: Any = "", **attrs: Any) -> Safe:
    """``<name attrs>content</name>`` with escaped attributes and content.

    A trailing underscore in an attribute name is dropped (``class_`` gives ``class``).
    """
    rendered = "".join(
        f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"'
        for k, v in attrs.items()
        if v is not None and v is not False
    )
    return Safe(f"<{name}{rendered}>{esc(content)}</{name}>")


def link(url: Any, text: Any | None = None) -> Safe:
    """An external link opening in a new tab; plain text when the URL is not http(s)."""
    if is_missing(url) or not str(url).startswith(("http://", "https://")):
        return esc(text if text is not None else url)
    return tag("a", text if text is not None else url, href=url, target="_blank", rel="noopener")


Cell = Callable[[Mapping[str, Any]], Any]


def html_table(
    rows: pd.DataFrame | Sequence[Mapping[str, Any]],
    columns: Mapping[str, str | Cell],
    *,
    numeric: Iterable[str] = (),
    empty: str = "Nothing to show.",
    table_id: str | None = None,
) -> Safe:
    """An escaped HTML table.

    ``columns`` maps each header to a column name or to a function of the row's dict; a function
    may return :class:`Safe` markup (a link), anything else is escaped. Headers in ``numeric``
    are right-aligned. Every cell carries its header as ``data-label``, which the style sheet
    shows beside the value when a narrow screen turns the rows into cards.
    """
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    if not records:
        return tag("p", empty, class_="so-note")
    numeric = set(numeric)
    head = "".join(tag("th", h, class_="so-num" if h in numeric else None) for h in columns)
    # Each cell names its column (data-label): on a phone the rows become cards.
    opening = [
        Safe(f'<td data-label="{esc(h)}"' + (' class="so-num">' if h in numeric else ">"))
        for h in columns
    ]
    specs = list(columns.values())
    body = []
    for record in records:
        cells = []
        for start, spec in zip(opening, specs, strict=True):
            value = spec(record) if callable(spec) else record.get(spec)
            cells.append(f"{start}{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return Safe(
        f'<table class="so-table"{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def definition_list(items: Iterable[tuple[Any, Any]]) -> Safe:
    """``<dl>`` of (term, description) pairs, skipping empty descriptions."""
    parts = [
        tag("dt", term) + tag("dd", desc) for term, desc in items if not is_missing(desc) and desc
    ]
    return Safe("<dl>" + "".join(parts) + "</dl>")


def bullet_list(items: Iterable[Any]) -> Safe:
    """``<ul>`` of the given items (escaped unless Safe)."""
    return Safe("<ul>" + "".join(tag("li", item) for item in items) + "</ul>")
