"""Forest plots of a figure table or a pooled result, drawn by secondop's one forest plot
(:class:`secondop_stats.forest.ForestCanvas`, the same the explorer shows).

Rows keep a constant height and the figure grows with them, so 3 to 60 studies stay readable;
colours are Okabe-Ito (colour-blind safe).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from .forest import ForestCanvas, ForestRow
from .palette import OKABE_ITO
from .stats import RECONSTRUCTED_MARK, PooledResult, PoolMethod, pool_table

__all__ = ["OKABE_ITO", "forest", "funnel", "result_rows"]

RECONSTRUCTED_NOTE = f"{RECONSTRUCTED_MARK} count reconstructed from the reported percent and n"


def forest(
    data: PooledResult | pd.DataFrame,
    subgroup: pd.Series | Mapping[str, object] | None = None,
    *,
    method: PoolMethod = "REML",
    level: float = 0.95,
    title: str | None = None,
    exclude_nonobserved: bool = False,
) -> Figure:
    """Draw a forest plot and return its Figure (not shown; not registered with pyplot).

    ``data`` is either a PooledResult (labels used as given) or a figure table of one metric,
    e.g. ``forest(table[table.metric == "diagnosis_changed"])``; a table is pooled with
    :func:`secondop_stats.stats.pool_table` (same screening as ``pool_figures``). ``subgroup``
    may be a row of ``pool_figures`` output: the table is then restricted to that row's
    ``figure_ids`` (or matched on the columns the row shares with the table).

    Per-study intervals are Wilson intervals on the reported counts; the diamond is the pooled
    CI and the orange bar the prediction interval; the footer gives k, I², τ² and the model.
    """
    if isinstance(data, PooledResult):
        result, default_title = data, "Pooled proportion"
    else:
        table = _select_subgroup(data, subgroup)
        result = pool_table(
            table, method=method, level=level, exclude_nonobserved=exclude_nonobserved
        )
        default_title = _table_title(table)
    footer = result.summary_line() + "   (w: study weight)"
    if any(RECONSTRUCTED_MARK in str(label) for label in result.labels):
        footer += f"   {RECONSTRUCTED_NOTE}"
    canvas = ForestCanvas(xlabel="proportion (study: Wilson CI; pooled: random effects)")
    canvas.draw(
        result_rows(result), title=title if title is not None else default_title, footer=footer
    )
    return canvas.figure


def result_rows(result: PooledResult) -> list[ForestRow]:
    """Forest rows of a pooled result: one per study (label with year and n), then the pooled
    diamond with its prediction interval."""
    rows = [
        ForestRow(
            str(r.label),
            "study",
            float(r.rate),
            float(r.ci_low),
            float(r.ci_high),
            f"{_rate_text(r.rate, r.ci_low, r.ci_high)} · w {r.weight:.1f}%",
        )
        for r in result.study_table().itertuples(index=False)
    ]
    has_pi = result.k > 1 and math.isfinite(result.pi_low) and math.isfinite(result.pi_high)
    text = _rate_text(result.estimate, result.ci_low, result.ci_high)
    rows.append(
        ForestRow(
            "Pooled (single study)" if result.k == 1 else f"Pooled, {result.method}",
            "pooled",
            float(result.estimate),
            float(result.ci_low),
            float(result.ci_high),
            text,
            float(result.pi_low) if has_pi else math.nan,
            float(result.pi_high) if has_pi else math.nan,
        )
    )
    return rows


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


def _rate_text(rate: float, low: float, high: float) -> str:
    return f"{100 * rate:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"


def funnel(events, totals, *, title: str = "Funnel plot") -> Figure:
    """Funnel plot of the logit rates (escalc, 1/2 correction) against their standard
    errors, around the REML pooled logit with its pseudo 95% limits. Not pyplot-managed."""
    import numpy as np

    from .pooling import _escalc_plo

    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    yi, vi = _escalc_plo(x, n)
    se = np.sqrt(vi)
    w = 1 / vi
    centre = float((w * yi).sum() / w.sum())
    fig = Figure(figsize=(6.5, 4.5), dpi=96)
    ax = fig.add_subplot()
    top = float(se.max()) * 1.05
    grid = np.linspace(0, top, 50)
    ax.plot(centre - 1.96 * grid, grid, color="#7b8794", linestyle="--", linewidth=1)
    ax.plot(centre + 1.96 * grid, grid, color="#7b8794", linestyle="--", linewidth=1)
    ax.axvline(centre, color=OKABE_ITO["vermillion"], linewidth=1.2)
    ax.scatter(yi, se, color=OKABE_ITO["blue"], s=18, zorder=3)
    ax.set_ylim(top, 0)
    ax.set_xlabel("logit of the rate")
    ax.set_ylabel("standard error")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.grid(color="#e4e7eb")
    fig.tight_layout()
    return fig
