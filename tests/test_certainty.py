"""The certainty rating, threshold by threshold, and its plain-language statement."""

from __future__ import annotations

import pytest

from secondop_stats.certainty import (
    SYMBOLS,
    THRESHOLDS,
    Certainty,
    Downgrade,
    StudyFacts,
    high_risk,
    main_reason,
    natural_frequency,
    natural_range,
    plain_statement,
    rate,
    rate_withheld,
)

LOW_RISK = ("low", "low", "high", "low")
HIGH_RISK = ("high", "high", "low", "low")


def pooled(**kw: float) -> dict[str, float]:
    base = {
        "estimate": 0.20,
        "ci_low": 0.17,
        "ci_high": 0.23,
        "pi_low": 0.15,
        "pi_high": 0.26,
        "i2": 20.0,
        "k": 12,
    }
    return {**base, **kw}


def studies(n: int = 12, risky: int = 0, cases: float = 500, **kw: str) -> list[StudyFacts]:
    return [
        StudyFacts(
            cases,
            HIGH_RISK if i < risky else LOW_RISK,
            kw.get("design", "pathology_review"),
            kw.get("change_basis", "not_applicable"),
        )
        for i in range(n)
    ]


def domains(result) -> dict[str, int]:
    return {d.domain: d.levels for d in result.downgrades}


def test_consistent_precise_low_risk_evidence_is_high() -> None:
    result = rate(pooled(), studies(), egger_p=0.5)
    assert result.rating == "high" and not result.downgrades and not result.not_assessed


def test_a_study_is_high_risk_with_two_high_items() -> None:
    assert high_risk(("high", "high", "low", "low"))
    assert not high_risk(("high", "unclear", "low", "low"))


@pytest.mark.parametrize(("risky", "levels"), [(3, 0), (4, 1), (6, 1), (7, 2)])
def test_risk_of_bias_by_share_of_cases(risky: int, levels: int) -> None:
    result = rate(pooled(), studies(risky=risky), egger_p=0.5)
    assert domains(result).get("risk of bias", 0) == levels
    if levels:
        assert "high risk of bias" in result.reasons


@pytest.mark.parametrize(
    ("i2", "pi", "levels"),
    [
        (40.0, (0.15, 0.26), 0),
        (55.0, (0.15, 0.26), 1),
        (30.0, (0.05, 0.40), 0),
        (80.0, (0.02, 0.60), 2),
        (60.0, (0.01, 0.80), 1),
        (99.0, (0.01, 0.80), 2),
    ],
)
def test_inconsistency(i2: float, pi: tuple[float, float], levels: int) -> None:
    result = rate(pooled(i2=i2, pi_low=pi[0], pi_high=pi[1]), studies(), egger_p=0.5)
    assert domains(result).get("inconsistency", 0) == levels


@pytest.mark.parametrize("i2", [0.0, 12.0, 49.9])
def test_inconsistency_is_never_a_reason_below_half_i2(i2: float) -> None:
    """With I² under 50 % the studies agree: a wide prediction range then comes from having
    few studies, and is counted (and worded) as imprecision, never as disagreement."""
    narrow = rate(pooled(i2=i2), studies(), egger_p=0.5)
    wide = rate(pooled(i2=i2, pi_low=0.02, pi_high=0.60, k=3), studies(3), egger_p=None)
    for result in (narrow, wide):
        assert "inconsistency" not in domains(result)
        assert "disagree" not in result.reasons and "differ" not in result.reasons
    assert "only 3 studies" in wide.reasons


@pytest.mark.parametrize(
    ("ci", "cases", "levels"),
    [((0.17, 0.23), 500, 0), ((0.10, 0.30), 500, 1), ((0.17, 0.23), 20, 1), ((0.05, 0.45), 500, 2)],
)
def test_imprecision(ci: tuple[float, float], cases: float, levels: int) -> None:
    result = rate(pooled(ci_low=ci[0], ci_high=ci[1]), studies(cases=cases), egger_p=0.5)
    assert domains(result).get("imprecision", 0) == levels


def test_indirectness_for_mixed_designs_or_potential_changes() -> None:
    mixed = studies(6) + studies(6, design="radiology_review")
    assert domains(rate(pooled(), mixed, egger_p=0.5)).get("indirectness") == 1
    potential = studies(change_basis="potential")
    result = rate(pooled(), potential, egger_p=0.5)
    assert domains(result).get("indirectness") == 1 and "judged only possible" in result.reasons


def test_publication_bias_only_with_ten_studies() -> None:
    assert domains(rate(pooled(), studies(), egger_p=0.01)).get("publication bias") == 1
    few = rate(pooled(k=5), studies(5), egger_p=0.01)
    assert "publication bias" not in domains(few)
    assert any("fewer than 10" in n for n in few.not_assessed)


def test_ratings_floor_at_very_low() -> None:
    result = rate(
        pooled(i2=99.0, pi_low=0.01, pi_high=0.9, ci_low=0.05, ci_high=0.6),
        studies(risky=12, design="radiology_review") + studies(2, design="tumor_board"),
        egger_p=0.001,
    )
    assert result.rating == "very low"


def test_single_study_inconsistency_not_assessed() -> None:
    result = rate(pooled(k=1), studies(1, cases=1000), egger_p=None)
    assert any("single study" in n for n in result.not_assessed)


def test_thresholds_live_in_one_place() -> None:
    assert THRESHOLDS["egger_min_k"] == 10 and THRESHOLDS["rob_items_high"] == 2


def test_one_study_is_never_rated_above_low() -> None:
    large = rate(pooled(k=1, ci_low=0.19, ci_high=0.21), studies(1, cases=50_000), egger_p=None)
    assert large.rating == "low"
    assert main_reason(large) == "it rests on a single study"


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.42, "42 in 100"),
        (0.135, "14 in 100"),
        (0.5, "50 in 100"),
        (0.004, "fewer than 1 in 100"),
        (0.998, "more than 99 in 100"),
        (0.0, "0 in 100"),
    ],
)
def test_rates_are_natural_frequencies(p: float, words: str) -> None:
    assert natural_frequency(p) == words
    assert natural_range(0.09, 0.17) == "9 to 17 in 100"


@pytest.mark.parametrize(
    ("k", "ci", "withheld"),
    [
        (1, (0.10, 0.20), "too few studies to give a number (one study)"),
        (2, (0.10, 0.20), "too few studies to give a number (only 2 studies)"),
        (3, (0.10, 0.20), None),
        (3, (0.0, 0.51), "too uncertain to give a number"),
        (8, (0.25, 0.75), None),
    ],
)
def test_a_pooled_rate_needs_three_studies_and_a_usable_interval(
    k: int, ci: tuple[float, float], withheld: str | None
) -> None:
    reason = rate_withheld(k, *ci)
    assert reason == withheld if withheld is None else withheld in (reason or "")


def test_symbols_and_main_reason() -> None:
    assert SYMBOLS["low"] == "⊕⊕◯◯" and SYMBOLS["very low"] == "⊕◯◯◯"
    rated = Certainty(
        "very low",
        (
            Downgrade("imprecision", 1, "only 300 cases"),
            Downgrade("inconsistency", 2, "the studies' results differ widely (I² 90%)"),
        ),
    )
    assert main_reason(rated) == "the studies' results differ a lot from place to place"


def test_plain_statement() -> None:
    row = pooled(estimate=0.14, pi_low=0.03, pi_high=0.63, i2=99.0)
    text = plain_statement(row, rate(row, studies(), egger_p=0.5))
    assert text.startswith("14 in 100 (14%); in a new setting anywhere from 3 to 63 in 100")
    assert "certainty: low, because the studies' results differ widely" in text
