"""The certainty rating, threshold by threshold, and its plain-language statement."""

from __future__ import annotations

import pytest

from secondop_stats.certainty import (
    THRESHOLDS,
    StudyFacts,
    high_risk,
    one_in,
    plain_statement,
    rate,
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
        (30.0, (0.05, 0.40), 1),
        (80.0, (0.02, 0.60), 2),
        (60.0, (0.01, 0.80), 2),
    ],
)
def test_inconsistency(i2: float, pi: tuple[float, float], levels: int) -> None:
    result = rate(pooled(i2=i2, pi_low=pi[0], pi_high=pi[1]), studies(), egger_p=0.5)
    assert domains(result).get("inconsistency", 0) == levels


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


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.14, "about 1 in 7"),
        (0.5, "about 5 in 10"),
        (0.62, "about 6 in 10"),
        (0.02, "about 1 in 50"),
    ],
)
def test_one_in(p: float, words: str) -> None:
    assert one_in(p) == words


def test_plain_statement() -> None:
    row = pooled(estimate=0.14, pi_low=0.03, pi_high=0.63, i2=99.0)
    text = plain_statement(row, rate(row, studies(), egger_p=0.5))
    assert text.startswith("about 1 in 7 (14%); in a new setting anywhere from 3% to 63%")
    assert "certainty: low, because the studies disagree widely" in text
