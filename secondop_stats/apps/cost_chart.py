"""Chart of the providers app: what the patient pays per service, and the spend per changed
diagnosis or treatment, side by side on one row per service."""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

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


def finite(values: pd.Series) -> np.ndarray:
    """Values as floats with NaN for missing (for plotting)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _label(row: dict) -> str:
    """ "Cleveland Clinic · eCleveland Clinic MyConsult… (2005)": name, program, price year."""
    text = f"{_short(str(row['name']), 26)} · {_short(str(row['program']), 22)}"
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


def cost_chart_svg(frame: pd.DataFrame, title: str, rate_text: str) -> bytes:
    """SVG of the chart for the priced services in ``frame`` (a cost_frame)."""
    fig = cost_chart_figure(frame, title, rate_text)
    buffer = io.BytesIO()
    with mpl.rc_context(_SVG_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def cost_chart_png(frame: pd.DataFrame, title: str, rate_text: str) -> bytes:
    """PNG of the same chart."""
    fig = cost_chart_figure(frame, title, rate_text)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def cost_chart_figure(frame: pd.DataFrame, title: str, rate_text: str) -> Figure:
    """The chart for the priced services in ``frame`` (a cost_frame), as a Figure."""
    rows = frame[frame["compare_low"].notna()].reset_index(drop=True)
    n = max(len(rows), 1)
    height = 1.3 + 0.3 * n
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=72)
    bottom, top = 0.75 / height, 1 - 0.55 / height
    left_ax = fig.add_axes((0.37, bottom, 0.28, top - bottom))
    right_ax = fig.add_axes((0.69, bottom, 0.29, top - bottom), sharey=left_ax)
    y = np.arange(len(rows))
    latest = int(rows["today_year"].iloc[0]) if len(rows) else ""
    price_low, price_high = finite(rows["compare_low"]), finite(rows["compare_high"])
    oop_low, oop_high = finite(rows["pays_compare_low"]), finite(rows["pays_compare_high"])
    _ranges(left_ax, y, price_low, price_high, _PRICE, "full price", width=9)
    _ranges(left_ax, y, oop_low, oop_high, _PATIENT, "you pay (estimate)", width=4)
    unknown = ~np.isfinite(oop_low)
    if unknown.any():
        left_ax.plot(
            np.zeros(unknown.sum()), y[unknown], "x", color="#52606d", label="your share not known"
        )
    left_ax.set_title(f"Price and what you pay ({latest} dollars)", fontsize=10, loc="left")
    left_ax.legend(loc="lower right", fontsize=SMALL_PT, frameon=False)

    est_low, est_high = finite(rows["per_change_low"]), finite(rows["per_change_high"])
    ci_low, ci_high = finite(rows["per_change_ci_low"]), finite(rows["per_change_ci_high"])
    _ranges(right_ax, y, est_low, est_high, _CHANGE, "price ÷ rate", width=6)
    whisker = np.isfinite(ci_low) & np.isfinite(ci_high)
    right_ax.hlines(y[whisker], ci_low[whisker], ci_high[whisker], color=_CHANGE, linewidth=1)
    patient = finite(rows["pays_per_change_low"])
    right_ax.plot(patient, y, "o", color=_PATIENT, markersize=4, label="your share ÷ rate")
    right_ax.set_title("Spent per changed decision", fontsize=10, loc="left")
    right_ax.legend(loc="lower right", fontsize=SMALL_PT, frameon=False)

    for ax in (left_ax, right_ax):
        ax.xaxis.set_major_formatter(_DOLLARS)
        ax.grid(axis="x", color="#e4e7eb")
        ax.set_axisbelow(True)
        ax.set_xlim(left=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", labelsize=SMALL_PT)
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
        left_ax.text(
            0.5,
            0.5,
            "No priced service to show",
            transform=left_ax.transAxes,
            ha="center",
            va="center",
            color="#616e7c",
        )
    return fig
