"""One answer per question: the dashboard and the reports show the same numbers.

For every plan and condition group, the providers app and a report built for that plan show
identical prices and patient shares, and the explorer opened on a condition group with primary
publications of observed studies shows the report's key figures and pooled estimates.
"""

from __future__ import annotations

import pandas as pd
import pytest

from secondop_stats.apps import build_explorer, build_providers
from secondop_stats.costs import PLANS
from secondop_stats.reports import content
from secondop_stats.reports.params import ALL, condition_groups

COST_COLUMNS = [
    "provider_id",
    "price_low_usd",
    "price_high_usd",
    "price_low_today",
    "price_high_today",
    "status",
    "rule",
    "pays_low_today",
    "pays_high_today",
    "pays_low_quoted",
    "pays_high_quoted",
]


@pytest.fixture(scope="module")
def providers_app():
    return build_providers()


@pytest.fixture(scope="module")
def explorer():
    return build_explorer()


@pytest.mark.parametrize("plan", PLANS)
def test_providers_app_and_report_show_the_same_costs(providers_app, plan) -> None:
    providers_app.set_state({"plan": plan, "year": 2026})
    shown = providers_app.table()[COST_COLUMNS].reset_index(drop=True)
    ctx = content.prepare(condition=ALL, plan=plan, year=2026)
    reported = ctx.providers[COST_COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(shown, reported)
    # The rendered report table carries the same patient shares.
    frame = content.provider_frame(ctx)
    column = next(
        c for c in frame.columns if c.startswith("You pay, estimate (") and "quoted" not in c
    )
    assert len(frame[column]) == len(shown)


def _groups() -> list[str]:
    from secondop_stats import load_evidence

    return [ALL, *condition_groups(load_evidence())]


@pytest.mark.parametrize("group", _groups())
def test_explorer_and_report_show_the_same_figures_and_pooled_rates(explorer, group) -> None:
    ctx = content.prepare(condition=group, plan="medicare_part_b")
    condition = "" if group == ALL else group
    for metric in ("diagnosis_changed", "treatment_changed"):
        explorer.set_state(
            {
                "condition": condition,
                "metric": metric,
                "primary": True,
                "observed": True,
                "pool_by": "",
            }
        )
        shown = explorer.table()
        report_rows = ctx.key_figures[ctx.key_figures["metric"] == metric]
        assert sorted(shown["figure_id"]) == sorted(report_rows["figure_id"])
        report_pool = ctx.pooled[ctx.pooled["metric"] == metric]
        pooled = explorer.pool.table
        if report_pool.empty or int(report_pool["k"].iloc[0]) == 0:
            assert pooled is None or pooled["estimate"].isna().all()
            continue
        assert pooled is not None
        for column in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "k"):
            assert pooled[column].iloc[0] == pytest.approx(
                report_pool[column].iloc[0], nan_ok=True
            ), column
