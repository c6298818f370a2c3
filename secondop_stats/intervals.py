"""Confidence intervals for reported rates: Wilson and exact (Clopper-Pearson), per figure.

A figure with counts gets an interval from them; one with a percent and a sample size gets one
from the reconstructed count (flagged); one with no sample size gets none, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

IntervalMethod = Literal["wilson", "clopper_pearson"]

#: Qualifiers that bound a rate rather than report it; never pooled or given a CI.
NON_EXACT_QUALIFIERS = frozenset({"range", "up_to", "more_than"})

NO_SAMPLE_SIZE = "no sample size reported"
NO_COUNT = "no numerator or percent reported"
DENOMINATOR_FROM_N = "denominator taken from study n"
RECONSTRUCTED_FROM_DENOMINATOR = "count reconstructed as round(percent × denominator)"
RECONSTRUCTED_FROM_N = "count reconstructed as round(percent × study n)"
NUMERATOR_EXCEEDS_N = "numerator exceeds study n and no denominator reported"


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


def _require_columns(table: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"figure table lacks column(s): {', '.join(missing)}")
