"""Cost engine: inflation, out-of-pocket per plan (worked examples from the articles), spend per
changed decision, and the providers table."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secondop_stats import ParameterError
from secondop_stats.costs import (
    PAYMENT_KINDS,
    PLANS,
    STATUSES,
    cost_per_changed_decision,
    coverage_rules,
    inflate,
    out_of_pocket,
    part_b_deductible,
)
from secondop_stats.query.providers import CostSituation, provider_table

# --- inflation -----------------------------------------------------------------------------


def test_inflate_uses_cpi_u_ratio(evidence) -> None:
    cpi = dict(zip(evidence.cpi_u["year"], evidence.cpi_u["cpi_u"], strict=True))
    assert inflate(565, 2005, 2025, evidence=evidence) == pytest.approx(565 * cpi[2025] / cpi[2005])
    # MyConsult's $565 of 2005 is about $931 in 2025 dollars (CPI-U 195.3 -> 321.943).
    assert inflate(565, 2005, evidence=evidence) == pytest.approx(931.37, abs=0.01)
    assert inflate(700, 2025, 2025, evidence=evidence) == 700


def test_inflate_refuses_years_outside_data(evidence) -> None:
    with pytest.raises(
        ParameterError, match=r"from_year 1980 is outside the CPI-U data \(1995-2025"
    ):
        inflate(100, 1980, evidence=evidence)
    with pytest.raises(ParameterError, match="to_year 2031"):
        inflate(100, 2000, 2031, evidence=evidence)


# --- Medicare Part B -----------------------------------------------------------------------


def test_part_b_2026_example(evidence) -> None:
    """$500 approved amount, deductible not met: $283 + 20 % of $217 = $326.40."""
    r = out_of_pocket(500, "medicare_part_b", year=2026, evidence=evidence)
    assert r.patient_pays == pytest.approx(326.40)
    assert r.insurer_pays == pytest.approx(173.60)
    assert r.covered is True
    assert "20%" in r.rule and "$283.00" in r.rule
    assert r.source_id and set(r.source_ids) <= set(evidence.sources["source_id"])


def test_part_b_deductible_met_pays_twenty_percent(evidence) -> None:
    r = out_of_pocket(500, "medicare_part_b", year=2026, deductible_met=True, evidence=evidence)
    assert r.patient_pays == pytest.approx(100.0)


def test_part_b_old_hundred_dollar_deductible(evidence) -> None:
    """seed-002: 20 % of the approved amount after the $100 annual Part B deductible (2001-04)."""
    assert part_b_deductible(2003, evidence) == 100
    r = out_of_pocket(300, "medicare_part_b", year=2003, evidence=evidence)
    assert r.patient_pays == pytest.approx(100 + 0.2 * 200)


def test_part_b_price_below_deductible(evidence) -> None:
    r = out_of_pocket(200, "medicare_part_b", year=2026, evidence=evidence)
    assert r.patient_pays == pytest.approx(200.0)
    assert r.insurer_pays == pytest.approx(0.0)


def test_part_b_remote_records_only_not_covered(evidence) -> None:
    """seed-002: Medicare requires that the patient be seen; online opinions are not paid."""
    r = out_of_pocket(
        700, "medicare_part_b", year=2025, payment="records_review", evidence=evidence
    )
    assert r.covered is False and r.patient_pays == 700
    assert "remote" in r.rule


def test_part_b_third_opinion_only_if_first_two_differ(evidence) -> None:
    differ = out_of_pocket(500, "medicare_part_b", year=2026, opinion=3, evidence=evidence)
    assert differ.covered is True and differ.patient_pays == pytest.approx(326.40)
    agree = out_of_pocket(
        500, "medicare_part_b", year=2026, opinion=3, first_two_differ=False, evidence=evidence
    )
    assert agree.covered is False and agree.patient_pays == 500


# --- other plans ---------------------------------------------------------------------------


def test_self_pay_pays_full_price(evidence) -> None:
    r = out_of_pocket(1850, "self_pay", year=2022, evidence=evidence)
    assert r.patient_pays == 1850 and r.insurer_pays == 0


def test_hmo_in_network_with_referral_costs_at_most_a_copay(evidence) -> None:
    """seed-002: most HMOs provide second opinions at no cost, except possibly a small co-pay."""
    r = out_of_pocket(400, "hmo", year=2025, evidence=evidence)
    assert r.status == "unknown" and math.isnan(r.patient_pays)  # copay not entered: not $0
    assert r.missing_input == "copay_usd"
    assert out_of_pocket(400, "hmo", year=2025, copay_usd=30, evidence=evidence).patient_pays == 30


def test_hmo_without_referral_or_out_of_network_pays_full(evidence) -> None:
    no_ref = out_of_pocket(400, "hmo", year=2025, referral=False, copay_usd=30, evidence=evidence)
    assert no_ref.covered is False and no_ref.patient_pays == 400
    oon = out_of_pocket(400, "hmo", year=2025, in_network=False, evidence=evidence)
    assert oon.covered is False and oon.patient_pays == 400


def test_ppo_in_network_copay_out_of_network_plan_share(evidence) -> None:
    r = out_of_pocket(400, "ppo", year=2025, copay_usd=25, evidence=evidence)
    assert r.covered is True and r.patient_pays == 25
    oon = out_of_pocket(400, "ppo", year=2025, in_network=False, copay_usd=25, evidence=evidence)
    assert oon.covered is True
    assert any("out of network" in c for c in oon.caveats)


def test_indemnity_twenty_percent_after_deductible(evidence) -> None:
    met = out_of_pocket(400, "indemnity", year=2025, deductible_met=True, evidence=evidence)
    assert met.patient_pays == pytest.approx(80.0)
    unknown = out_of_pocket(400, "indemnity", year=2025, evidence=evidence)
    assert math.isnan(unknown.patient_pays) and "deductible" in unknown.rule
    given_ded = out_of_pocket(
        400, "indemnity", year=2025, deductible_remaining_usd=100, evidence=evidence
    )
    assert given_ded.patient_pays == pytest.approx(100 + 0.2 * 300)


@pytest.mark.parametrize("plan", PLANS)
def test_every_plan_has_sourced_rules(evidence, plan) -> None:
    rules = coverage_rules(plan, evidence)
    assert {"second_opinion_covered", "cost_sharing"} <= set(rules)
    for rule in rules.values():
        assert rule.source_id in set(evidence.sources["source_id"])
        assert rule.quote.strip()
    r = out_of_pocket(500, plan, year=2025, deductible_met=True, copay_usd=20, evidence=evidence)
    assert r.rule and (r.source_id or not r.rule_ids)


def test_unknown_plan_and_year_list_valid_values(evidence) -> None:
    with pytest.raises(ParameterError, match="unknown plan 'gold'; valid values: medicare_part_b"):
        out_of_pocket(100, "gold", year=2025, evidence=evidence)
    with pytest.raises(ParameterError, match=r"unknown year 1990; valid values: 2001, .*2026"):
        out_of_pocket(100, "hmo", year=1990, evidence=evidence)
    with pytest.raises(ParameterError, match="price_usd"):
        out_of_pocket(-5, "hmo", year=2025, evidence=evidence)


amounts = st.one_of(st.none(), st.floats(0, 10_000))


@settings(max_examples=150, deadline=None)
@given(
    price=st.floats(0, 10_000),
    plan=st.sampled_from(PLANS),
    payment=st.sampled_from(tuple(PAYMENT_KINDS)),
    met=st.booleans(),
    remaining=st.one_of(st.none(), st.floats(0, 283)),
    coinsurance=st.one_of(st.none(), st.floats(0, 100)),
    copay=amounts,
    oop_max=amounts,
    in_network=st.booleans(),
    referral=st.booleans(),
)
def test_patient_share_is_finite_and_between_zero_and_price(
    evidence,
    price,
    plan,
    payment,
    met,
    remaining,
    coinsurance,
    copay,
    oop_max,
    in_network,
    referral,
) -> None:
    r = out_of_pocket(
        price,
        plan,
        year=2026,
        payment=payment,
        deductible_met=met,
        deductible_remaining_usd=remaining,
        coinsurance_pct=coinsurance,
        copay_usd=copay,
        oop_max_remaining_usd=oop_max,
        in_network=in_network,
        referral=referral,
        evidence=evidence,
    )
    if r.status == "unknown":
        assert math.isnan(r.patient_pays) and r.rule
    else:
        assert math.isfinite(r.patient_pays)
        assert -1e-9 <= r.patient_pays <= price + 1e-9
        assert r.patient_pays + r.insurer_pays == pytest.approx(price)
    if r.status == "covered":
        parts = r.deductible_part + r.coinsurance_part + r.copay_part - r.oop_max_reduction
        assert parts == pytest.approx(r.patient_pays, abs=0.011)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("price_usd", -1.0),
        ("price_usd", math.nan),
        ("price_usd", math.inf),
        ("price_usd", True),
        ("price_usd", "500"),
        ("copay_usd", -5.0),
        ("copay_usd", math.nan),
        ("copay_usd", True),
        ("coinsurance_pct", 120.0),
        ("deductible_remaining_usd", -700.0),
        ("deductible_remaining_usd", 1000.0),
        ("oop_max_remaining_usd", math.inf),
    ],
)
def test_impossible_inputs_are_refused(evidence, name, value) -> None:
    """A negative, non-finite or boolean amount, and a Part B deductible remaining above the
    year's deductible, are refused with a message naming the input."""
    kwargs = {"price_usd": 500.0, name: value}
    price = kwargs.pop("price_usd")
    with pytest.raises(ParameterError, match=name):
        out_of_pocket(price, "medicare_part_b", year=2026, evidence=evidence, **kwargs)


def _scenarios() -> list[dict[str, str]]:
    import csv
    from pathlib import Path

    path = Path(__file__).parent / "data" / "cost_scenarios.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@pytest.mark.parametrize("case", _scenarios(), ids=lambda c: c["case"])
def test_cost_scenario(evidence, case) -> None:
    """tests/data/cost_scenarios.csv: each case with the rule that decides it."""
    r = out_of_pocket(
        float(case["price"]),
        case["plan"],
        year=int(case["year"]),
        payment=case["payment"],
        deductible_met=case["deductible_met"] == "true",
        deductible_remaining_usd=_number(case["deductible_remaining"]),
        coinsurance_pct=_number(case["coinsurance"]),
        copay_usd=_number(case["copay"]),
        oop_max_remaining_usd=_number(case["oop_max"]),
        in_network=case["in_network"] == "true",
        referral=case["referral"] == "true",
        opinion=int(case["opinion"]),
        first_two_differ=case["first_two_differ"] == "true",
        evidence=evidence,
    )
    assert r.status == case["status"], r.rule
    expected = _number(case["expected"])
    if expected is None:
        assert math.isnan(r.patient_pays)
    else:
        assert r.patient_pays == pytest.approx(expected, abs=0.005), r.rule


def test_scenarios_cover_every_plan_payment_and_status() -> None:
    cases = _scenarios()
    assert len(cases) >= 30
    assert {c["plan"] for c in cases} == set(PLANS)
    assert {c["payment"] for c in cases} == set(PAYMENT_KINDS)
    assert {c["status"] for c in cases} >= set(STATUSES)


# --- cost per changed decision ---------------------------------------------------------------


def test_cost_per_changed_decision() -> None:
    r = cost_per_changed_decision(700, 0.374, (0.362, 0.386))
    assert r.estimate == pytest.approx(700 / 0.374)
    assert r.low == pytest.approx(700 / 0.386) and r.high == pytest.approx(700 / 0.362)
    assert math.isnan(cost_per_changed_decision(700, 0.5).low)
    assert cost_per_changed_decision(700, 0.05, (0.0, 0.1)).high == math.inf
    with pytest.raises(ParameterError):
        cost_per_changed_decision(700, 0)
    with pytest.raises(ParameterError):
        cost_per_changed_decision(700, 0.3, (0.4, 0.5))


# --- providers ---------------------------------------------------------------------------


def test_provider_table_prices_and_dollars(evidence) -> None:
    table = provider_table(
        evidence,
        CostSituation("medicare_part_b", 2026),
        include_unpriced=True,
        include_lookups=True,
    )
    assert len(table) == len(evidence.providers)
    assert table.attrs["today_year"] == 2025
    dated = table[table["price_low_usd"].gt(0) & table["price_year"].notna()]
    assert dated["price_low_today"].notna().all()
    free = table[table["price_high_usd"] == 0]
    assert len(free) and (free["price_high_today"] == 0).all()
    undated = table[table["price_low_usd"].gt(0) & table["price_year"].isna()]
    assert undated["price_low_today"].isna().all()
    assert undated["pays_low_today"].isna().all() and undated["pays_low_quoted"].notna().all()
    unpriced = table[table["price_low_usd"].isna()]
    assert (unpriced["price_note"] == "price not known").all()
    assert unpriced["pays_low_today"].isna().all()


def test_you_pay_is_in_the_same_dollars_as_the_price(evidence) -> None:
    """A cash service's share equals its price in today's dollars and as quoted."""
    table = provider_table(evidence, CostSituation("ppo", 2026, copay_usd=25))
    cash = table[(table["payment"] == "cash_service") & table["price_low_today"].notna()]
    assert len(cash)
    assert (cash["pays_low_today"] - cash["price_low_today"]).abs().max() < 1e-9
    assert (cash["pays_low_quoted"] - cash["price_low_usd"]).abs().max() < 1e-9
    assert (cash["status"] == "not_billed").all()


def test_rules_apply_only_to_what_the_plan_bills(evidence) -> None:
    part_b = provider_table(evidence, CostSituation("medicare_part_b", 2026))
    assert not part_b["rule"].str.contains("deductible").any()  # no billable priced service
    cedars = part_b[part_b["provider_id"] == "cedars-sinai-virtual-research"].iloc[0]
    assert cedars["status"] == "not_billed" and cedars["pays_low_quoted"] == 590
    medicaid = provider_table(evidence, CostSituation("medicaid", 2026))
    online = medicaid[medicaid["payment"] == "records_review"]
    assert len(online) and online["pays_low_today"].isna().all()  # not "$0"
    lookups = provider_table(evidence, CostSituation("medicare_part_b", 2026), include_lookups=True)
    look = lookups[lookups["payment"] == "lookup"]
    assert len(look) and (look["status"] == "lookup").all()
    assert (look["pays_low_quoted"] == look["price_low_usd"]).all()


def test_consultation_row_shows_the_breakdown(evidence) -> None:
    table = provider_table(
        evidence, CostSituation("medicare_part_b", 2026), consultation_price_usd=500
    )
    row = table.iloc[0]
    assert row["payment"] == "billable_visit" and row["pays_low_today"] == pytest.approx(326.40)
    assert row["deductible_part"] == 283 and row["coinsurance_part"] == pytest.approx(43.40)
