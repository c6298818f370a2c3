"""Sensitivity analyses for pooled outcomes: how far each pooled rate moves when refitted
another way. Plain data for the reports (and any other renderer)."""

from __future__ import annotations

import math

import pandas as pd

from .. import stats
from ..certainty import high_risk
from ..sensitivity import leave_one_out
from .pooling import ROB_COLUMNS, SENSITIVITY_MODEL, pool_selection

SENSITIVITY_COLUMNS = (
    "metric",
    "k",
    "estimate",
    "ci_low",
    "ci_high",
    "iv_estimate",
    "iv_ci_low",
    "iv_ci_high",
    "low_risk_k",
    "low_risk_estimate",
    "loo_min",
    "loo_max",
    "egger_p",
)


def without_high_risk(figures: pd.DataFrame) -> pd.DataFrame:
    """The figures of studies with fewer than two risk-of-bias items rated high."""
    keep = [
        not high_risk([str(v) for v in row])
        for row in figures[list(ROB_COLUMNS)].itertuples(index=False)
    ]
    return figures[keep]


def sensitivity_table(figures: pd.DataFrame, pooled: pd.DataFrame) -> pd.DataFrame:
    """For each pooled outcome (a row of ``pooled``) with three or more studies: the primary
    estimate, the inverse-variance REML + Hartung-Knapp estimate, the estimate without studies
    at high risk of bias, the range of leave-one-out estimates (primary model) and Egger's p."""
    rows = []
    for r in pooled.to_dict("records"):
        if int(r.get("k") or 0) < 3:
            continue
        chosen = figures[figures["figure_id"].isin(r["figure_ids"])]
        iv = pool_selection(chosen, (), True, model=SENSITIVITY_MODEL).records
        safe = without_high_risk(chosen)
        low = pool_selection(safe, (), True).records if len(safe) else ()
        screened = stats.screen_figures(chosen, by=(), exclude_nonobserved=True).pooled
        loo = leave_one_out(screened["k_used"].to_numpy(), screened["n_used"].to_numpy())
        rows.append(
            {
                "metric": r["metric"],
                "k": int(r["k"]),
                "estimate": r["estimate"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "iv_estimate": iv[0]["estimate"] if iv else math.nan,
                "iv_ci_low": iv[0]["ci_low"] if iv else math.nan,
                "iv_ci_high": iv[0]["ci_high"] if iv else math.nan,
                "low_risk_k": int(low[0]["k"]) if low else 0,
                "low_risk_estimate": low[0]["estimate"] if low else math.nan,
                "loo_min": float(loo["estimate"].min()),
                "loo_max": float(loo["estimate"].max()),
                "egger_p": r.get("egger_p"),
            }
        )
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))
