"""Plain-text formatting of missing values, proportions and dollars, shared by every renderer."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA/NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def percent(value: float | None, digits: int = 1) -> str:
    """A proportion (0-1) as ``"12.3%"``; empty when missing."""
    if is_missing(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        return ""
    return f"{100 * float(value):.{digits}f}%"  # type: ignore[arg-type]


def interval(low: float | None, high: float | None, digits: int = 1) -> str:
    """A proportion interval as ``"10.2–14.9%"``; empty when either end is missing."""
    if is_missing(low) or is_missing(high):
        return ""
    return f"{100 * float(low):.{digits}f}–{100 * float(high):.{digits}f}%"  # type: ignore[arg-type]


def money(value: float | None, digits: int | None = None) -> str:
    """Dollars: "$1,234", or "$9.95" for an amount under $100 with cents (``digits`` fixes the
    decimals); an em dash when unknown, ∞ when unbounded. One format for the dashboard and the
    reports, so an amount reads the same in both."""
    if is_missing(value):
        return "—"
    value = float(value)  # type: ignore[arg-type]
    if math.isinf(value):
        return "∞"
    if digits is None:
        digits = 0 if value.is_integer() or value >= 100 else 2
    return f"${value:,.{digits}f}"


def money_range(low: float | None, high: float | None, digits: int | None = None) -> str:
    """A price range as "$450–$800", or one amount when both ends agree."""
    if is_missing(low):
        return "—"
    if is_missing(high) or round(float(low), 2) == round(float(high), 2):  # type: ignore[arg-type]
        return money(low, digits)
    return f"{money(low, digits)}–{money(high, digits)}"
