"""GLMM, Hartung-Knapp (ad hoc), Q-profile and the sensitivity analyses against metafor 3.8-1.

The references are ``tests/reference/modern_methods.json``, written by
``tests/reference/modern_methods.R`` (the exact R calls are in its header). No R is needed to run
these tests. Estimates and interval bounds are compared as proportions to 1e-4.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from secondop_stats.glmm import deviance
from secondop_stats.sensitivity import (
    cumulative,
    egger_test,
    leave_one_out,
    subgroup_difference,
)
from secondop_stats.stats import pool_proportions

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "modern_methods.json").read_text(encoding="utf-8")
)
CASES = [
    *REFERENCE["cases"].items(),
    *((f"random{i}", c) for i, c in enumerate(REFERENCE["random"])),
]
TOL = 1e-4
FITS = {
    "glmm_z": ("GLMM", "z"),
    "glmm_t": ("GLMM", "t"),
    "reml_adhoc": ("REML", "knha"),
    "dl_adhoc": ("DL", "knha"),
}


def _usable(ref: dict | None) -> bool:
    return bool(ref) and "error" not in ref


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
@pytest.mark.parametrize("fit", list(FITS))
def test_fit_matches_metafor(name: str, case: dict, fit: str) -> None:
    ref = case.get(fit)
    if not _usable(ref):
        pytest.skip(f"metafor gave no {fit} fit for {name}")
    method, test = FITS[fit]
    x, n = np.array(case["events"], float), np.array(case["totals"], float)
    ours = pool_proportions(x, n, method, test=test)
    if method == "GLMM":
        at_r = deviance(np.array([math.sqrt(ref["tau2"]), ref["mu"]]), x, n)
        at_us = deviance(np.array([math.sqrt(ours.tau2), ours.mu]), x, n)
        assert at_us <= at_r + 1e-6, "our likelihood must be at least metafor's"
        if at_r > at_us + 1e-3:
            pytest.skip(
                f"lme4 stopped short of the maximum for {name} (deviance +{at_r - at_us:.3f})"
            )
    pairs = {
        "estimate": (ours.estimate, expit(ref["mu"])),
        "ci_low": (ours.ci_low, expit(ref["ci_lb"])),
        "ci_high": (ours.ci_high, expit(ref["ci_ub"])),
        "pi_low": (ours.pi_low, expit(ref["pi_lb"])),
        "pi_high": (ours.pi_high, expit(ref["pi_ub"])),
    }
    for field, (a, b) in pairs.items():
        assert a == pytest.approx(b, abs=TOL), field
    assert ours.tau2 == pytest.approx(ref["tau2"], abs=1e-3)
    assert ours.i2 == pytest.approx(ref["I2"], abs=0.05)


@pytest.mark.parametrize(
    ("name", "case"),
    [c for c in CASES if _usable(c[1].get("qp"))],
    ids=[n for n, c in CASES if _usable(c.get("qp"))],
)
def test_q_profile_intervals_match_confint(name: str, case: dict) -> None:
    ours = pool_proportions(case["events"], case["totals"], "REML")
    _, low, high = case["qp"]["tau2"]
    # metafor's uniroot tolerance is eps^(1/4), about 1.2e-4 on tau²
    assert ours.tau2_ci_low == pytest.approx(low, abs=2e-4)
    assert ours.tau2_ci_high == pytest.approx(high, abs=2e-4, rel=1e-4)
    assert ours.i2_ci_low <= ours.i2 <= ours.i2_ci_high or ours.k < 3


@pytest.mark.parametrize(
    ("name", "case"),
    [c for c in CASES if _usable(c[1].get("loo_reml_adhoc"))],
    ids=[n for n, c in CASES if _usable(c.get("loo_reml_adhoc"))],
)
def test_leave_one_out_and_cumulative_match(name: str, case: dict) -> None:
    x, n = case["events"], case["totals"]
    loo = leave_one_out(x, n, method="REML", test="knha")
    ref = case["loo_reml_adhoc"]
    assert np.allclose(loo["estimate"], expit(np.array(ref["estimate"])), atol=TOL)
    assert np.allclose(loo["ci_low"], expit(np.array(ref["ci_lb"])), atol=TOL)
    assert np.allclose(loo["ci_high"], expit(np.array(ref["ci_ub"])), atol=TOL)
    if _usable(case.get("loo_glmm_t")):
        glmm = leave_one_out(x, n, method="GLMM", test="t")
        ref = case["loo_glmm_t"]
        assert np.allclose(glmm["estimate"], expit(np.array(ref["estimate"])), atol=TOL)
        assert np.allclose(glmm["ci_high"], expit(np.array(ref["ci_ub"])), atol=TOL)
    cum = cumulative(x, n, method="REML", test="knha")
    est = np.array([np.nan if v is None else v for v in case["cumul_reml_adhoc"]["estimate"]])
    assert np.allclose(cum["estimate"], expit(est), atol=TOL, equal_nan=True)


@pytest.mark.parametrize(
    ("name", "case"),
    [c for c in CASES if _usable(c[1].get("subgroup_reml"))],
    ids=[n for n, c in CASES if _usable(c.get("subgroup_reml"))],
)
def test_subgroup_difference_matches_the_moderator_test(name: str, case: dict) -> None:
    result = subgroup_difference(case["events"], case["totals"], case["group"])
    ref = case["subgroup_reml"]
    assert result.q == pytest.approx(ref["q"], abs=1e-4)
    assert result.df == ref["df"] and result.p == pytest.approx(ref["p"], abs=1e-4)


@pytest.mark.parametrize("name", ["pritz1997", "debruin2009"])
def test_egger_matches_regtest(name: str) -> None:
    case = REFERENCE["cases"][name]
    result = egger_test(case["events"], case["totals"])
    assert result.z == pytest.approx(case["egger"]["z"], abs=1e-4)
    assert result.p == pytest.approx(case["egger"]["p"], abs=1e-4)


def test_egger_refuses_fewer_than_ten_studies() -> None:
    with pytest.raises(ValueError, match="10 or more studies"):
        egger_test([1, 2, 3], [10, 20, 30])


def test_glmm_handles_zero_and_all_events_without_correction() -> None:
    result = pool_proportions([0, 0, 1, 0], [20, 35, 40, 25], "GLMM", test="t")
    assert 0 < result.estimate < 0.05 and math.isfinite(result.ci_high)
    assert result.model.startswith("random-intercept logistic model")


def test_tests_must_fit_the_method() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        pool_proportions([1, 2], [10, 10], "GLMM", test="knha")
    with pytest.raises(ValueError, match="does not apply"):
        pool_proportions([1, 2], [10, 10], "REML", test="t")


def test_hartung_knapp_is_never_narrower_than_wald() -> None:
    x, n = [10, 11, 12, 13], [100, 100, 100, 100]  # homogeneous: plain HK would be narrower
    wald = pool_proportions(x, n, "REML", test="z")
    hk = pool_proportions(x, n, "REML", test="knha")
    assert hk.ci_high - hk.ci_low >= wald.ci_high - wald.ci_low
