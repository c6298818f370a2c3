"""Confidence intervals for reported rates and random-effects pooling of proportions.

Pooling follows R's metafor (the reference implementation researchers check
against): ``escalc(measure="PLO")`` with its default 1/2 correction, then
``rma(yi, vi, method=...)`` with REML (Fisher scoring, as metafor does it) or
DerSimonian-Laird, a normal-quantile (``test="z"``) interval and metafor's
prediction interval, I² and weights. ``tests/reference/`` holds the R scripts
and outputs the tests compare against.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special, stats
from statsmodels.stats.proportion import proportion_confint

__all__ = [
    "NON_EXACT_QUALIFIERS",
    "FigureInterval",
    "FisherScoringError",
    "PooledResult",
    "ScreenedFigures",
    "add_intervals",
    "clopper_pearson_interval",
    "figure_interval",
    "observed_only",
    "pool_figures",
    "pool_proportions",
    "pool_table",
    "screen_figures",
    "wilson_interval",
]

IntervalMethod = Literal["wilson", "clopper_pearson"]
PoolMethod = Literal["REML", "DL"]

#: Qualifiers that bound a rate rather than report it; never pooled or given a CI.
NON_EXACT_QUALIFIERS = frozenset({"range", "up_to", "more_than"})

NO_SAMPLE_SIZE = "no sample size reported"
NO_COUNT = "no numerator or percent reported"
DENOMINATOR_FROM_N = "denominator taken from study n"
RECONSTRUCTED_FROM_DENOMINATOR = "count reconstructed as round(percent × denominator)"
RECONSTRUCTED_FROM_N = "count reconstructed as round(percent × study n)"
NUMERATOR_EXCEEDS_N = "numerator exceeds study n and no denominator reported"

# metafor's rma.uni() control defaults for Fisher scoring (metafor 3.8).
_REML_THRESHOLD = 1e-5
_REML_MAXITER = 100
_LL0_TOL = np.finfo(float).eps ** 0.25  # metafor's control$tol


class FisherScoringError(RuntimeError):
    """REML Fisher scoring did not converge (metafor stops with an error too)."""


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _check_level(level: float) -> float:
    """Return ``level`` as a float, or raise if it is not strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
    return float(level)


def _as_count(value: object, name: str) -> int:
    """Return ``value`` as an int if it is a whole, non-negative number."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    whole_real = isinstance(value, Real) and math.isfinite(value) and float(value).is_integer()
    if not (isinstance(value, Integral) or whole_real):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    count = int(value)
    if count < 0:
        raise ValueError(f"{name} must not be negative, got {count}")
    return count


def _check_counts(k: object, n: object) -> tuple[int, int]:
    """Validate one (events, total) pair: 0 <= k <= n and n > 0."""
    k_int, n_int = _as_count(k, "k"), _as_count(n, "n")
    if n_int == 0:
        raise ValueError("n must be positive, got 0")
    if k_int > n_int:
        raise ValueError(f"k must not exceed n, got k={k_int} > n={n_int}")
    return k_int, n_int


# --------------------------------------------------------------------------------------
# Intervals for a single proportion
# --------------------------------------------------------------------------------------


def _confint(
    k: npt.ArrayLike, n: npt.ArrayLike, level: float, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' interval, made exact at the edges: 0 events -> low = 0, all -> high = 1.

    (Wilson's formula gives these bounds only up to rounding, e.g. 0.9999999999999999.)
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    low, high = proportion_confint(k, n, alpha=1 - level, method=method)
    low = np.where(k == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(high, 0.0, 1.0))
    return low, high


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` events in ``n``: good coverage even near 0 and 1."""
    k, n = _check_counts(k, n)
    low, high = _confint(k, n, _check_level(level), "wilson")
    return float(low), float(high)


def clopper_pearson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson ("exact") interval: conservative, never below nominal coverage."""
    k, n = _check_counts(k, n)
    low, high = _confint(k, n, _check_level(level), "beta")
    return float(low), float(high)


_INTERVAL_METHODS: dict[str, str] = {"wilson": "wilson", "clopper_pearson": "beta"}


def _statsmodels_method(method: str) -> str:
    try:
        return _INTERVAL_METHODS[method]
    except KeyError:
        raise ValueError(
            f"method must be one of {sorted(_INTERVAL_METHODS)}, got {method!r}"
        ) from None


# --------------------------------------------------------------------------------------
# Intervals for reported figures (counts, or a percent of a known n)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureInterval:
    """Interval for one reported figure, with the counts it was computed from.

    ``low``/``high`` are proportions (NaN when there is no usable count).
    ``reason`` is None for reported counts; otherwise it says how the counts were
    derived (e.g. reconstructed from a percent) or why there is no interval.
    """

    low: float
    high: float
    k_used: int | None
    n_used: int | None
    reconstructed: bool
    reason: str | None

    @property
    def proportion(self) -> float:
        """Point estimate k_used / n_used (NaN without counts)."""
        if self.k_used is None or self.n_used is None:
            return math.nan
        return self.k_used / self.n_used


def _float_values(values: object) -> np.ndarray:
    """Nullable numbers (None, pd.NA, NaN, Int64) as a float array with NaN for missing."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
    numeric = pd.to_numeric(series, errors="raise").astype("Float64")
    return numeric.to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True)
class _Counts:
    """Counts resolved for each figure (vectorised form of the figure_interval rules)."""

    k: np.ndarray  # float, NaN where unusable
    n: np.ndarray
    reconstructed: np.ndarray  # bool
    reason: np.ndarray  # object: str or None


def _resolve_counts(
    numerator: object,
    denominator: object,
    percent: object,
    n: object,
    ids: Sequence[object] | None = None,
) -> _Counts:
    """Apply the count rules to arrays of figures; raise on inconsistent numbers."""
    num, den, pct, study_n = (_float_values(v) for v in (numerator, denominator, percent, n))
    size = _checked_sizes(num, den, pct, study_n)
    ids = list(ids) if ids is not None else list(range(size))

    n_used = np.where(np.isnan(den), study_n, den)
    # NaN compares False everywhere below, so missing values pass these checks.
    _raise_for(ids, (num < 0) | (num % 1 > 0), "numerator must be a whole number >= 0")
    _raise_for(ids, (n_used <= 0) | (n_used % 1 > 0), "sample size must be a whole number > 0")
    _raise_for(ids, (pct < 0) | (pct > 100), "percent must be within [0, 100]")
    _raise_for(ids, num > den, "numerator exceeds the denominator")
    # A numerator above the study n may count something else (e.g. opinions, not
    # patients): no interval, but not an error in the figure itself.
    exceeds_n = np.isnan(den) & (num > study_n)

    has_n = ~np.isnan(n_used)
    from_counts = has_n & ~np.isnan(num) & ~exceeds_n
    from_percent = has_n & np.isnan(num) & ~np.isnan(pct)
    k = np.full(size, np.nan)
    k[from_counts] = num[from_counts]
    # Round half up (not to even): a reconstructed count is a best guess either way.
    k[from_percent] = np.floor(pct[from_percent] / 100 * n_used[from_percent] + 0.5)
    usable = from_counts | from_percent

    reason = np.full(size, None, dtype=object)
    reason[~has_n] = NO_SAMPLE_SIZE
    reason[has_n & ~usable] = NO_COUNT
    reason[exceeds_n] = NUMERATOR_EXCEEDS_N
    reason[from_counts & np.isnan(den)] = DENOMINATOR_FROM_N
    reason[from_percent & ~np.isnan(den)] = RECONSTRUCTED_FROM_DENOMINATOR
    reason[from_percent & np.isnan(den)] = RECONSTRUCTED_FROM_N
    return _Counts(
        k=k, n=np.where(usable, n_used, np.nan), reconstructed=from_percent, reason=reason
    )


def _checked_sizes(*arrays: np.ndarray) -> int:
    sizes = {a.size for a in arrays}
    if len(sizes) != 1:
        raise ValueError(f"numerator, denominator, percent and n differ in length: {sizes}")
    return sizes.pop()


def _raise_for(ids: Sequence[object], bad: np.ndarray, message: str) -> None:
    """Raise a ValueError naming the figures where ``bad`` is True."""
    if bad.any():
        where = [ids[i] for i in np.flatnonzero(bad)]
        raise ValueError(f"{message}: {', '.join(map(str, where[:10]))}")


def _intervals(
    k: np.ndarray, n: np.ndarray, method: str, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised interval over float counts; NaN where k or n is NaN."""
    low, high = np.full(k.shape, np.nan), np.full(k.shape, np.nan)
    ok = ~(np.isnan(k) | np.isnan(n))
    if ok.any():
        low[ok], high[ok] = _confint(k[ok], n[ok], level, _statsmodels_method(method))
    return low, high


def figure_interval(
    numerator: float | None,
    denominator: float | None,
    percent: float | None,
    n: float | None,
    method: IntervalMethod = "wilson",
    level: float = 0.95,
) -> FigureInterval:
    """Interval for one reported figure.

    Rules: a numerator with a denominator (or, failing that, the study n) gives the
    interval from counts; a percent without numerator is turned into a count
    k = round(percent/100 · n) and flagged ``reconstructed``; without any sample
    size the interval is NaN with reason "no sample size reported".
    """
    level = _check_level(level)
    _statsmodels_method(method)
    counts = _resolve_counts([numerator], [denominator], [percent], [n], ids=["figure"])
    low, high = _intervals(counts.k, counts.n, method, level)
    k, n_used = counts.k[0], counts.n[0]
    return FigureInterval(
        low=float(low[0]),
        high=float(high[0]),
        k_used=None if np.isnan(k) else int(k),
        n_used=None if np.isnan(n_used) else int(n_used),
        reconstructed=bool(counts.reconstructed[0]),
        reason=counts.reason[0],
    )


def _qualifier_reasons(qualifier: pd.Series) -> np.ndarray:
    """Reason strings for figures whose qualifier makes them bounds, not rates."""
    q = qualifier.astype("object")
    bad = q.isin(NON_EXACT_QUALIFIERS).to_numpy()
    reasons = np.full(len(q), None, dtype=object)
    reasons[bad] = [f"qualifier '{v}' is not an exact rate" for v in q[bad]]
    return reasons


def _is_set(reasons: np.ndarray) -> np.ndarray:
    """Boolean mask of the entries of an object array that are not None."""
    return np.array([r is not None for r in reasons], dtype=bool)


def add_intervals(
    table: pd.DataFrame, method: IntervalMethod = "wilson", level: float = 0.95
) -> pd.DataFrame:
    """Return a copy of a figure table with ci_low, ci_high, ci_reconstructed, ci_reason.

    Uses the rules of :func:`figure_interval` row by row (vectorised). Figures
    qualified as range, up_to or more_than get no interval: they bound a rate.
    ``ci_reason`` is missing (NA) where the interval comes from reported counts.
    """
    level = _check_level(level)
    _require_columns(table, ("figure_id", "numerator", "denominator", "percent", "n", "qualifier"))
    counts = _resolve_counts(
        table["numerator"],
        table["denominator"],
        table["percent"],
        table["n"],
        ids=table["figure_id"].tolist(),
    )
    qualifier_reason = _qualifier_reasons(table["qualifier"])
    blocked = _is_set(qualifier_reason)
    k = np.where(blocked, np.nan, counts.k)
    low, high = _intervals(k, counts.n, method, level)
    out = table.copy()
    out["ci_low"] = low
    out["ci_high"] = high
    out["ci_reconstructed"] = counts.reconstructed & ~blocked
    out["ci_reason"] = np.where(blocked, qualifier_reason, counts.reason)
    return out


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
) -> PooledResult:
    """Random-effects meta-analysis of proportions on the logit scale.

    Matches ``rma(yi, vi, method=method)`` after
    ``escalc(measure="PLO", xi=events, ni=totals)`` in metafor 3.8 with its
    defaults: 1/2 added to both cells of studies with 0 or all events, a normal
    (z) interval, prediction interval mu ± z·sqrt(se² + tau²), weights 1/(vi + tau²).
    With k = 1 it returns the study itself (tau² = 0), as metafor does.

    Raises FisherScoringError when REML does not converge (metafor errors too),
    and warns (RuntimeWarning) when tau² is reset to 0 after a local maximum.
    """
    level = _check_level(level)
    if method not in ("REML", "DL"):
        raise ValueError(f"method must be 'REML' or 'DL', got {method!r}")
    x, n, label_tuple = _pooling_input(events, totals, labels)
    yi, vi = _escalc_plo(x, n)

    iterations, notes = None, ()
    if yi.size == 1:
        tau2 = 0.0
    elif method == "REML":
        tau2, iterations, notes = _tau2_reml(yi, vi)
    else:
        tau2 = _tau2_dl(yi, vi)

    w = 1 / (vi + tau2)
    mu = float((w * yi).sum() / w.sum())
    se = math.sqrt(1 / w.sum())
    z = float(stats.norm.isf((1 - level) / 2))
    pi_half = z * math.sqrt(se**2 + tau2)
    q, q_pvalue, i2, h2 = _heterogeneity(yi, vi, tau2)
    expit = special.expit
    return PooledResult(
        estimate=float(expit(mu)),
        ci_low=float(expit(mu - z * se)),
        ci_high=float(expit(mu + z * se)),
        pi_low=float(expit(mu - pi_half)),
        pi_high=float(expit(mu + pi_half)),
        mu=mu,
        se=se,
        tau2=tau2,
        tau2_se=_tau2_se(vi, tau2, method),
        i2=float(i2),
        h2=float(h2),
        q=q,
        q_df=yi.size - 1,
        q_pvalue=q_pvalue,
        k=yi.size,
        method=method,
        level=level,
        yi=_readonly(yi),
        vi=_readonly(vi),
        weights=_readonly(100 * w / w.sum()),
        events=_readonly(x),
        totals=_readonly(n),
        labels=label_tuple,
        iterations=iterations,
        notes=notes,
    )


# --------------------------------------------------------------------------------------
# Pooling a figure table
# --------------------------------------------------------------------------------------

_POOL_COLUMNS = (
    "figure_id",
    "study_id",
    "metric",
    "numerator",
    "denominator",
    "percent",
    "n",
    "qualifier",
    "evidence_type",
    "poolable",
    "is_primary_report",
)


def _require_columns(table: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"figure table lacks column(s): {', '.join(missing)}")


def observed_only(table: pd.DataFrame) -> pd.DataFrame:
    """Rows whose evidence_type is "observed" (no reviews, modelling or industry claims).

    The number of rows dropped is kept in ``.attrs["dropped_nonobserved"]``.
    """
    _require_columns(table, ("evidence_type",))
    keep = table["evidence_type"].eq("observed").fillna(False).astype(bool)
    out = table.loc[keep].copy()
    out.attrs["dropped_nonobserved"] = int((~keep).sum())
    return out


@dataclass(frozen=True)
class ScreenedFigures:
    """Figure rows ready to pool plus the rows set aside, with reasons.

    ``rows`` has every input row with added k_used, n_used, reconstructed and
    ``skip_reason`` (missing for the rows that are pooled).
    """

    rows: pd.DataFrame
    dropped_nonobserved: int

    @property
    def pooled(self) -> pd.DataFrame:
        return self.rows[self.rows["skip_reason"].isna()]

    @property
    def skipped(self) -> pd.DataFrame:
        skipped = self.rows[self.rows["skip_reason"].notna()]
        return (
            skipped[["figure_id", "study_id", "skip_reason"]]
            .rename(columns={"skip_reason": "reason"})
            .reset_index(drop=True)
        )


def screen_figures(
    table: pd.DataFrame,
    by: Sequence[str] | str = ("metric", "design", "condition"),
    exclude_nonobserved: bool = False,
) -> ScreenedFigures:
    """Check a figure table for pooling and pick the rows that enter it.

    Refuses (ValueError): several metrics unless "metric" is in ``by``; metrics
    marked not poolable; non-observed evidence unless ``exclude_nonobserved``.
    Skips, with a reason: bounds (range/up_to/more_than), rows without usable
    counts, and re-reports (a study_id seen again in the same subgroup: the
    primary publication wins, then a row with a numerator, then the larger n).
    """
    by = _by_columns(by)
    _require_columns(table, (*_POOL_COLUMNS, *by))
    if "metric" not in by and table["metric"].nunique(dropna=False) > 1:
        metrics = ", ".join(sorted(map(str, table["metric"].unique())))
        raise ValueError(
            f"refusing to pool across metrics ({metrics}): add 'metric' to `by` "
            "or select one metric first"
        )
    not_poolable = ~table["poolable"].fillna(False).astype(bool)
    if not_poolable.any():
        metrics = ", ".join(sorted(map(str, table.loc[not_poolable, "metric"].unique())))
        raise ValueError(f"refusing to pool metric(s) marked not poolable: {metrics}")

    dropped = int(table.attrs.get("dropped_nonobserved", 0))
    nonobserved = ~table["evidence_type"].eq("observed").fillna(False).astype(bool)
    if nonobserved.any():
        if not exclude_nonobserved:
            kinds = ", ".join(sorted(map(str, table.loc[nonobserved, "evidence_type"].unique())))
            raise ValueError(
                f"refusing to mix {int(nonobserved.sum())} non-observed row(s) ({kinds}) "
                "with observed studies: pass exclude_nonobserved=True or use observed_only()"
            )
        table = table.loc[~nonobserved]
        dropped += int(nonobserved.sum())

    rows = table.copy()
    counts = _resolve_counts(
        rows["numerator"],
        rows["denominator"],
        rows["percent"],
        rows["n"],
        ids=rows["figure_id"].tolist(),
    )
    rows["k_used"], rows["n_used"] = counts.k, counts.n
    rows["reconstructed"] = counts.reconstructed
    qualifier_reason = _qualifier_reasons(rows["qualifier"])
    unusable = np.where(np.isnan(counts.k), counts.reason, None)
    rows["skip_reason"] = np.where(_is_set(qualifier_reason), qualifier_reason, unusable)
    rows = _mark_rereports(rows, by)
    return ScreenedFigures(rows=rows, dropped_nonobserved=dropped)


def _by_columns(by: Sequence[str] | str) -> tuple[str, ...]:
    return (by,) if isinstance(by, str) else tuple(by)


def _mark_rereports(rows: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Keep one usable row per study within each subgroup; skip the rest as re-reports."""
    usable = rows[rows["skip_reason"].isna()]
    if usable.empty:
        return rows
    order = usable.assign(
        _primary=usable["is_primary_report"].fillna(False).astype(bool),
        _has_numerator=usable["numerator"].notna(),
    ).sort_values(
        ["_primary", "_has_numerator", "n_used", "figure_id"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    kept = order.groupby([*by, "study_id"], dropna=False, sort=False)["figure_id"]
    kept_figure = kept.transform("first")
    duplicate = order.index[order["figure_id"].to_numpy() != kept_figure.to_numpy()]
    rows = rows.copy()
    for index in duplicate:
        rows.loc[index, "skip_reason"] = (
            f"re-report of study {rows.loc[index, 'study_id']} "
            f"(pooled figure {kept_figure.loc[index]})"
        )
    return rows


def _study_label(row: Mapping[str, object]) -> str:
    """Forest-plot label such as "Meyer 2015 (n = 6,791)"."""
    label = row.get("label")
    label = str(row["study_id"]) if label is None or pd.isna(label) else str(label)
    year = row.get("study_year")
    if year is not None and not pd.isna(year) and str(int(year)) not in label:
        label = f"{label} {int(year)}"
    return f"{label} (n = {int(row['n_used']):,})"


def pool_table(
    table: pd.DataFrame,
    method: PoolMethod = "REML",
    level: float = 0.95,
    exclude_nonobserved: bool = False,
) -> PooledResult:
    """Pool the figures of one subgroup (one metric) into a labelled PooledResult.

    Applies the screening of :func:`screen_figures` (one row per study; bounds and
    rows without counts skipped) and labels studies "Label Year (n = N)".
    """
    screened = screen_figures(table, by=(), exclude_nonobserved=exclude_nonobserved)
    pooled = screened.pooled
    if pooled.empty:
        raise ValueError("no figure with usable counts to pool")
    labels = [_study_label(row) for row in pooled.to_dict("records")]
    return pool_proportions(
        pooled["k_used"].to_numpy(),
        pooled["n_used"].to_numpy(),
        method=method,
        level=level,
        labels=labels,
    )


def _subgroup_row(rows: pd.DataFrame, method: PoolMethod, level: float) -> dict[str, object]:
    """Pooled statistics for one subgroup's screened rows."""
    pooled = rows[rows["skip_reason"].isna()]
    k = len(pooled)
    skipped = tuple(
        f"{f}: {r}"
        for f, r in zip(rows["figure_id"], rows["skip_reason"], strict=True)
        if pd.notna(r)
    )
    out: dict[str, object] = {
        "k": k,
        "n_total": int(pooled["n_used"].sum()),
        "estimate": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "pi_low": np.nan,
        "pi_high": np.nan,
        "tau2": np.nan,
        "i2": np.nan,
        "q": np.nan,
        "q_pvalue": np.nan,
        "method": method,
        "study_ids": tuple(pooled["study_id"]),
        "figure_ids": tuple(pooled["figure_id"]),
        "skipped": skipped,
        "notes": (),
    }
    if k == 1:
        events, total = int(pooled["k_used"].iloc[0]), int(pooled["n_used"].iloc[0])
        low, high = wilson_interval(events, total, level)
        out.update(
            estimate=events / total,
            ci_low=low,
            ci_high=high,
            method="wilson (k = 1)",
            notes=("single study: Wilson interval, nothing pooled",),
        )
    elif k > 1:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = pool_proportions(
                    pooled["k_used"].to_numpy(),
                    pooled["n_used"].to_numpy(),
                    method=method,
                    level=level,
                )
        except FisherScoringError as error:
            out["notes"] = (str(error),)
        else:
            out.update(
                {
                    name: getattr(result, name)
                    for name in (
                        "estimate",
                        "ci_low",
                        "ci_high",
                        "pi_low",
                        "pi_high",
                        "tau2",
                        "i2",
                        "q",
                        "q_pvalue",
                    )
                },
                notes=result.notes,
            )
    return out


def pool_figures(
    table: pd.DataFrame,
    by: Sequence[str] | str = ("metric", "design", "condition"),
    method: PoolMethod = "REML",
    level: float = 0.95,
    exclude_nonobserved: bool = False,
) -> pd.DataFrame:
    """Pool a figure table by subgroup: one row per combination of the ``by`` columns.

    Columns: the ``by`` columns, k, n_total, estimate, ci_low, ci_high, pi_low,
    pi_high, tau2, i2, q, q_pvalue, method, study_ids, figure_ids, skipped
    ("figure_id: reason") and notes. Subgroups with k = 1 report that study with a
    Wilson interval and NaN heterogeneity; with k = 0 only what was skipped.
    ``.attrs`` holds "skipped" (figure_id, study_id, reason) and
    "dropped_nonobserved". Refusals and skips are those of :func:`screen_figures`.
    """
    level = _check_level(level)
    if method not in ("REML", "DL"):
        raise ValueError(f"method must be 'REML' or 'DL', got {method!r}")
    by = _by_columns(by)
    screened = screen_figures(table, by=by, exclude_nonobserved=exclude_nonobserved)
    rows = screened.rows
    records = []
    if by:
        for key, group in rows.groupby(list(by), dropna=False, sort=True):
            records.append(
                {**dict(zip(by, key, strict=True)), **_subgroup_row(group, method, level)}
            )
    elif not rows.empty:
        records.append(_subgroup_row(rows, method, level))
    out = pd.DataFrame.from_records(records, columns=[*by, *_SUBGROUP_COLUMNS])
    out.attrs["skipped"] = screened.skipped
    out.attrs["dropped_nonobserved"] = screened.dropped_nonobserved
    return out


_SUBGROUP_COLUMNS = (
    "k",
    "n_total",
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "method",
    "study_ids",
    "figure_ids",
    "skipped",
    "notes",
)
