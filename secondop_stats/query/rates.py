"""Rates a reader can plug into a cost or a decision: pooled estimates per metric and condition
group, and single observed figures, each with its 95% interval and where it comes from."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..text import interval, percent
from .figures import PreparedEvidence
from .pooling import pool_selection

#: Metrics that say a second opinion changed something, in the order the apps offer them.
CHANGE_METRICS = (
    "treatment_changed",
    "diagnosis_changed",
    "diagnosis_or_treatment_changed",
    "surgery_not_needed",
)
ALL_GROUPS = "all"


@dataclass(frozen=True)
class RateChoice:
    """A proportion with its interval: a pooled estimate or one reported figure."""

    key: str
    label: str
    metric: str
    group: str
    rate: float
    low: float
    high: float
    kind: Literal["pooled", "figure"]
    detail: str
    figure_ids: tuple[str, ...]

    @property
    def interval(self) -> tuple[float, float] | None:
        """(low, high) when both are known."""
        if math.isfinite(self.low) and math.isfinite(self.high):
            return (self.low, self.high)
        return None

    def text(self) -> str:
        """E.g. "37.4% (95% CI 36.2–38.6%)"."""
        ci = interval(self.low, self.high)
        return f"{percent(self.rate)} (95% CI {ci})" if ci else percent(self.rate)


def pooled_rates(
    data: PreparedEvidence, metrics: Sequence[str] = CHANGE_METRICS, by_group: bool = True
) -> list[RateChoice]:
    """Pooled observed rates per metric, over all condition groups and (``by_group``) per group.

    Subgroups resting on a single study are returned as that study's figure (kind "figure").
    """
    figures = data.figures
    choices: list[RateChoice] = []
    for metric in metrics:
        rows = figures[(figures["metric"] == metric) & (figures["evidence_type"] == "observed")]
        if rows.empty:
            continue
        splits = [((), ALL_GROUPS)]
        if by_group:
            splits.append((("condition_group",), ""))
        for by, fixed_group in splits:
            outcome = pool_selection(rows, by, observed_only=True)
            for r in outcome.records:
                if not math.isfinite(r["estimate"]):
                    continue
                group = fixed_group or str(r["condition_group"])
                choices.append(_pooled_choice(data, metric, group, r))
    return choices


def _pooled_choice(data: PreparedEvidence, metric: str, group: str, r: dict) -> RateChoice:
    where = "all conditions" if group == ALL_GROUPS else data.label("condition_group", group)
    k = int(r["k"])
    if k > 1:
        detail = (
            f"pooled from {k} studies ({r['n_total']:,} cases) with a {r.get('model') or 'GLMM'}"
            f", I² {r['i2']:.0f}%, range in a new setting {interval(r['pi_low'], r['pi_high'])}"
        )
    else:
        detail = f"a single study ({r['n_total']:,} cases)"
    if r.get("certainty"):
        detail += f"; certainty {r['certainty']}"
        if r.get("certainty_reasons"):
            detail += " (" + "; ".join(r["certainty_reasons"]) + ")"
    short = f"{k} studies" if k > 1 else "1 study"
    certainty = f", certainty {r['certainty']}" if r.get("certainty") else ""
    label = (
        f"{data.label('metric', metric)} · {where} · {percent(r['estimate'])} ({short}{certainty})"
    )
    return RateChoice(
        key=f"pooled:{metric}:{group}",
        label=label,
        metric=metric,
        group=group,
        rate=float(r["estimate"]),
        low=float(r["ci_low"]),
        high=float(r["ci_high"]),
        kind="pooled" if k > 1 else "figure",
        detail=detail,
        figure_ids=tuple(r["figure_ids"]),
    )


def figure_rates(
    data: PreparedEvidence, metrics: Sequence[str] = CHANGE_METRICS
) -> list[RateChoice]:
    """Observed figures from primary publications with an interval, one choice each."""
    figures = data.figures
    keep = (
        figures["metric"].isin(metrics)
        & (figures["evidence_type"] == "observed")
        & figures["is_primary_report"]
        & figures["ci_low"].notna()
        & (figures["percent"] > 0)
    )
    choices = []
    for r in data.rows(figures[keep]):
        detail = f"{r['label']}, {r['condition_label']}, n = {int(r['n_used']):,}"
        choices.append(
            RateChoice(
                key=f"figure:{r['figure_id']}",
                label=f"{r['metric_label']} · {detail} · {r['percent_text']}",
                metric=r["metric"],
                group=r["condition_group"],
                rate=float(r["percent"]) / 100,
                low=float(r["ci_low"]),
                high=float(r["ci_high"]),
                kind="figure",
                detail=detail,
                figure_ids=(r["figure_id"],),
            )
        )
    return sorted(choices, key=lambda c: (CHANGE_METRICS.index(c.metric), c.label))


def rate_choices(data: PreparedEvidence) -> dict[str, RateChoice]:
    """Every rate the cost app offers, pooled estimates first, keyed by ``RateChoice.key``."""
    return {c.key: c for c in (*pooled_rates(data), *figure_rates(data))}
