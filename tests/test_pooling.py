"""Random-effects pooling against metafor's reference results, and figure-table pooling."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats.meta_analysis import combine_effects

from secondop_stats.stats import (
    FisherScoringError,
    PooledResult,
    observed_only,
    pool_figures,
    pool_proportions,
    pool_table,
    screen_figures,
    wilson_interval,
)
from tests.stats_fixtures import figure_table, study_rows

REFERENCE = Path(__file__).parent / "reference"
TOL = 5e-5  # 4 decimals, as researchers compare with metafor's printed output

# metafor name in the JSON -> PooledResult attribute
SCALARS = {
    "pred": "estimate",
    "ci_lb": "ci_low",
    "ci_ub": "ci_high",
    "pi_lb": "pi_low",
    "pi_ub": "pi_high",
    "mu": "mu",
    "se": "se",
    "tau2": "tau2",
    "se_tau2": "tau2_se",
    "I2": "i2",
    "H2": "h2",
    "QE": "q",
    "QEp": "q_pvalue",
    "k": "k",
}


def load(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / f"{name}.json").read_text(encoding="utf-8"))


def fit(events: list[int], totals: list[int], method: str, **kwargs: Any) -> PooledResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return pool_proportions(events, totals, method=method, **kwargs)


def assert_matches(result: PooledResult, reference: dict[str, Any]) -> None:
    for r_name, attribute in SCALARS.items():
        expected = reference.get(r_name)
        if expected is None:  # NA in R (e.g. se of tau² for k = 1)
            assert math.isnan(getattr(result, attribute)), attribute
        else:
            assert getattr(result, attribute) == pytest.approx(expected, abs=TOL), attribute
    if "weights" in reference:
        assert result.weights == pytest.approx(reference["weights"], abs=TOL)


# ---------------------------------------------------------------------------- reference data

CASES = ["pritz1997", "debruin2009", "tiny_k2", "tiny_k3", "zero_and_all", "single"]


@pytest.mark.parametrize("method", ["REML", "DL"])
@pytest.mark.parametrize("name", CASES)
def test_matches_metafor(name: str, method: str) -> None:
    ref = load(name)
    data = ref["input"]
    result = fit(data["events"], data["totals"], method, labels=data["labels"])
    assert result.yi == pytest.approx(ref["escalc"]["yi"], abs=TOL)
    assert result.vi == pytest.approx(ref["escalc"]["vi"], abs=TOL)
    assert_matches(result, ref["fits"][method])
    assert result.labels == tuple(data["labels"])
    assert result.method == method


def test_reference_files_are_what_the_r_scripts_say() -> None:
    pritz = load("pritz1997")
    assert pritz["versions"]["metafor"].startswith("3.8")
    assert len(pritz["input"]["events"]) == 14
    assert len(load("debruin2009")["input"]["events"]) == 13
    # the published data set behind the correction test really has all-event studies
    assert any(
        x == n for x, n in zip(pritz["input"]["events"], pritz["input"]["totals"], strict=True)
    )


def test_half_correction_only_for_zero_and_all_event_studies() -> None:
    # escalc default add = 1/2, to = "only0": both cells of studies with x == 0 or x == n.
    result = pool_proportions([0, 4, 12, 7], [15, 20, 12, 30])
    assert result.yi[0] == pytest.approx(math.log(0.5 / 15.5))
    assert result.vi[0] == pytest.approx(1 / 0.5 + 1 / 15.5)
    assert result.yi[1] == pytest.approx(math.log(4 / 16))
    assert result.vi[1] == pytest.approx(1 / 4 + 1 / 16)
    assert result.yi[2] == pytest.approx(math.log(12.5 / 0.5))
    np.testing.assert_array_equal(result.events, [0, 4, 12, 7])  # raw counts kept


def small_k_cases() -> list[tuple[str, int, dict[str, Any]]]:
    cases = []
    for name in ("small_k_random", "fisher_scoring_edges"):
        for i, case in enumerate(load(name)["cases"]):
            cases.append((name, i, case))
    return cases


@pytest.mark.parametrize("method", ["REML", "DL"])
def test_small_k_cases_match_metafor(method: str) -> None:
    """300 random k = 2..5 meta-analyses plus the hard Fisher scoring cases."""
    checked = 0
    for name, i, case in small_k_cases():
        reference = case["fits"][method]
        if reference.get("error"):
            with pytest.raises(FisherScoringError, match="did not converge"):
                pool_proportions(case["events"], case["totals"], method=method)
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = pool_proportions(case["events"], case["totals"], method=method)
        for r_name in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "I2", "QE", "QEp"):
            got = getattr(result, SCALARS[r_name])
            assert got == pytest.approx(reference[r_name], abs=TOL), (name, i, r_name)
        assert bool(reference["warnings"]) == bool(caught), (name, i)
        checked += 1
    assert checked > 290


def test_local_maximum_resets_tau2_with_a_warning() -> None:
    # metafor: "Fisher scoring algorithm may have gotten stuck at a local maximum.
    # Setting tau^2 = 0." for these three studies (fisher_scoring_edges.json).
    with pytest.warns(RuntimeWarning, match="local maximum"):
        result = pool_proportions([6, 28, 0], [10, 50, 10], method="REML")
    assert result.tau2 == 0
    assert result.notes and "local maximum" in result.notes[0]


def test_non_convergence_raises_like_metafor() -> None:
    with pytest.raises(FisherScoringError, match="did not converge"):
        pool_proportions([1, 42, 747], [4, 50, 1000], method="REML")
    assert pool_proportions([1, 42, 747], [4, 50, 1000], method="DL").k == 3


def test_dl_agrees_with_statsmodels_combine_effects() -> None:
    ref = load("pritz1997")["input"]
    result = pool_proportions(ref["events"], ref["totals"], method="DL")
    sm = combine_effects(np.asarray(result.yi), np.asarray(result.vi), method_re="dl")
    assert result.tau2 == pytest.approx(sm.tau2, rel=1e-10)
    assert result.mu == pytest.approx(sm.mean_effect_re, rel=1e-10)
    assert result.se == pytest.approx(sm.sd_eff_w_re, rel=1e-10)
    assert result.q == pytest.approx(sm.q, rel=1e-10)


def test_single_study_is_returned_as_metafor_does() -> None:
    result = pool_proportions([5], [20], labels=["Only 2015"])
    assert result.k == 1 and result.tau2 == 0 and result.q_df == 0
    assert (result.q, result.q_pvalue, result.i2, result.h2) == (0, 1, 0, 1)
    assert result.estimate == pytest.approx(0.25)
    assert (result.pi_low, result.pi_high) == (result.ci_low, result.ci_high)
    assert result.summary_line().startswith("k = 1")


def test_level_changes_only_the_intervals() -> None:
    ref = load("debruin2009")["input"]
    r95 = pool_proportions(ref["events"], ref["totals"])
    r80 = pool_proportions(ref["events"], ref["totals"], level=0.8)
    assert r80.estimate == r95.estimate and r80.tau2 == r95.tau2
    assert r95.ci_low < r80.ci_low < r80.ci_high < r95.ci_high


def test_result_is_immutable_and_summarised() -> None:
    ref = load("pritz1997")["input"]
    result = pool_proportions(ref["events"], ref["totals"], labels=ref["labels"])
    with pytest.raises(ValueError):
        result.weights[0] = 1.0
    with pytest.raises(AttributeError):
        result.tau2 = 1.0  # type: ignore[misc]
    table = result.study_table()
    assert list(table["label"]) == ref["labels"]
    assert table["weight"].sum() == pytest.approx(100)
    assert "I² = 56.6%" in result.summary_line()
    assert result.tau == pytest.approx(math.sqrt(result.tau2))


@pytest.mark.parametrize(
    ("events", "totals", "kwargs", "message"),
    [
        ([1, 2], [10], {}, "differ in length"),
        ([], [], {}, "k = 0"),
        ([11, 2], [10, 10], {}, "exceed totals"),
        ([-1, 2], [10, 10], {}, "negative"),
        ([1, 2], [0, 10], {}, "positive"),
        ([1.5, 2], [10, 10], {}, "whole numbers"),
        ([np.nan, 2], [10, 10], {}, "whole numbers"),
        ([1, 2], [10, 10], {"labels": ["a"]}, "labels"),
        ([1, 2], [10, 10], {"labels": "ab"}, "labels"),
        ([1, 2], [10, 10], {"method": "PM"}, "method"),
        ([1, 2], [10, 10], {"level": 95}, "level"),
        (["a", 2], [10, 10], {}, "numbers"),
    ],
)
def test_bad_input_is_rejected(
    events: list[Any], totals: list[Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pool_proportions(events, totals, **kwargs)


# ---------------------------------------------------------------------------- properties


@st.composite
def studies(draw: st.DrawFn, min_k: int = 1, max_k: int = 12) -> tuple[list[int], list[int]]:
    totals = draw(st.lists(st.integers(1, 2000), min_size=min_k, max_size=max_k))
    events = [draw(st.integers(0, n)) for n in totals]
    return events, totals


def fit_or_reject(events: list[int], totals: list[int], method: str) -> PooledResult:
    try:
        return fit(events, totals, method)
    except FisherScoringError:
        assume(False)
        raise


@settings(max_examples=60, deadline=None)
@given(studies(), st.sampled_from(["REML", "DL"]))
def test_pooled_bounds_are_ordered(data: tuple[list[int], list[int]], method: str) -> None:
    result = fit_or_reject(*data, method)
    assert 0 <= result.pi_low <= result.ci_low <= result.estimate
    assert result.estimate <= result.ci_high <= result.pi_high <= 1
    assert result.tau2 >= 0
    assert 0 <= result.i2 <= 100
    assert result.h2 >= 1
    assert 0 <= result.q_pvalue <= 1
    assert result.weights.sum() == pytest.approx(100)


@settings(max_examples=60, deadline=None)
@given(studies(min_k=2), st.sampled_from(["REML", "DL"]), st.randoms(use_true_random=False))
def test_study_order_does_not_matter(
    data: tuple[list[int], list[int]], method: str, random: Any
) -> None:
    events, totals = data
    order = list(range(len(events)))
    random.shuffle(order)
    a = fit_or_reject(events, totals, method)
    b = fit_or_reject([events[i] for i in order], [totals[i] for i in order], method)
    for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "q"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-6, abs=1e-9), name
    assert b.weights == pytest.approx(a.weights[order], rel=1e-6, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 500), st.integers(0, 500), st.integers(2, 10))
def test_identical_studies_give_identical_dl_and_reml(n: int, x: int, k: int) -> None:
    x = min(x, n)
    reml = pool_proportions([x] * k, [n] * k, method="REML")
    dl = pool_proportions([x] * k, [n] * k, method="DL")
    assert reml.tau2 == dl.tau2 == 0
    assert reml.i2 == dl.i2 == 0
    for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "q"):
        assert getattr(reml, name) == pytest.approx(getattr(dl, name), abs=1e-12)


# ---------------------------------------------------------------------------- figure tables


def pritz_table(**common: Any) -> pd.DataFrame:
    ref = load("pritz1997")["input"]
    return figure_table(study_rows(ref["events"], ref["totals"], **common))


def test_pool_figures_matches_metafor_end_to_end() -> None:
    out = pool_figures(pritz_table())
    assert len(out) == 1
    row = out.iloc[0]
    reference = load("pritz1997")["fits"]["REML"]
    for r_name in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "I2", "QE", "QEp"):
        assert row[SCALARS[r_name]] == pytest.approx(reference[r_name], abs=TOL)
    assert row["k"] == 14
    assert (row["metric"], row["design"], row["condition"]) == (
        "diagnosis_changed",
        "retrospective_cohort",
        "any",
    )
    assert len(row["study_ids"]) == len(row["figure_ids"]) == 14
    assert row["skipped"] == () and row["notes"] == ()


def test_pool_figures_dl_method() -> None:
    row = pool_figures(pritz_table(), method="DL").iloc[0]
    assert row["tau2"] == pytest.approx(load("pritz1997")["fits"]["DL"]["tau2"], abs=TOL)
    assert row["method"] == "DL"


def test_subgroups_are_pooled_separately() -> None:
    rows = study_rows([10, 20, 30], [100, 100, 100]) + study_rows(
        [5, 9], [50, 60], condition="cancer"
    )
    for i, row in enumerate(rows):
        row["study_id"] = f"S{i}"
    out = pool_figures(figure_table(rows))
    assert list(out["condition"]) == ["any", "cancer"]
    assert list(out["k"]) == [3, 2]
    expected = pool_proportions([5, 9], [50, 60])
    assert out.loc[1, "estimate"] == pytest.approx(expected.estimate)


def test_refuses_to_pool_across_metrics() -> None:
    rows = study_rows([10, 20], [100, 100]) + study_rows(
        [5, 9], [50, 60], metric="diagnosis_confirmed"
    )
    table = figure_table(rows)
    with pytest.raises(ValueError, match="across metrics"):
        pool_figures(table, by=("design",))
    assert len(pool_figures(table, by=("metric",))) == 2


def test_refuses_metrics_that_are_not_poolable() -> None:
    table = figure_table(study_rows([10, 20], [100, 100], metric="cost", poolable=False))
    with pytest.raises(ValueError, match="not poolable: cost"):
        pool_figures(table)


def test_refuses_non_observed_evidence_unless_excluded() -> None:
    rows = study_rows([10, 20, 30], [100, 100, 100])
    rows[1]["evidence_type"] = "modelling"
    rows[2]["evidence_type"] = "industry_claim"
    table = figure_table(rows)
    with pytest.raises(ValueError, match=r"non-observed.*industry_claim, modelling"):
        pool_figures(table)
    out = pool_figures(table, exclude_nonobserved=True)
    assert out.attrs["dropped_nonobserved"] == 2
    assert out.loc[0, "k"] == 1
    observed = observed_only(table)
    assert observed.attrs["dropped_nonobserved"] == 2
    assert pool_figures(observed).attrs["dropped_nonobserved"] == 2


def test_re_reports_pool_once_preferring_the_primary_publication() -> None:
    rows = study_rows([10, 20, 30], [100, 100, 100])
    press = {
        **rows[0],
        "figure_id": "press",
        "is_primary_report": False,
        "numerator": 15,
        "denominator": 100,
    }
    rows[0]["figure_id"] = "journal"
    table = figure_table([press, *rows])
    row = pool_figures(table).iloc[0]
    assert row["k"] == 3
    assert "journal" in row["figure_ids"] and "press" not in row["figure_ids"]
    assert row["skipped"] == ("press: re-report of study S001 (pooled figure journal)",)
    assert row["estimate"] == pytest.approx(pool_proportions([10, 20, 30], [100] * 3).estimate)
    skipped = pool_figures(table).attrs["skipped"]
    assert list(skipped["figure_id"]) == ["press"]


def test_among_primary_rows_the_one_with_a_numerator_wins() -> None:
    rows = study_rows([10, 20], [100, 100])
    percent_only = {**rows[0], "figure_id": "pct", "numerator": None, "percent": 12.0}
    table = figure_table([percent_only, *rows])
    row = pool_figures(table).iloc[0]
    assert row["k"] == 2 and "pct" not in row["figure_ids"]


def test_press_row_is_used_when_the_primary_has_no_counts() -> None:
    primary = {"study_id": "S1", "figure_id": "journal", "percent": 12.0}  # no n at all
    press = {
        "study_id": "S1",
        "figure_id": "press",
        "is_primary_report": False,
        "numerator": 15,
        "denominator": 100,
    }
    other = {"study_id": "S2", "figure_id": "other", "numerator": 20, "denominator": 80}
    row = pool_figures(figure_table([primary, press, other])).iloc[0]
    assert set(row["figure_ids"]) == {"press", "other"}
    assert row["skipped"] == ("journal: no sample size reported",)


def test_unusable_and_bounded_rows_are_skipped_and_listed() -> None:
    rows = [
        *study_rows([10, 20, 30], [100, 100, 100]),
        {"study_id": "X1", "figure_id": "nothing", "n": 50},
        {
            "study_id": "X2",
            "figure_id": "bound",
            "percent": 30.0,
            "n": 80,
            "qualifier": "more_than",
        },
        {"study_id": "X3", "figure_id": "pct", "percent": 25.0, "n": 80},
    ]
    out = pool_figures(figure_table(rows))
    row = out.iloc[0]
    assert row["k"] == 4 and "pct" in row["figure_ids"]
    assert set(row["skipped"]) == {
        "nothing: no numerator or percent reported",
        "bound: qualifier 'more_than' is not an exact rate",
    }
    assert set(out.attrs["skipped"]["figure_id"]) == {"nothing", "bound"}
    expected = pool_proportions([10, 20, 30, 20], [100, 100, 100, 80])
    assert row["estimate"] == pytest.approx(expected.estimate)


def test_single_study_subgroup_uses_wilson() -> None:
    row = pool_figures(figure_table(study_rows([12], [80]))).iloc[0]
    assert row["k"] == 1 and row["estimate"] == pytest.approx(12 / 80)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_interval(12, 80))
    assert all(math.isnan(row[c]) for c in ("tau2", "i2", "q", "q_pvalue", "pi_low"))


def test_empty_subgroup_keeps_a_row_listing_what_was_skipped() -> None:
    table = figure_table([{"figure_id": "F1", "percent": 20.0}])
    row = pool_figures(table).iloc[0]
    assert row["k"] == 0 and math.isnan(row["estimate"])
    assert row["skipped"] == ("F1: no sample size reported",)


def test_non_converging_subgroup_is_noted_not_raised() -> None:
    table = figure_table(study_rows([1, 42, 747], [4, 50, 1000]))
    row = pool_figures(table).iloc[0]
    assert math.isnan(row["estimate"]) and "did not converge" in row["notes"][0]
    assert pool_figures(table, method="DL").iloc[0]["k"] == 3


def test_by_accepts_a_single_name_and_nothing() -> None:
    table = pritz_table()
    assert list(pool_figures(table, by="metric").columns[:2]) == ["metric", "k"]
    whole = pool_figures(table, by=())
    assert whole.loc[0, "k"] == 14 and "metric" not in whole.columns


def test_missing_by_values_form_their_own_subgroup() -> None:
    rows = study_rows([10, 20], [100, 100]) + study_rows([5], [50], condition=None)
    rows[2]["study_id"] = "S9"
    out = pool_figures(figure_table(rows))
    assert len(out) == 2 and out["condition"].isna().sum() == 1


def test_missing_columns_are_reported() -> None:
    with pytest.raises(ValueError, match=r"lacks column.*is_primary_report"):
        pool_figures(pritz_table().drop(columns=["is_primary_report"]))


def test_pool_table_labels_studies_with_year_and_n() -> None:
    rows = study_rows([1412, 20], [6791, 100])
    rows[0].update(label="Meyer", study_year=2015)
    rows[1].update(label="Payne 2013", study_year=2013)
    result = pool_table(figure_table(rows))
    assert result.labels == ("Meyer 2015 (n = 6,791)", "Payne 2013 (n = 100)")


def test_screen_figures_exposes_the_rows_it_pools() -> None:
    screened = screen_figures(pritz_table(), by=("metric",))
    assert len(screened.pooled) == 14 and screened.skipped.empty
    assert {"k_used", "n_used", "reconstructed", "skip_reason"} <= set(screened.rows.columns)
