"""Sensitivity analyses of a pooled proportion, as metafor computes them.

- :func:`leave_one_out`: the pooled estimate without each study in turn (``leave1out``);
- :func:`cumulative`: the estimate as studies accumulate in order of publication (``cumul``);
- :func:`subgroup_difference`: the test that subgroups differ, the omnibus test of a
  mixed-effects meta-regression on the subgroup factor with REML (``rma(mods = ~ factor(g))``);
- :func:`egger_test`: Egger's regression test for small-study effects (``regtest``), given only
  for k >= 10 studies.

Every function takes the same ``method``, ``test`` and ``level`` as
:func:`secondop_stats.pooling.pool_proportions`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from .pooling import PoolMethod, PoolTest, _escalc_plo, _pooling_input, pool_proportions

#: Fewest studies for a test of small-study effects (Cochrane Handbook, section 13.3.5.4).
MIN_K_SMALL_STUDY = 10
_COLUMNS = ["label", "k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2"]


def _row(label: str, result) -> dict[str, object]:
    return {
        "label": label,
        "k": result.k,
        "estimate": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "pi_low": result.pi_low,
        "pi_high": result.pi_high,
        "tau2": result.tau2,
        "i2": result.i2,
    }


def leave_one_out(
    events: npt.ArrayLike,
    totals: npt.ArrayLike,
    *,
    method: PoolMethod = "GLMM",
    test: PoolTest = "t",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per omitted study, in input order: the pooled result of the others
    (``label`` names the omitted study). Needs k >= 3."""
    x, n, names = _pooling_input(events, totals, labels)
    if x.size < 3:
        raise ValueError(f"leave-one-out needs at least 3 studies, not {x.size}")
    rows = []
    for i in range(x.size):
        keep = np.arange(x.size) != i
        result = pool_proportions(x[keep], n[keep], method, level, test=test)
        rows.append(_row(names[i], result))
    return pd.DataFrame(rows, columns=_COLUMNS)


def cumulative(
    events: npt.ArrayLike,
    totals: npt.ArrayLike,
    years: Sequence[float] | None = None,
    *,
    method: PoolMethod = "GLMM",
    test: PoolTest = "t",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Pooled results as studies are added one at a time, in order of ``years`` (ties and
    studies without a year keep their input order, the latter last); ``label`` names the
    study added at each step. The first row is that study alone."""
    x, n, names = _pooling_input(events, totals, labels)
    if years is None:
        order = list(range(x.size))
    else:
        if len(years) != x.size:
            raise ValueError(f"{len(years)} years for {x.size} studies")
        key = [
            (math.inf if y is None or not np.isfinite(float(y)) else float(y), i)
            for i, y in enumerate(years)
        ]
        order = [i for _, i in sorted(key)]
    rows = []
    for j in range(1, x.size + 1):
        chosen = order[:j]
        result = pool_proportions(x[chosen], n[chosen], method, level, test=test)
        rows.append(
            {
                "year": None if years is None else years[order[j - 1]],
                **_row(names[order[j - 1]], result),
            }
        )
    return pd.DataFrame(rows, columns=["year", *_COLUMNS])


@dataclass(frozen=True)
class SubgroupTest:
    """Test that the subgroups' pooled logits differ: Q on ``df`` degrees of freedom."""

    q: float
    df: int
    p: float
    tau2: float


def _reml_regression(
    yi: np.ndarray, vi: np.ndarray, X: np.ndarray, tol: float = 1e-5, maxiter: int = 100
) -> tuple[float, np.ndarray, np.ndarray]:
    """tau², beta and vcov(beta) of the mixed-effects meta-regression by metafor's REML
    Fisher scoring (start: Hedges' estimator; halving steps that would go below 0)."""
    k, p = X.shape
    ols = np.linalg.lstsq(X, yi, rcond=None)[0]
    resid = yi - X @ ols
    hat = X @ np.linalg.pinv(X.T @ X) @ X.T
    tau2 = max(0.0, float((resid @ resid - (vi * (1 - np.diag(hat))).sum()) / (k - p)))
    for _ in range(maxiter):
        W = np.diag(1 / (vi + tau2))
        xtwx_inv = np.linalg.inv(X.T @ W @ X)
        P = W - W @ X @ xtwx_inv @ X.T @ W
        adj = float((yi @ P @ P @ yi - np.trace(P)) / np.sum(P * P))
        while tau2 + adj < 0:
            adj /= 2
        tau2 += adj
        if abs(adj) <= tol:
            break
    W = np.diag(1 / (vi + tau2))
    vb = np.linalg.inv(X.T @ W @ X)
    beta = vb @ X.T @ W @ yi
    return tau2, beta, vb


def subgroup_difference(
    events: npt.ArrayLike,
    totals: npt.ArrayLike,
    groups: Sequence[object],
    method: PoolMethod = "REML",
) -> SubgroupTest:
    """Test of subgroup differences: the omnibus Wald test (QM) of the subgroup factor in a
    random-effects meta-regression with a common tau² estimated by REML, on the escalc logits,
    as ``rma(yi, vi, mods = ~ factor(group), method = "REML")``."""
    if method != "REML":
        raise ValueError("the subgroup test is computed with REML (as metafor's default)")
    x, n, _ = _pooling_input(events, totals, None)
    if len(groups) != x.size:
        raise ValueError(f"{len(groups)} group labels for {x.size} studies")
    levels = sorted({str(g) for g in groups})
    if len(levels) < 2:
        raise ValueError("the subgroup test needs at least two subgroups")
    yi, vi = _escalc_plo(x, n)
    X = np.column_stack(
        [np.ones(x.size)] + [[str(g) == level for g in groups] for level in levels[1:]]
    ).astype(float)
    if X.shape[0] <= X.shape[1]:
        raise ValueError("too few studies for the number of subgroups")
    tau2, beta, vb = _reml_regression(yi, vi, X)
    b = beta[1:]
    q = float(b @ np.linalg.inv(vb[1:, 1:]) @ b)
    df = len(levels) - 1
    return SubgroupTest(q=q, df=df, p=float(stats.chi2.sf(q, df)), tau2=tau2)


@dataclass(frozen=True)
class EggerTest:
    """Egger's regression test: z and p for the standard error as a moderator."""

    z: float
    p: float
    k: int


def egger_test(events: npt.ArrayLike, totals: npt.ArrayLike) -> EggerTest:
    """Egger's test as ``regtest(rma(yi, vi, method = "REML"))``: the Wald z of the standard
    error (sqrt(vi)) in a REML meta-regression. Refused below :data:`MIN_K_SMALL_STUDY`
    studies, where it has too little power to mean anything."""
    x, n, _ = _pooling_input(events, totals, None)
    if x.size < MIN_K_SMALL_STUDY:
        raise ValueError(
            f"small-study effects are tested only with {MIN_K_SMALL_STUDY} or more studies "
            f"(here {x.size})"
        )
    yi, vi = _escalc_plo(x, n)
    X = np.column_stack([np.ones(x.size), np.sqrt(vi)])
    _, beta, vb = _reml_regression(yi, vi, X)
    z = float(beta[1] / math.sqrt(vb[1, 1]))
    return EggerTest(z=z, p=float(2 * stats.norm.sf(abs(z))), k=int(x.size))
