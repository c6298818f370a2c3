"""Forest plot of per-study rates and their random-effects pooled proportion.

Layout is set in inches so that 3 to 60 studies stay readable with fixed font
sizes: each study gets a row of constant height and the figure grows with the
rows. Colours are Okabe-Ito (colour-blind safe). Only figure creation touches
pyplot; everything else uses the object-oriented API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from secondop_stats.stats import RECONSTRUCTED_MARK, PooledResult, PoolMethod, pool_table

__all__ = ["OKABE_ITO", "forest"]

#: Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
STUDY_COLOUR = OKABE_ITO["blue"]
POOLED_COLOUR = OKABE_ITO["vermillion"]
PREDICTION_COLOUR = OKABE_ITO["orange"]

FONT_SIZE = 9
TITLE_SIZE = 12
MAX_LABEL_CHARS = 52  # a first cut; labels are then fitted to the column width


@dataclass(frozen=True)
class _Layout:
    """Figure geometry in inches for a given number of studies."""

    rows: int
    row_height: float = 0.27
    width: float = 10.0
    left: float = 3.5  # study labels
    right: float = 2.6  # rate [CI] and weight columns
    top: float = 0.95  # title and column headers
    bottom: float = 1.1  # x axis, the summary line and a footnote

    @property
    def plot_height(self) -> float:
        return self.rows * self.row_height

    @property
    def height(self) -> float:
        return self.top + self.plot_height + self.bottom

    def axes_rect(self) -> tuple[float, float, float, float]:
        """Axes position as fractions of the figure (left, bottom, width, height)."""
        plot_width = self.width - self.left - self.right
        return (
            self.left / self.width,
            self.bottom / self.height,
            plot_width / self.width,
            self.plot_height / self.height,
        )

    def x(self, inches: float) -> float:
        """Horizontal figure fraction of a position in inches from the left edge."""
        return inches / self.width


def forest(
    data: PooledResult | pd.DataFrame,
    subgroup: pd.Series | Mapping[str, object] | None = None,
    *,
    method: PoolMethod = "REML",
    level: float = 0.95,
    title: str | None = None,
    exclude_nonobserved: bool = False,
) -> Figure:
    """Draw a forest plot and return the Figure (not shown, not closed).

    ``data`` is either a PooledResult (labels used as given) or a figure table of
    one metric, e.g. ``forest(table[table.metric == "diagnosis_changed"])``; a
    table is pooled with :func:`secondop_stats.stats.pool_table` (same screening
    as ``pool_figures``). ``subgroup`` may be a row of ``pool_figures`` output:
    the table is then restricted to that row's ``figure_ids`` (or matched on the
    columns the row shares with the table).

    Per-study intervals are Wilson intervals on the reported counts; the diamond
    is the pooled CI and the orange bar the prediction interval.
    """
    if isinstance(data, PooledResult):
        result, default_title = data, "Pooled proportion"
    else:
        table = _select_subgroup(data, subgroup)
        result = pool_table(
            table, method=method, level=level, exclude_nonobserved=exclude_nonobserved
        )
        default_title = _table_title(table)
    return _draw(result, title if title is not None else default_title)


def _select_subgroup(
    table: pd.DataFrame, subgroup: pd.Series | Mapping[str, object] | None
) -> pd.DataFrame:
    """Rows of ``table`` belonging to a pool_figures row (all rows without one)."""
    if subgroup is None:
        return table
    row = dict(subgroup)
    if "figure_ids" in row:
        return table[table["figure_id"].isin(list(row["figure_ids"]))]
    keep = pd.Series(True, index=table.index)
    for column in (
        "metric",
        "design",
        "condition",
        "condition_group",
        "initiation",
        "setting",
        "country",
        "outcome",
    ):
        if column in row and column in table.columns:
            value = row[column]
            keep &= table[column].isna() if pd.isna(value) else table[column].eq(value)
    return table[keep]


def _table_title(table: pd.DataFrame) -> str:
    """Metric label, plus condition and design when the table holds only one."""
    parts = []
    for column in ("metric_label", "condition", "design"):
        if column in table.columns:
            values = table[column].dropna().unique()
            if len(values) == 1:
                parts.append(str(values[0]).replace("_", " "))
    if not parts and "metric" in table.columns:
        parts = [str(v) for v in table["metric"].dropna().unique()[:1]]
    return " · ".join(parts) if parts else "Pooled proportion"


def _split_suffix(label: str) -> tuple[str, str]:
    """Split "Name (n = 1,234)" into the name and the " (n = …)" suffix to keep."""
    head, sep, tail = label.rpartition(" (")
    return (head, sep + tail) if sep and tail.endswith(")") else (label, "")


def _short(label: str, max_chars: int = MAX_LABEL_CHARS) -> str:
    """Cut a label to ``max_chars``, keeping its "(n = …)" suffix."""
    if len(label) <= max_chars:
        return label
    name, suffix = _split_suffix(label)
    keep = max(4, max_chars - len(suffix) - 1)
    return name[:keep].rstrip() + "…" + suffix


def _fit_width(text: Text, max_inches: float) -> None:
    """Shorten a label (keeping its "(n = …)") until it is at most ``max_inches`` wide."""
    limit = max_inches * text.figure.dpi
    label = text.get_text()
    while text.get_window_extent().width > limit and len(label) > 8:
        label = _short(label, len(label) - 2)
        text.set_text(label)


def _draw(result: PooledResult, title: str) -> Figure:
    layout = _Layout(rows=result.k + 3)
    fig = plt.figure(figsize=(layout.width, layout.height))
    ax = fig.add_axes(layout.axes_rect())
    studies = result.study_table()
    # Rows from the top: one per study, a gap, the pooled diamond, the prediction bar.
    y_study = np.arange(result.k, 0, -1) + 2.0
    y_pooled, y_pi = 1.5, 0.5
    ax.set_ylim(0, result.k + 3)

    _draw_studies(ax, studies, y_study)
    _draw_pooled(ax, result, y_pooled, y_pi, top=y_study[0] + 0.5)
    _format_axis(ax, studies, result)
    _draw_text_columns(fig, ax, layout, studies, result, y_study, y_pooled, y_pi)

    title = title if len(title) <= 90 else title[:89] + "…"
    fig.text(
        layout.x(0.15),
        1 - 0.3 / layout.height,
        title,
        fontsize=TITLE_SIZE,
        fontweight="bold",
        va="top",
        ha="left",
    )
    footer = result.summary_line()
    if any(RECONSTRUCTED_MARK in str(label) for label in result.labels):
        footer += f"\n{RECONSTRUCTED_MARK} count reconstructed from the reported percent and n"
    fig.text(
        layout.x(0.15),
        0.2 / layout.height,
        footer,
        fontsize=FONT_SIZE,
        va="bottom",
        ha="left",
        color="#333333",
    )
    return fig


def _draw_studies(ax: Axes, studies: pd.DataFrame, y: np.ndarray) -> None:
    """Wilson interval lines and squares with area proportional to the weight."""
    ax.hlines(
        y,
        100 * studies["ci_low"],
        100 * studies["ci_high"],
        color=OKABE_ITO["black"],
        linewidth=1.0,
        zorder=2,
    )
    weight = studies["weight"].to_numpy()
    area = 12 + 130 * weight / weight.max()  # points², smallest still visible
    ax.scatter(
        100 * studies["rate"],
        y,
        s=area,
        marker="s",
        color=STUDY_COLOUR,
        edgecolors="none",
        zorder=3,
    )


def _draw_pooled(ax: Axes, result: PooledResult, y: float, y_pi: float, top: float) -> None:
    """Diamond for the pooled CI, a bar for the prediction interval, a reference line."""
    est, low, high = (100 * v for v in (result.estimate, result.ci_low, result.ci_high))
    diamond = Polygon(
        [(low, y), (est, y + 0.32), (high, y), (est, y - 0.32)],
        closed=True,
        facecolor=POOLED_COLOUR,
        edgecolor=POOLED_COLOUR,
        zorder=3,
    )
    ax.add_patch(diamond)
    ax.vlines(
        est, y, top, color=POOLED_COLOUR, linestyle=(0, (4, 3)), linewidth=0.8, alpha=0.7, zorder=1
    )
    if result.k > 1:
        ax.errorbar(
            est,
            y_pi,
            xerr=[[est - 100 * result.pi_low], [100 * result.pi_high - est]],
            fmt="none",
            ecolor=PREDICTION_COLOUR,
            elinewidth=4,
            capsize=0,
            zorder=2,
        )
    ax.axhline(y + 0.55, color="#999999", linewidth=0.6, zorder=0)


def _format_axis(ax: Axes, studies: pd.DataFrame, result: PooledResult) -> None:
    """Percent x axis covering every interval, no y ticks, light grid."""
    values = (
        np.concatenate([studies["ci_low"], studies["ci_high"], [result.pi_low, result.pi_high]])
        * 100
    )
    values = values[np.isfinite(values)]
    low, high = values.min(), values.max()
    pad = max(1.0, 0.04 * (high - low))
    # Data never leave [0, 100]; the small margin keeps squares at 0% or 100% whole.
    ax.set_xlim(max(-2.0, low - pad), min(102.0, high + pad))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}%"))
    ax.tick_params(axis="x", labelsize=FONT_SIZE)
    ax.set_xlabel("Proportion (study: Wilson CI; pooled: random effects)", fontsize=FONT_SIZE)
    ax.set_yticks([])
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def _draw_text_columns(
    fig: Figure,
    ax: Axes,
    layout: _Layout,
    studies: pd.DataFrame,
    result: PooledResult,
    y_study: np.ndarray,
    y_pooled: float,
    y_pi: float,
) -> None:
    """Labels on the left; rate [CI] and weight on the right; headers on top."""
    transform = blended_transform_factory(fig.transFigure, ax.transData)
    x_label = layout.x(0.15)
    x_rate = layout.x(layout.width - layout.right + 0.2)
    x_weight = layout.x(layout.width - 0.15)
    pct = round(100 * result.level)
    y_header = result.k + 2.8

    def text(x: float, y: float, s: str, **kwargs: object) -> Text:
        return fig.text(x, y, s, transform=transform, fontsize=FONT_SIZE, va="center", **kwargs)

    text(x_label, y_header, "Study", fontweight="bold")
    text(x_rate, y_header, f"Rate [{pct}% CI]", fontweight="bold")
    text(x_weight, y_header, "Weight", fontweight="bold", ha="right")
    for row, y in zip(studies.itertuples(index=False), y_study, strict=True):
        _fit_width(text(x_label, y, _short(row.label)), layout.left - 0.3)
        text(x_rate, y, _rate_text(row.rate, row.ci_low, row.ci_high))
        text(x_weight, y, f"{row.weight:.1f}%", ha="right")
    pooled_label = "Pooled (single study)" if result.k == 1 else f"Pooled, {result.method}"
    text(x_label, y_pooled, pooled_label, fontweight="bold", color=POOLED_COLOUR)
    text(
        x_rate,
        y_pooled,
        _rate_text(result.estimate, result.ci_low, result.ci_high),
        fontweight="bold",
    )
    text(x_weight, y_pooled, "100%", ha="right", fontweight="bold")
    if result.k > 1:
        text(x_label, y_pi, f"{pct}% prediction interval", color="#333333")
        text(
            x_rate,
            y_pi,
            f"[{100 * result.pi_low:.1f}, {100 * result.pi_high:.1f}]",
            color="#333333",
        )


def _rate_text(rate: float, low: float, high: float) -> str:
    return f"{100 * rate:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"
