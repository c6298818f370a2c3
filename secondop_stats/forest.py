"""The forest plot of secondop, for the explorer and the reports alike: one matplotlib Figure
whose artists are updated, so that it redraws in milliseconds.

Re-creating axes, ticks and texts on every widget change costs ~100 ms on a small machine; here
the Figure, its axes, line collections and a pool of text artists are made once and only their
data change. The plot is written as SVG with live text (no glyph rasterisation), which is both
the fastest output of matplotlib and sharp at any zoom.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import ScaledTranslation

from .palette import OKABE_ITO
from .text import interval, is_missing, percent

RowKind = Literal["study", "excluded", "bound", "pooled", "header"]

#: Short marks after a study's label for figures not read in a peer-reviewed report.
SOURCE_NOTE = {
    "article": "article",
    "press": "press",
    "website": "web",
    "modelling": "model",
    "industry": "industry",
}

_ROW_INCHES = 0.26
_TOP_INCHES = 0.55
_BOTTOM_INCHES = 1.1
_WIDTH_INCHES = 11.0
_LEFT = 0.31
_RIGHT = 0.66
_INK = OKABE_ITO["blue"]
_POOLED = OKABE_ITO["vermillion"]
_PREDICTION = OKABE_ITO["orange"]
_GRID = "#e4e7eb"
_FAINT = "#7b8794"

LEGEND = (
    "■ figure with its 95% Wilson interval   ○ no interval, or not in the pooled estimate "
    "(re-report, subset or bound)\n- - reported range   ◆ pooled estimate (95% CI)   "
    "▬ 95% prediction interval"
)
#: Axes x (fraction of its width) of the figure's left edge, plus a small margin.
_HEADER_X = -(_LEFT - 0.01) / (_RIGHT - _LEFT)
_SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "secondop-forest"}


@dataclass(frozen=True)
class ForestRow:
    """One line of the forest plot; estimates and limits are proportions (0-1)."""

    label: str
    kind: RowKind = "study"
    estimate: float = math.nan
    low: float = math.nan
    high: float = math.nan
    text: str = ""
    pi_low: float = math.nan
    pi_high: float = math.nan


def _finite(*values: float) -> bool:
    return all(not is_missing(v) and math.isfinite(float(v)) for v in values)


#: Longest row label, in characters: at 10 px DejaVu Sans it ends inside the figure's left
#: margin (a test draws every figure of the evidence and checks no label is cut).
LABEL_CHARS = 42


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def study_row(record: dict, pooled_ids: frozenset[str] = frozenset()) -> ForestRow:
    """A figure as a row: its estimate and interval, or the range it bounds. Figures that did not
    enter the pooled estimate (``pooled_ids`` given) are drawn hollow, as bounds are."""
    kind_note = SOURCE_NOTE.get(record.get("source_class", ""), "")
    suffix = f" [{kind_note}]" if kind_note else ""
    n = record.get("n_used")
    if not is_missing(n):
        suffix += f" (n = {int(n):,})"
    # The study's name gives way, so that the kind of source and n are always shown in full.
    name = str(record.get("label") or record["study_id"])
    label = _short(name, LABEL_CHARS - len(suffix)) + suffix
    text = record.get("percent_text", "")
    if record.get("interval_text"):
        text = f"{text} ({record['interval_text']})"
    if record.get("qualifier") == "range":
        low, high = record["percent_low"] / 100, record["percent_high"] / 100
        return ForestRow(label, "bound", math.nan, low, high, text)
    est = math.nan if is_missing(record.get("percent")) else float(record["percent"]) / 100
    kind: RowKind = "study"
    if record.get("qualifier") not in ("exact", "approximately"):
        kind = "bound"
    elif pooled_ids and record["figure_id"] not in pooled_ids:
        kind = "excluded"
    return ForestRow(
        label,
        kind,
        est,
        float(record["ci_low"]) if _finite(record.get("ci_low", math.nan)) else math.nan,
        float(record["ci_high"]) if _finite(record.get("ci_high", math.nan)) else math.nan,
        text,
    )


def pooled_row(record: dict, label: str) -> ForestRow:
    """A pooled subgroup as a diamond row with its prediction interval and I²."""
    k = int(record["k"])
    text = f"{percent(record['estimate'])} ({interval(record['ci_low'], record['ci_high'])})"
    if k > 1 and _finite(record.get("i2", math.nan)):
        text += f" · I² {record['i2']:.0f}%"
    if record.get("certainty"):
        text += f" · certainty {record['certainty']}"
    has_pi = k > 1 and _finite(record.get("pi_low", math.nan), record.get("pi_high", math.nan))
    return ForestRow(
        f"{label} (k = {k})" if k > 1 else "Single study (k = 1)",
        "pooled",
        float(record["estimate"]),
        float(record["ci_low"]),
        float(record["ci_high"]),
        text,
        float(record["pi_low"]) if has_pi else math.nan,
        float(record["pi_high"]) if has_pi else math.nan,
    )


def _order(record: dict) -> tuple:
    year = record.get("year")
    return (math.inf if is_missing(year) else int(year), str(record.get("label")))


def forest_rows(
    records: Sequence[dict],
    pooled: Sequence[dict],
    by: Sequence[str],
    group_label: Callable[[object], str] = str,
    max_rows: int = 90,
) -> list[ForestRow]:
    """Rows for the selected figures (dicts of the prepared table) and pooled subgroups (dicts
    of a :func:`~secondop_stats.stats.pool_figures` table).

    With subgroups (``by``), each group gets a header, its figures by year and its pooled
    diamond; otherwise the figures are listed by metric and year, then one pooled row.
    Figures left out of the pooled estimate are drawn hollow.
    """
    pooled_records = list(pooled)
    pooled_ids = frozenset(f for r in pooled_records for f in r["figure_ids"])
    rows: list[ForestRow] = []
    if not by:
        ordered = sorted(records, key=lambda r: (str(r["metric"]), *_order(r)))
        rows = [study_row(r, pooled_ids) for r in ordered]
        if pooled_records and _finite(pooled_records[0]["estimate"]):
            rows.append(pooled_row(pooled_records[0], "Pooled, random effects"))
        return _capped(rows, max_rows)
    col = by[0]
    estimates = {str(r[col]): r for r in pooled_records}
    groups: dict[str, list[dict]] = {}
    for record in records:
        groups.setdefault(str(record[col]), []).append(record)
    for value in sorted(groups):
        rows.append(ForestRow(group_label(value), "header"))
        rows.extend(study_row(r, pooled_ids) for r in sorted(groups[value], key=_order))
        estimate = estimates.get(value)
        if estimate is not None and _finite(estimate["estimate"]):
            rows.append(pooled_row(estimate, "Pooled"))
    return _capped(rows, max_rows)


def _capped(rows: list[ForestRow], max_rows: int) -> list[ForestRow]:
    """At most ``max_rows`` rows, the last saying how many were left out."""
    if len(rows) <= max_rows:
        return rows
    left_out = len(rows) - max_rows + 1
    return [
        *rows[: max_rows - 1],
        ForestRow(f"… {left_out} more rows: narrow the filters", "header"),
    ]


class ForestCanvas:
    """A reusable forest plot: call :meth:`draw` with rows, read the SVG bytes it returns."""

    def __init__(self, xlabel: str = "percent of cases (95% interval)") -> None:
        self.figure = Figure(figsize=(_WIDTH_INCHES, 3.0), dpi=72)
        ax = self.figure.add_axes((_LEFT, 0.2, _RIGHT - _LEFT, 0.7))
        self.ax = ax
        ax.set_xlim(0, 1)
        # The axis is drawn by hand: matplotlib's Axis machinery re-lays out its ticks on every
        # draw and would cost more than everything else here.
        ax.set_axis_off()
        xaxis = ax.get_xaxis_transform()
        ticks = np.linspace(0, 1, 6)
        ax.add_collection(
            LineCollection(
                [[(x, 0), (x, 1)] for x in ticks],
                colors=_GRID,
                linewidths=0.8,
                transform=xaxis,
                zorder=0,
            )
        )
        ax.plot([0, 1], [0, 0], color="#52606d", linewidth=0.9, transform=xaxis, zorder=1)
        below = ScaledTranslation(0, -4 / 72, self.figure.dpi_scale_trans)
        for x in ticks:
            ax.text(x, 0, f"{x:.0%}", ha="center", va="top", transform=xaxis + below)
        label_offset = ScaledTranslation(0, -20 / 72, self.figure.dpi_scale_trans)
        ax.text(0.5, 0, xlabel, ha="center", va="top", transform=xaxis + label_offset)
        self._ci = LineCollection([], colors=_INK, linewidths=1.2)
        self._faint = LineCollection([], colors=_FAINT, linewidths=1.2)
        self._bounds = LineCollection([], colors="#7b8794", linewidths=1.6, linestyles="dashed")
        self._pi = LineCollection([], colors=_PREDICTION, linewidths=3.0, alpha=0.8)
        self._diamonds = PolyCollection([], facecolors=_POOLED, edgecolors=_POOLED, zorder=3)
        for artist in (self._ci, self._faint, self._bounds, self._pi, self._diamonds):
            ax.add_collection(artist)
        (self._points,) = ax.plot([], [], "s", color=_INK, markersize=5, linestyle="none")
        (self._hollow,) = ax.plot(
            [],
            [],
            "o",
            markerfacecolor="white",
            markeredgecolor=_FAINT,
            markersize=5,
            linestyle="none",
            zorder=3,
        )
        self._legend = self.figure.text(
            0.01, 0.01, LEGEND, ha="left", va="bottom", fontsize=8, color="#52606d"
        )
        self._footer = self.figure.text(
            0.01, 0.05, "", ha="left", va="bottom", fontsize=8, color="#333333"
        )
        self._title = self.figure.text(
            0.01, 0.98, "", ha="left", va="top", fontsize=11, fontweight="bold"
        )
        self._message = ax.text(
            0.5, 0.5, "", ha="center", va="center", color="#616e7c", transform=ax.transAxes
        )
        self._labels: list[Text] = []
        self._values: list[Text] = []
        self.rows: list[ForestRow] = []

    def _text_pair(self, index: int) -> tuple[Text, Text]:
        while len(self._labels) <= index:
            trans = self.ax.get_yaxis_transform()
            self._labels.append(
                self.ax.text(-0.02, 0, "", ha="right", va="center", transform=trans, clip_on=False)
            )
            self._values.append(
                self.ax.text(1.02, 0, "", ha="left", va="center", transform=trans, clip_on=False)
            )
        return self._labels[index], self._values[index]

    def draw(
        self, rows: Sequence[ForestRow], title: str = "", message: str = "", footer: str = ""
    ) -> bytes:
        """Show ``rows`` (top to bottom) with an optional ``footer`` line under the axis (the
        pooled model's summary) and return the plot as SVG bytes."""
        self.rows = list(rows)
        n = max(len(rows), 1)
        height = _TOP_INCHES + _BOTTOM_INCHES + _ROW_INCHES * n
        self.figure.set_size_inches(_WIDTH_INCHES, height, forward=False)
        self.ax.set_position(
            (_LEFT, _BOTTOM_INCHES / height, _RIGHT - _LEFT, _ROW_INCHES * n / height)
        )
        self.ax.set_ylim(n - 0.5, -0.5)
        ci, faint, bounds, pi, diamonds = [], [], [], [], []
        points, hollow = ([], []), ([], [])
        for y, row in enumerate(rows):
            label, value = self._text_pair(y)
            label.set_text(row.label)
            label.set_y(y)
            label.set_fontweight("bold" if row.kind in ("header", "pooled") else "normal")
            # Group headers start at the figure's left edge; row labels end at the axes.
            align = "left" if row.kind == "header" else "right"
            if label.get_horizontalalignment() != align:
                label.set_x(_HEADER_X if align == "left" else -0.02)
                label.set_horizontalalignment(align)
            label.set_visible(True)
            value.set_text(row.text)
            value.set_y(y)
            value.set_visible(True)
            if row.kind == "pooled" and _finite(row.estimate, row.low, row.high):
                top, bottom = y - 0.32, y + 0.32
                diamonds.append(
                    [(row.low, y), (row.estimate, top), (row.high, y), (row.estimate, bottom)]
                )
                if _finite(row.pi_low, row.pi_high):
                    pi.append([(row.pi_low, y), (row.pi_high, y)])
            elif row.kind == "header":
                continue
            elif row.kind == "bound" and not _finite(row.estimate):
                if _finite(row.low, row.high):
                    bounds.append([(row.low, y), (row.high, y)])
            else:
                if _finite(row.low, row.high):
                    (ci if row.kind == "study" else faint).append([(row.low, y), (row.high, y)])
                if _finite(row.estimate):
                    target = points if row.kind == "study" and _finite(row.low) else hollow
                    target[0].append(row.estimate)
                    target[1].append(y)
        for extra in range(len(rows), len(self._labels)):
            self._labels[extra].set_visible(False)
            self._values[extra].set_visible(False)
        self._ci.set_segments(ci)
        self._faint.set_segments(faint)
        self._bounds.set_segments(bounds)
        self._pi.set_segments(pi)
        self._diamonds.set_verts(diamonds)
        self._points.set_data(*points)
        self._hollow.set_data(*hollow)
        self._footer.set_text(footer)
        self._footer.set_y(0.38 / height)
        self._legend.set_y(0.05 / height)
        self._title.set_text(title)
        self._title.set_y(1 - 0.12 / height)
        self._message.set_text(message if not rows else "")
        return self.svg()

    def png(self, dpi: int = 110) -> bytes:
        """The current plot as PNG bytes (for reports: no script, embeddable)."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        return buffer.getvalue()

    def svg(self) -> bytes:
        """The current plot as SVG bytes (deterministic: no date, fixed ids)."""
        buffer = io.BytesIO()
        with mpl.rc_context(_SVG_RC):
            self.figure.savefig(buffer, format="svg", metadata={"Date": None})
        return buffer.getvalue()
