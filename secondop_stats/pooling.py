"""Random-effects pooling of proportions on the logit scale, as R's metafor does it.

``escalc(measure="PLO")`` with its default 1/2 correction, then ``rma(yi, vi, method=...)`` with
REML (Fisher scoring, as metafor does it) or DerSimonian-Laird, a normal-quantile (``test="z"``)
interval and metafor's prediction interval, I² and weights. ``tests/reference/`` holds the R
scripts and outputs the tests compare against.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special, stats

from .intervals import _check_level, _intervals

PoolMethod = Literal["REML", "DL", "GLMM"]
PoolTest = Literal["z", "knha", "t"]

# metafor's rma.uni() control defaults for Fisher scoring (metafor 3.8).
_REML_THRESHOLD = 1e-5
_REML_MAXITER = 100
_LL0_TOL = np.finfo(float).eps ** 0.25  # metafor's control$tol


#: Plain names of the model and interval combinations.
MODEL_LABELS = {
    ("GLMM", "t"): "random-intercept logistic model (GLMM), t interval",
    ("GLMM", "z"): "random-intercept logistic model (GLMM), normal interval",
    ("REML", "knha"): "inverse-variance REML, Hartung-Knapp interval (ad hoc safeguard)",
    ("REML", "z"): "inverse-variance REML, Wald interval",
    ("DL", "knha"): "inverse-variance DerSimonian-Laird, Hartung-Knapp interval (ad hoc)",
    ("DL", "z"): "inverse-variance DerSimonian-Laird, Wald interval",
}


class FisherScoringError(RuntimeError):
    """REML Fisher scoring did not converge (metafor stops with an error too)."""


# --------------------------------------------------------------------------------------
# Random-effects pooling of proportions (logit scale), as metafor
# --------------------------------------------------------------------------------------


def _readonly(values: npt.ArrayLike, dtype: type = float) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class PooledResult:
    """Random-effects pooled proportion with metafor's statistics.

    ``estimate``, ``ci_*`` and ``pi_*`` are proportions (inverse logit of the
    logit-scale results); ``mu``, ``se``, ``tau2``, ``yi`` and ``vi`` are on the
    logit scale; ``i2`` and ``weights`` are percentages. With k = 1 metafor
    returns the study itself with tau² = 0, Q = 0 (df 0, p = 1), I² = 0 and H² = 1;
    so does this class: read I² = 0 there as "not estimable", not "homogeneous".
    """

    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    mu: float
    se: float
    tau2: float
    tau2_se: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    k: int
    method: str
    level: float
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    events: np.ndarray
    totals: np.ndarray
    labels: tuple[str, ...]
    iterations: int | None = None
    notes: tuple[str, ...] = field(default=())
    test: str = "z"
    tau2_ci_low: float = math.nan
    tau2_ci_high: float = math.nan
    i2_ci_low: float = math.nan
    i2_ci_high: float = math.nan

    @property
    def model(self) -> str:
        """The model and interval in words, e.g. "GLMM (binomial, ML), t-based interval"."""
        return MODEL_LABELS.get((self.method, self.test), f"{self.method}, {self.test}")

    @property
    def tau(self) -> float:
        """Between-study standard deviation on the logit scale."""
        return math.sqrt(self.tau2)

    @property
    def rates(self) -> np.ndarray:
        """Observed per-study proportions events / totals (no 1/2 correction)."""
        return self.events / self.totals

    def study_table(self, level: float | None = None) -> pd.DataFrame:
        """One row per study: label, counts, rate, Wilson interval, yi, vi and weight."""
        level = self.level if level is None else _check_level(level)
        low, high = _intervals(self.events, self.totals, "wilson", level)
        return pd.DataFrame(
            {
                "label": list(self.labels),
                "events": self.events.astype(int),
                "total": self.totals.astype(int),
                "rate": self.rates,
                "ci_low": low,
                "ci_high": high,
                "yi": self.yi,
                "vi": self.vi,
                "weight": self.weights,
            }
        )

    def summary_line(self) -> str:
        """Short text: k, I², tau² and the prediction interval in percent."""
        pct = round(100 * self.level)
        if self.k == 1:
            return f"k = 1: a single study, no heterogeneity estimate ({self.method})"
        return (
            f"k = {self.k} · I² = {self.i2:.1f}% · τ² = {self.tau2:.3g} (logit) · "
            f"{pct}% prediction interval {100 * self.pi_low:.1f}% to "
            f"{100 * self.pi_high:.1f}% · random effects, {self.method}"
        )


def _escalc_plo(events: np.ndarray, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit proportions and variances as ``escalc(measure="PLO")`` with its defaults.

    add = 1/2, to = "only0": 1/2 is added to both cells (events and non-events) of
    exactly the studies with a zero cell, i.e. 0 events or all events.
    """
    x = events.astype(float)
    m = totals - x
    zero_cell = (x == 0) | (m == 0)
    x = np.where(zero_cell, x + 0.5, x)
    m = np.where(zero_cell, m + 0.5, m)
    return np.log(x / m), 1 / x + 1 / m


def _sum_pp(w: np.ndarray) -> float:
    """sum(P * P) for P = W - w w' / sum(w) without building the k x k matrix."""
    sw, sw2 = w.sum(), (w**2).sum()
    return float(sw2 - 2 * (w**3).sum() / sw + sw2**2 / sw**2)


def _reml_loglik(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """Restricted log-likelihood of the intercept-only random-effects model."""
    w = 1 / (vi + tau2)
    mu = (w * yi).sum() / w.sum()
    return float(
        -0.5 * (yi.size - 1) * math.log(2 * math.pi)
        - 0.5 * np.log(vi + tau2).sum()
        - 0.5 * math.log(w.sum())
        - 0.5 * (w * (yi - mu) ** 2).sum()
    )


def _tau2_reml(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int, tuple[str, ...]]:
    """REML tau² by metafor's Fisher scoring; returns (tau2, iterations, notes).

    Starts at the Hedges (HE) estimate truncated at 0, halves steps that would go
    below 0 and stops when tau² changes by at most 1e-5. As metafor, if the
    restricted likelihood at tau² = 0 beats the converged value by more than
    eps^(1/4), scoring stopped at a stationary point that is not the maximum
    (this happens with few studies): tau² is set to 0 with a warning.
    """
    k = yi.size
    tau2 = max(0.0, (((yi - yi.mean()) ** 2).sum() - vi.sum() * (k - 1) / k) / (k - 1))
    change, iteration = _REML_THRESHOLD + 1, 0
    while change > _REML_THRESHOLD:
        iteration += 1
        old = tau2
        w = 1 / (vi + tau2)
        sw = w.sum()
        residual = yi - (w * yi).sum() / sw
        trace_p = sw - (w**2).sum() / sw
        adj = ((w**2 * residual**2).sum() - trace_p) / _sum_pp(w)
        if not np.isfinite(adj):
            adj = 0.0
        while tau2 + adj < 0:
            adj /= 2
        tau2 += adj
        change = abs(old - tau2)
        if iteration > _REML_MAXITER:
            raise FisherScoringError(
                f"REML Fisher scoring did not converge in {_REML_MAXITER} iterations "
                "(metafor stops with the same error); try method='DL'"
            )
    notes: tuple[str, ...] = ()
    if tau2 > _REML_THRESHOLD and _reml_loglik(yi, vi, 0.0) - _reml_loglik(yi, vi, tau2) > _LL0_TOL:
        notes = ("REML Fisher scoring stopped at a local maximum; tau² set to 0 as metafor does",)
        warnings.warn(notes[0], RuntimeWarning, stacklevel=3)
        tau2 = 0.0
    return max(0.0, tau2), iteration, notes


def _tau2_dl(yi: np.ndarray, vi: np.ndarray) -> float:
    """DerSimonian-Laird tau², truncated at 0."""
    w = 1 / vi
    sw = w.sum()
    q = (w * (yi - (w * yi).sum() / sw) ** 2).sum()
    return max(0.0, float((q - (yi.size - 1)) / (sw - (w**2).sum() / sw)))


def _tau2_se(vi: np.ndarray, tau2: float, method: str) -> float:
    """Standard error of tau² as metafor reports it (NaN for k = 1)."""
    k = vi.size
    if k == 1:
        return math.nan
    if method == "REML":
        return math.sqrt(2 / _sum_pp(1 / (vi + tau2)))
    w = 1 / vi
    trace_p = w.sum() - (w**2).sum() / w.sum()
    return math.sqrt((2 * (k - 1) + 4 * tau2 * trace_p + 2 * tau2**2 * _sum_pp(w)) / trace_p**2)


def _heterogeneity(
    yi: np.ndarray, vi: np.ndarray, tau2: float
) -> tuple[float, float, float, float]:
    """Cochran's Q, its p-value, I² (%) and H² with metafor's definitions.

    I² = 100 · tau² / (tau² + s²) with s² = (k − 1) · Σw / ((Σw)² − Σw²) the
    "typical" within-study variance (w = 1/vi), H² = tau²/s² + 1. For k = 1
    metafor reports Q = 0, p = 1, I² = 0 and H² = 1.
    """
    k = yi.size
    if k == 1:
        return 0.0, 1.0, 0.0, 1.0
    w = 1 / vi
    sw = w.sum()
    q = max(0.0, float((w * (yi - (w * yi).sum() / sw) ** 2).sum()))
    s2 = (k - 1) * sw / (sw**2 - (w**2).sum())
    return q, float(stats.chi2.sf(q, k - 1)), 100 * tau2 / (s2 + tau2), tau2 / s2 + 1


def _pooling_input(
    events: npt.ArrayLike, totals: npt.ArrayLike, labels: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Validate counts and labels for pooling; raise ValueError with the reason."""
    try:
        x = np.asarray(events, dtype=float).ravel()
        n = np.asarray(totals, dtype=float).ravel()
    except (TypeError, ValueError) as error:
        raise ValueError(f"events and totals must be numbers: {error}") from None
    if x.size != n.size:
        raise ValueError(f"events ({x.size}) and totals ({n.size}) differ in length")
    if x.size == 0:
        raise ValueError("no studies to pool (k = 0)")
    for name, values in (("events", x), ("totals", n)):
        if not np.isfinite(values).all() or (values % 1 != 0).any():
            raise ValueError(f"{name} must be whole numbers without missing values")
        if (values < 0).any():
            raise ValueError(f"{name} must not be negative")
    if (n == 0).any():
        raise ValueError("totals must be positive")
    if (x > n).any():
        bad = np.flatnonzero(x > n).tolist()
        raise ValueError(f"events exceed totals in studies at positions {bad}")
    if isinstance(labels, str):
        raise ValueError("labels must be a sequence of strings, not one string")
    if labels is None:
        label_tuple = tuple(f"Study {i + 1}" for i in range(x.size))
    else:
        label_tuple = tuple(str(label) for label in labels)
        if len(label_tuple) != x.size:
            raise ValueError(f"{len(label_tuple)} labels for {x.size} studies")
    return x, n, label_tuple


def pool_proportions(
    events: npt.ArrayLike,
    totals: npt.ArrayLike,
    method: PoolMethod = "REML",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    *,
    test: PoolTest = "z",
) -> PooledResult:
    """Random-effects meta-analysis of proportions on the logit scale, as metafor 3.8.

    ``method``:
      - ``"GLMM"``: the random-intercept logistic model fitted by ML, as
        ``rma.glmm(measure="PLO")`` (lme4, nAGQ = 7); exact binomial likelihood, no 1/2
        correction; ``test`` ``"z"`` or ``"t"`` (t with k - 1 degrees of freedom);
      - ``"REML"`` and ``"DL"``: inverse-variance pooling of ``escalc(measure="PLO")`` (1/2 added
        to studies with 0 or all events), as ``rma(yi, vi, method=method)``; ``test`` ``"z"``
        (Wald) or ``"knha"``, the Hartung-Knapp interval with the ad hoc safeguard that keeps it
        at least as wide as the Wald one (``rma(..., test="adhoc")``; meta's adhoc.hakn.ci).

    The prediction interval is metafor's: mu ± crit · sqrt(se² + tau²), crit normal for z and
    t(k - 1) otherwise. I² uses the typical within-study variance of the escalc variances,
    also for the GLMM, as metafor does. tau² and I² carry Q-profile intervals (estimator-free,
    from the escalc data; ``confint`` of metafor). With k = 1 the result is the study itself.

    Raises FisherScoringError when REML does not converge (metafor errors too), and warns
    (RuntimeWarning) when tau² is reset to 0 after a local maximum.
    """
    level = _check_level(level)
    if method not in ("REML", "DL", "GLMM"):
        raise ValueError(f"method must be 'REML', 'DL' or 'GLMM', got {method!r}")
    valid_tests = ("z", "t") if method == "GLMM" else ("z", "knha")
    if test not in valid_tests:
        raise ValueError(
            f"test {test!r} does not apply to method {method}; valid: {', '.join(valid_tests)}"
        )
    x, n, label_tuple = _pooling_input(events, totals, labels)
    yi, vi = _escalc_plo(x, n)
    k = yi.size

    iterations, notes = None, ()
    if k == 1:
        tau2 = 0.0
    elif method == "REML":
        tau2, iterations, notes = _tau2_reml(yi, vi)
    elif method == "DL":
        tau2 = _tau2_dl(yi, vi)

    if method == "GLMM" and k > 1:
        from .glmm import fit_glmm

        start_tau2 = _tau2_dl(yi, vi)
        fit = fit_glmm(x, n, start=(math.sqrt(start_tau2), float(np.average(yi, weights=1 / vi))))
        mu, se, tau2 = fit.mu, fit.se, fit.tau2
        w = np.full(k, math.nan)
        weights = np.full(k, math.nan)
        if not fit.converged:
            notes = (*notes, "the GLMM optimiser reported no convergence")
    else:
        w = 1 / (vi + tau2)
        mu = float((w * yi).sum() / w.sum())
        se = math.sqrt(1 / w.sum())
        weights = 100 * w / w.sum()
        if test == "knha" and k > 1:
            s2w = float((w * (yi - mu) ** 2).sum() / (k - 1))
            se = math.sqrt(max(1.0, s2w) / w.sum())  # ad hoc: never narrower than Wald

    if test == "z" or k == 1:
        crit = float(stats.norm.isf((1 - level) / 2))
    else:
        crit = float(stats.t.isf((1 - level) / 2, k - 1))
    pi_half = crit * math.sqrt(se**2 + tau2)
    q, q_pvalue, i2, h2 = _heterogeneity(yi, vi, tau2)
    tau2_ci, i2_ci = _q_profile(yi, vi, level, tau2)
    expit = special.expit
    return PooledResult(
        estimate=float(expit(mu)),
        ci_low=float(expit(mu - crit * se)),
        ci_high=float(expit(mu + crit * se)),
        pi_low=float(expit(mu - pi_half)),
        pi_high=float(expit(mu + pi_half)),
        mu=mu,
        se=se,
        tau2=tau2,
        tau2_se=_tau2_se(vi, tau2, method) if method != "GLMM" else math.nan,
        i2=float(i2),
        h2=float(h2),
        q=q,
        q_df=k - 1,
        q_pvalue=q_pvalue,
        k=k,
        method=method,
        level=level,
        yi=_readonly(yi),
        vi=_readonly(vi),
        weights=_readonly(weights),
        events=_readonly(x),
        totals=_readonly(n),
        labels=label_tuple,
        iterations=iterations,
        notes=notes,
        test=test,
        tau2_ci_low=tau2_ci[0],
        tau2_ci_high=tau2_ci[1],
        i2_ci_low=i2_ci[0],
        i2_ci_high=i2_ci[1],
    )


def _q_profile(
    yi: np.ndarray, vi: np.ndarray, level: float, tau2: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Q-profile confidence intervals for tau² and I² (Viechtbauer 2007), as metafor's
    ``confint``: the tau² at which the generalised Q statistic meets the chi² quantiles."""
    k = yi.size
    if k < 2:
        return (math.nan, math.nan), (math.nan, math.nan)

    def q_gen(tau2: float) -> float:
        w = 1 / (vi + tau2)
        mu = (w * yi).sum() / w.sum()
        return float((w * (yi - mu) ** 2).sum())

    alpha = 1 - level
    targets = (stats.chi2.isf(alpha / 2, k - 1), stats.chi2.isf(1 - alpha / 2, k - 1))
    # metafor searches [0, max(100, 10 tau²)]; a bound beyond is reported as that limit
    high = max(100.0, 10 * tau2)
    bounds = []
    for target in targets:
        if q_gen(0.0) < target:
            bounds.append(0.0)
            continue
        if q_gen(high) > target:
            bounds.append(high)
            continue
        root = optimize.brentq(
            lambda t, goal: q_gen(t) - goal, 0.0, high, args=(target,), xtol=1e-12
        )
        bounds.append(float(root))
    w0 = 1 / vi
    vt = (k - 1) / (w0.sum() - (w0**2).sum() / w0.sum())
    i2 = tuple(100 * t / (vt + t) for t in bounds)
    return (bounds[0], bounds[1]), (i2[0], i2[1])
