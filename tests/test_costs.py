"""Cost engine: inflation, out-of-pocket per plan (worked examples from the articles), spend per
changed decision, and the providers table."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secondop_stats import ParameterError
from secondop_stats.costs import (
    PLANS,
    cost_per_changed_decision,
    coverage_rules,
    inflate,
    out_of_pocket,
    part_b_deductible,
    provider_costs,
)

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
    r = out_of_pocket(700, "medicare_part_b", year=2025, remote=True, evidence=evidence)
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
    assert r.covered is True and r.patient_pays == 0
    assert out_of_pocket(400, "hmo", year=2025, copay_usd=30, evidence=evidence).patient_pays == 30


def test_hmo_without_referral_or_out_of_network_pays_full(evidence) -> None:
    no_ref = out_of_pocket(400, "hmo", year=2025, referral=False, evidence=evidence)
    assert no_ref.covered is False and no_ref.patient_pays == 400
    oon = out_of_pocket(400, "hmo", year=2025, in_network=False, evidence=evidence)
    assert oon.covered is False and oon.patient_pays == 400


def test_ppo_in_network_copay_out_of_network_plan_share(evidence) -> None:
    r = out_of_pocket(400, "ppo", year=2025, copay_usd=25, evidence=evidence)
    assert r.covered is True and r.patient_pays == 25
    oon = out_of_pocket(400, "ppo", year=2025, in_network=False, evidence=evidence)
    assert oon.covered is not False
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
    r = out_of_pocket(500, plan, year=2025, deductible_met=True, evidence=evidence)
    assert r.rule and (r.source_id or not r.rule_ids)


def test_unknown_plan_and_year_list_valid_values(evidence) -> None:
    with pytest.raises(ParameterError, match="unknown plan 'gold'; valid values: medicare_part_b"):
        out_of_pocket(100, "gold", year=2025, evidence=evidence)
    with pytest.raises(ParameterError, match=r"unknown year 1990; valid values: 2001, .*2026"):
        out_of_pocket(100, "hmo", year=1990, evidence=evidence)
    with pytest.raises(ParameterError, match="price_usd"):
        out_of_pocket(-5, "hmo", year=2025, evidence=evidence)


@settings(max_examples=60, deadline=None)
@given(
    price=st.floats(0, 10_000),
    plan=st.sampled_from(PLANS),
    met=st.booleans(),
    remote=st.booleans(),
    in_network=st.booleans(),
    referral=st.booleans(),
)
def test_patient_share_is_between_zero_and_price(
    evidence, price, plan, met, remote, in_network, referral
) -> None:
    r = out_of_pocket(
        price,
        plan,
        year=2025,
        deductible_met=met,
        remote=remote,
        in_network=in_network,
        referral=referral,
        evidence=evidence,
    )
    if not math.isnan(r.patient_pays):
        assert -1e-9 <= r.patient_pays <= price + 1e-9
        assert r.patient_pays + r.insurer_pays == pytest.approx(price)


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


# --- providers -----------------------------------------------------------------------------


def test_provider_costs_table(evidence) -> None:
    table = provider_costs("medicare_part_b", 2026, evidence=evidence)
    assert len(table) == len(evidence.providers)
    priced = table[table["price_low_usd"].notna() & table["price_year"].notna()]
    assert priced["price_low_2025_usd"].notna().all()
    free = table[table["price_high_usd"] == 0]
    assert len(free) and (free["price_high_2025_usd"] == 0).all()
    undated = table[table["price_low_usd"].gt(0) & table["price_year"].isna()]
    assert undated["price_low_2025_usd"].isna().all()
    assert (undated["note"] == "year of the price not known: cannot adjust for inflation").all()
    unpriced = table[table["price_low_usd"].isna()]
    assert (unpriced["note"] == "price not known").all()
    assert unpriced["out_of_pocket_low_usd"].isna().all()
    stanford = table[table["name"].str.contains("Stanford") & (table["price_low_usd"] == 700)]
    assert len(stanford) >= 1


def test_video_visits_are_not_records_only(evidence) -> None:
    """The remote records-only rule applies to records reviews, not to video visits."""
    from secondop_stats.costs import is_records_only

    assert is_records_only(True, "records_review")
    assert not is_records_only(True, "video")
    assert not is_records_only(False, "records_review")
    assert not is_records_only(None, "records_review")
    table = provider_costs("medicare_part_b", 2026, deductible_met=True, evidence=evidence)
    video = table[(table["modality"] == "video") & table["price_low_usd"].gt(0)]
    records = table[
        (table["modality"] == "records_review")
        & table["remote"].eq(True)
        & table["price_low_usd"].gt(0)
    ]
    assert len(records) and (records["out_of_pocket_low_usd"] == records["price_low_usd"]).all()
    if len(video):
        assert (video["out_of_pocket_low_usd"] < video["price_low_usd"]).all()
