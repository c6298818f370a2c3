"""Chart of the providers app: what the patient pays per service, and the spend per changed
diagnosis or treatment. On a screen the two panels sit side by side, one row per service with
its name at the left; the narrow drawing for phones stacks them, each service's name above its
bar, so that the chart fits the screen with readable text."""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from ..palette import OKABE_ITO

_SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "secondop-costs"}
_PRICE = "#cbd2d9"
_PATIENT = OKABE_ITO["blue"]
_CHANGE = OKABE_ITO["vermillion"]
_DOLLARS = FuncFormatter(lambda x, _: f"${x:,.0f}")
#: Width of the chart, and size of its service names, ticks and legends (what a page needs
#: to show the chart at a readable size).
WIDTH_INCHES = 11
SMALL_PT = 8
#: The phone drawing: as wide as a phone's page (72 units an inch, shown at its own size) with
#: text at 10 units, which a phone then shows at 10 CSS px.
NARROW_WIDTH_INCHES = 4.5
NARROW_WIDTH_PX = round(NARROW_WIDTH_INCHES * 72)
NARROW_PT = 10
_NARROW_ROW_INCHES = 0.55


def finite(values: pd.Series) -> np.ndarray:
    """Values as floats with NaN for missing (for plotting)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _label(row: dict, name_chars: int = 26, program_chars: int = 22) -> str:
    """ "Cleveland Clinic · eCleveland Clinic MyConsult… (2005)": name, program, price year."""
    text = f"{_short(str(row['name']), name_chars)} · {_short(str(row['program']), program_chars)}"
    year = row.get("price_year")
    return f"{text} ({int(year)})" if year is not None and not pd.isna(year) else f"{text} (?)"


def _ranges(
    ax, y: np.ndarray, low: np.ndarray, high: np.ndarray, color: str, label: str, width: float = 7
) -> None:
    """A thick line from low to high per row, with end ticks so that single prices show."""
    ok = np.isfinite(low) & np.isfinite(high)
    ax.hlines(y[ok], low[ok], high[ok], colors=color, linewidth=width, label=label)
    ends = np.concatenate([low[ok], high[ok]])
    ax.plot(
        ends,
        np.concatenate([y[ok], y[ok]]),
        linestyle="none",
        marker="|",
        markersize=width + 5,
        markeredgewidth=2.5,
        color=color,
    )


def _price_panel(ax, rows: pd.DataFrame, y: np.ndarray) -> None:
    """Full price and the patient's share per service, as ranges."""
    price_low, price_high = finite(rows["compare_low"]), finite(rows["compare_high"])
    oop_low, oop_high = finite(rows["pays_compare_low"]), finite(rows["pays_compare_high"])
    _ranges(ax, y, price_low, price_high, _PRICE, "full price", width=9)
    _ranges(ax, y, oop_low, oop_high, _PATIENT, "you pay (estimate)", width=4)
    unknown = ~np.isfinite(oop_low)
    if unknown.any():
        zeros = np.zeros(unknown.sum())
        ax.plot(zeros, y[unknown], "x", color="#52606d", label="your share not known")


def _spend_panel(ax, rows: pd.DataFrame, y: np.ndarray) -> None:
    """Spend per changed decision per service: the range, the rate's interval, the patient's."""
    est_low, est_high = finite(rows["per_change_low"]), finite(rows["per_change_high"])
    ci_low, ci_high = finite(rows["per_change_ci_low"]), finite(rows["per_change_ci_high"])
    _ranges(ax, y, est_low, est_high, _CHANGE, "price ÷ rate", width=6)
    whisker = np.isfinite(ci_low) & np.isfinite(ci_high)
    ax.hlines(y[whisker], ci_low[whisker], ci_high[whisker], color=_CHANGE, linewidth=1)
    patient = finite(rows["pays_per_change_low"])
    ax.plot(patient, y, "o", color=_PATIENT, markersize=4, label="your share ÷ rate")


def _priced(frame: pd.DataFrame) -> tuple[pd.DataFrame, int, np.ndarray, int | str]:
    """The services with a price, their row count (at least 1), row positions and the year of
    the dollars shown."""
    rows = frame[frame["compare_low"].notna()].reset_index(drop=True)
    latest = int(rows["today_year"].iloc[0]) if len(rows) else ""
    return rows, max(len(rows), 1), np.arange(len(rows)), latest


def _say_nothing_priced(ax) -> None:
    ax.text(
        0.5,
        0.5,
        "No priced service to show",
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="#616e7c",
    )


def _dollar_axis(ax, text_pt: float) -> None:
    ax.xaxis.set_major_formatter(_DOLLARS)
    ax.grid(axis="x", color="#e4e7eb")
    ax.set_axisbelow(True)
    ax.set_xlim(left=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=text_pt)


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with mpl.rc_context(_SVG_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def cost_chart_svg(frame: pd.DataFrame, title: str, rate_text: str) -> bytes:
    """SVG of the chart for the priced services in ``frame`` (a cost_frame)."""
    return _svg(cost_chart_figure(frame, title, rate_text))


def cost_chart_narrow_svg(frame: pd.DataFrame, title: str, rate_text: str) -> bytes:
    """SVG of the phone drawing of the same chart."""
    return _svg(cost_chart_narrow_figure(frame, title, rate_text))


def cost_chart_png(frame: pd.DataFrame, title: str, rate_text: str) -> bytes:
    """PNG of the same chart."""
    fig = cost_chart_figure(frame, title, rate_text)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def cost_chart_figure(frame: pd.DataFrame, title: str, rate_text: str) -> Figure:
    """The chart for the priced services in ``frame`` (a cost_frame), as a Figure."""
    rows, n, y, latest = _priced(frame)
    height = 1.3 + 0.3 * n
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=72)
    bottom, top = 0.75 / height, 1 - 0.55 / height
    left_ax = fig.add_axes((0.37, bottom, 0.28, top - bottom))
    right_ax = fig.add_axes((0.69, bottom, 0.29, top - bottom), sharey=left_ax)
    _price_panel(left_ax, rows, y)
    left_ax.set_title(f"Price and what you pay ({latest} dollars)", fontsize=10, loc="left")
    left_ax.legend(loc="lower right", fontsize=SMALL_PT, frameon=False)
    _spend_panel(right_ax, rows, y)
    right_ax.set_title("Spent per changed decision", fontsize=10, loc="left")
    right_ax.legend(loc="lower right", fontsize=SMALL_PT, frameon=False)
    for ax in (left_ax, right_ax):
        _dollar_axis(ax, SMALL_PT)
    left_ax.set_yticks(y, [_label(r) for r in rows.to_dict("records")], fontsize=SMALL_PT)
    right_ax.tick_params(axis="y", labelleft=False, length=0)
    left_ax.set_ylim(n - 0.5, -0.5)
    fig.text(0.01, 1 - 0.15 / height, title, ha="left", va="top", fontsize=11, fontweight="bold")
    fig.text(
        0.01,
        0.1 / height,
        f"Rate used: {rate_text}. Whiskers: 95% interval of the rate. "
        "(?): year of the price unknown, shown as quoted.",
        ha="left",
        va="bottom",
        fontsize=SMALL_PT,
        color="#52606d",
    )
    if rows.empty:
        _say_nothing_priced(left_ax)
    return fig


def cost_chart_narrow_figure(frame: pd.DataFrame, title: str, rate_text: str) -> Figure:
    """The phone drawing: the price panel above the spend panel, each service's name above its
    bar, text at :data:`NARROW_PT`."""
    rows, n, y, latest = _priced(frame)
    panel = _NARROW_ROW_INCHES * n
    head, gap, foot = 1.0, 1.15, 0.95
    height = head + 2 * panel + gap + foot
    fig = Figure(figsize=(NARROW_WIDTH_INCHES, height), dpi=72)
    left, width = 0.04, 0.86
    price_ax = fig.add_axes((left, (foot + panel + gap) / height, width, panel / height))
    spend_ax = fig.add_axes((left, foot / height, width, panel / height), sharey=price_ax)
    _price_panel(price_ax, rows, y)
    _spend_panel(spend_ax, rows, y)
    labels = [_label(r, 22, 18) for r in rows.to_dict("records")]
    headings = (f"Price and what you pay ({latest} dollars)", "Spent per changed decision")
    for ax, heading in zip((price_ax, spend_ax), headings, strict=True):
        _dollar_axis(ax, NARROW_PT)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", left=False, labelleft=False)
        names = blended_transform_factory(ax.transAxes, ax.transData)
        for row_y, text in zip(y, labels, strict=True):
            ax.text(0, row_y - 0.28, text, transform=names, va="bottom", fontsize=NARROW_PT)
        ax.set_title(heading, fontsize=NARROW_PT + 1, loc="left", pad=26, fontweight="bold")
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            fontsize=NARROW_PT,
            frameon=False,
            ncol=2,
            borderaxespad=0.1,
            handlelength=1.2,
            columnspacing=0.8,
        )
    price_ax.set_ylim(n - 0.5, -0.75)
    fig.text(0.02, 1 - 0.12 / height, title, va="top", fontsize=NARROW_PT + 2, fontweight="bold")
    fig.text(
        0.02,
        0.08 / height,
        f"Rate used: {rate_text}.\nWhiskers: 95% interval of the rate.\n"
        "(?): year of the price unknown.",
        va="bottom",
        fontsize=NARROW_PT,
        color="#52606d",
        linespacing=1.3,
    )
    if rows.empty:
        _say_nothing_priced(price_ax)
    return fig
