"""Numbers as reports print them: percentages, intervals, dollars, counts, reported figures."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..text import money, money_range

_QUALIFIER_PREFIX = {"approximately": "about ", "more_than": "more than ", "up_to": "up to "}


def missing(value: Any) -> bool:
    """None, pandas NA or NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def pct(value: float, digits: int = 1) -> str:
    """A proportion (0-1) as "14.8%"; "—" when missing."""
    return "—" if missing(value) else f"{100 * value:.{digits}f}%"


def pct_interval(low: float, high: float, digits: int = 1) -> str:
    """An interval of proportions as "5.1–8.6%"."""
    if missing(low) or missing(high):
        return "—"
    return f"{100 * low:.{digits}f}–{100 * high:.{digits}f}%"


def count(value: Any) -> str:
    """A whole number with thousands separators."""
    return "—" if missing(value) else f"{int(value):,}"


def reported_percent(row: dict[str, Any]) -> str:
    """The figure as reported: "14.8%", "about 37%", "more than 50%", "10–62%"."""
    qualifier = row.get("qualifier")
    if qualifier == "range":
        low, high = row.get("percent_low"), row.get("percent_high")
        return "—" if missing(low) else f"{low:g}–{high:g}%"
    value = row.get("percent")
    if missing(value):
        k, n = row.get("numerator"), row.get("denominator")
        return "—" if missing(k) or missing(n) else f"{100 * k / n:.1f}%"
    return f"{_QUALIFIER_PREFIX.get(str(qualifier), '')}{value:g}%"
