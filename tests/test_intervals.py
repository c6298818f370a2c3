"""Intervals for single proportions and for reported figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from secondop_stats.stats import (
    DENOMINATOR_FROM_N,
    NO_COUNT,
    NO_SAMPLE_SIZE,
    NUMERATOR_EXCEEDS_N,
    RECONSTRUCTED_FROM_DENOMINATOR,
    RECONSTRUCTED_FROM_N,
    add_intervals,
    clopper_pearson_interval,
    figure_interval,
    wilson_interval,
)
from tests.stats_fixtures import figure_table


@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=5000))
    return draw(st.integers(min_value=0, max_value=n)), n


levels = st.floats(min_value=0.5, max_value=0.999)


def wilson_by_hand(k: int, n: int, level: float) -> tuple[float, float]:
    z = stats.norm.isf((1 - level) / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


# ---------------------------------------------------------------------------- known values


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 7), (45, 120), (10, 10), (1, 1)])
def test_wilson_matches_closed_form(k: int, n: int) -> None:
    low, high = wilson_by_hand(k, n, 0.95)
    assert wilson_interval(k, n) == pytest.approx((max(low, 0), min(high, 1)), abs=1e-12)


def test_clopper_pearson_closed_forms_at_the_edges() -> None:
    # 0 of n: upper = 1 - (alpha/2)^(1/n); n of n: lower = (alpha/2)^(1/n).
    assert clopper_pearson_interval(0, 10) == pytest.approx((0.0, 1 - 0.025 ** (1 / 10)))
    assert clopper_pearson_interval(10, 10) == pytest.approx((0.025 ** (1 / 10), 1.0))


def test_clopper_pearson_matches_beta_quantiles() -> None:
    low, high = clopper_pearson_interval(3, 7, level=0.9)
    assert low == pytest.approx(stats.beta.ppf(0.05, 3, 5))
    assert high == pytest.approx(stats.beta.ppf(0.95, 4, 4))


def test_numpy_integers_and_whole_floats_are_accepted() -> None:
    assert wilson_interval(np.int64(3), np.int32(7)) == wilson_interval(3, 7)
    assert wilson_interval(3.0, 7.0) == wilson_interval(3, 7)


@pytest.mark.parametrize(
    ("k", "n", "message"),
    [
        (5, 4, "must not exceed n"),
        (-1, 4, "must not be negative"),
        (0, 0, "n must be positive"),
        (1.5, 4, "whole number"),
        (float("nan"), 4, "whole number"),
        (True, 4, "whole number"),
        ("3", 4, "whole number"),
    ],
)
def test_bad_counts_are_rejected(k: object, n: object, message: str) -> None:
    for interval in (wilson_interval, clopper_pearson_interval):
        with pytest.raises(ValueError, match=message):
            interval(k, n)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, float("nan"), True, "0.95"])
def test_bad_levels_are_rejected(level: object) -> None:
    with pytest.raises(ValueError, match="level"):
        wilson_interval(3, 10, level=level)


# ---------------------------------------------------------------------------- properties


@settings(max_examples=80, deadline=None)
@given(counts(), levels)
def test_bounds_are_ordered_and_contain_the_rate(kn: tuple[int, int], level: float) -> None:
    k, n = kn
    for interval in (wilson_interval, clopper_pearson_interval):
        low, high = interval(k, n, level)
        assert 0.0 <= low <= k / n <= high <= 1.0


@settings(max_examples=80, deadline=None)
@given(counts(), levels)
def test_clopper_pearson_contains_wilson_point(kn: tuple[int, int], level: float) -> None:
    k, n = kn
    low, high = clopper_pearson_interval(k, n, level)
    w_low, w_high = wilson_interval(k, n, level)
    wilson_centre = (w_low + w_high) / 2  # (k + z²/2) / (n + z²)
    assert low - 1e-12 <= wilson_centre <= high + 1e-12
    assert low <= k / n <= high


@settings(max_examples=80, deadline=None)
@given(counts(), levels, levels)
def test_intervals_widen_with_level(kn: tuple[int, int], a: float, b: float) -> None:
    k, n = kn
    lower_level, higher_level = sorted((a, b))
    for interval in (wilson_interval, clopper_pearson_interval):
        narrow, wide = interval(k, n, lower_level), interval(k, n, higher_level)
        assert wide[0] <= narrow[0] + 1e-12
        assert wide[1] >= narrow[1] - 1e-12


# ---------------------------------------------------------------------------- figure_interval


def test_counts_give_the_interval_from_counts() -> None:
    fi = figure_interval(45, 120, 37.5, 130)
    assert (fi.k_used, fi.n_used, fi.reconstructed, fi.reason) == (45, 120, False, None)
    assert (fi.low, fi.high) == pytest.approx(wilson_interval(45, 120))
    assert fi.proportion == pytest.approx(45 / 120)


def test_numerator_without_denominator_uses_study_n() -> None:
    fi = figure_interval(45, None, None, 120)
    assert (fi.k_used, fi.n_used, fi.reconstructed) == (45, 120, False)
    assert fi.reason == DENOMINATOR_FROM_N


def test_percent_with_denominator_is_reconstructed() -> None:
    fi = figure_interval(None, 120, 37.5, 999)
    assert (fi.k_used, fi.n_used, fi.reconstructed) == (45, 120, True)
    assert fi.reason == RECONSTRUCTED_FROM_DENOMINATOR
    assert (fi.low, fi.high) == pytest.approx(wilson_interval(45, 120))


def test_percent_with_study_n_is_reconstructed() -> None:
    fi = figure_interval(pd.NA, pd.NA, 21.0, 6791)
    assert (fi.k_used, fi.n_used, fi.reconstructed) == (round(0.21 * 6791), 6791, True)
    assert fi.reason == RECONSTRUCTED_FROM_N


def test_reconstruction_rounds_half_up() -> None:
    assert figure_interval(None, 5, 50.0, None).k_used == 3
    assert figure_interval(None, 8, 12.5, None).k_used == 1


def test_no_sample_size_gives_nan_with_reason() -> None:
    fi = figure_interval(None, None, 42.0, None)
    assert math.isnan(fi.low) and math.isnan(fi.high)
    assert (fi.k_used, fi.n_used, fi.reconstructed) == (None, None, False)
    assert fi.reason == NO_SAMPLE_SIZE
    assert math.isnan(fi.proportion)


def test_no_numerator_or_percent_gives_nan_with_reason() -> None:
    fi = figure_interval(None, 100, float("nan"), None)
    assert math.isnan(fi.low)
    assert fi.reason == NO_COUNT


def test_numerator_above_study_n_without_denominator_gets_no_interval() -> None:
    fi = figure_interval(130, None, None, 120)
    assert math.isnan(fi.low) and fi.k_used is None
    assert fi.reason == NUMERATOR_EXCEEDS_N


def test_clopper_pearson_method_and_level() -> None:
    fi = figure_interval(3, 7, None, None, method="clopper_pearson", level=0.9)
    assert (fi.low, fi.high) == pytest.approx(clopper_pearson_interval(3, 7, 0.9))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((130, 120, None, None), "numerator exceeds the denominator"),
        ((None, 120, 101.0, None), "percent must be within"),
        ((-1, 120, None, None), "numerator must be"),
        ((None, 0, 10.0, None), "sample size must be"),
    ],
)
def test_inconsistent_figures_are_rejected(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        figure_interval(*args)


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(ValueError, match="method"):
        figure_interval(3, 7, None, None, method="agresti")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- add_intervals


def sample_table() -> pd.DataFrame:
    return figure_table(
        [
            {"numerator": 45, "denominator": 120, "n": 120},
            {"percent": 37.5, "denominator": 120, "n": 130},
            {"percent": 21.0, "n": 6791},
            {"percent": 42.0},
            {"percent": 30.0, "n": 200, "qualifier": "more_than"},
            {"percent_low": 10.0, "percent_high": 20.0, "n": 50, "qualifier": "range"},
            {"numerator": 7, "n": 20, "qualifier": "approximately"},
        ]
    )


def test_add_intervals_matches_figure_interval_row_by_row() -> None:
    table = sample_table()
    out = add_intervals(table)
    assert list(out.columns[-4:]) == ["ci_low", "ci_high", "ci_reconstructed", "ci_reason"]
    for row in out.iloc[[0, 1, 2, 3, 6]].itertuples():
        fi = figure_interval(row.numerator, row.denominator, row.percent, row.n)
        assert row.ci_low == pytest.approx(fi.low, nan_ok=True)
        assert row.ci_high == pytest.approx(fi.high, nan_ok=True)
        assert row.ci_reconstructed == fi.reconstructed
        assert row.ci_reason == fi.reason or (fi.reason is None and pd.isna(row.ci_reason))
    assert "ci_low" not in table.columns  # input left alone


def test_add_intervals_gives_bounds_no_interval() -> None:
    out = add_intervals(sample_table())
    assert out["ci_low"].iloc[4:6].isna().all()
    assert out["ci_reason"].iloc[4] == "qualifier 'more_than' is not an exact rate"
    assert out["ci_reason"].iloc[5] == "qualifier 'range' is not an exact rate"
    assert not out["ci_reconstructed"].iloc[4]


def test_add_intervals_level_and_method() -> None:
    out = add_intervals(sample_table(), method="clopper_pearson", level=0.8)
    assert (out["ci_low"].iloc[0], out["ci_high"].iloc[0]) == pytest.approx(
        clopper_pearson_interval(45, 120, 0.8)
    )


def test_add_intervals_names_the_bad_figure() -> None:
    table = figure_table([{"figure_id": "F-bad", "numerator": 9, "denominator": 5}])
    with pytest.raises(ValueError, match="F-bad"):
        add_intervals(table)


def test_add_intervals_needs_its_columns() -> None:
    with pytest.raises(ValueError, match="lacks column"):
        add_intervals(sample_table().drop(columns=["qualifier"]))


def test_add_intervals_on_an_empty_table() -> None:
    out = add_intervals(sample_table().iloc[:0])
    assert out.empty and "ci_low" in out.columns
