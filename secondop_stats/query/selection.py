"""Filtering the prepared figure table: pure functions the explorer's widgets feed.

Kept apart from the widgets so that a test or a notebook can ask "which figures match?" without
building an app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

ALL = ""
GROUP_PREFIX = "group:"
CONDITION_PREFIX = "condition:"


@dataclass(frozen=True)
class Filters:
    """What the explorer's widgets select; empty values mean "all".

    ``condition`` is "" (all), ``"group:<condition_group>"`` or ``"condition:<condition>"``.
    ``years`` is an inclusive (first, last) range; figures without a year are kept only when
    the range spans every year (``full_years``).
    """

    metric: str = ALL
    condition: str = ALL
    design: str = ALL
    years: tuple[int, int] | None = None
    full_years: bool = True
    source_classes: frozenset[str] | None = None
    primary_only: bool = False
    observed_only: bool = False


def condition_choice(value: str) -> str:
    """The selection's condition choice for a condition group or condition id ("" for all),
    as a URL or a report gives it: ``cancer`` → ``group:cancer``, ``breast_cancer`` →
    ``condition:breast_cancer``. Already prefixed values are returned as they are."""
    if not value or value.startswith((GROUP_PREFIX, CONDITION_PREFIX)):
        return value
    if value in GROUPS:
        return f"{GROUP_PREFIX}{value}"
    return f"{CONDITION_PREFIX}{value}"


#: The condition groups of the data contract (``conditions.csv``, column ``group``).
GROUPS = ("cancer", "musculoskeletal", "heart", "internal_medicine", "neurology", "mixed")


def condition_mask(figures: pd.DataFrame, condition: str) -> pd.Series:
    """Rows matching a condition choice: all, a condition group, or one condition."""
    if not condition:
        return pd.Series(True, index=figures.index)
    if condition.startswith(GROUP_PREFIX):
        return figures["condition_group"] == condition.removeprefix(GROUP_PREFIX)
    return figures["condition"] == condition.removeprefix(CONDITION_PREFIX)


def apply_filters(figures: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of the prepared figure table that match ``filters``."""
    keep = condition_mask(figures, filters.condition)
    if filters.metric:
        keep &= figures["metric"] == filters.metric
    if filters.design:
        keep &= figures["design"] == filters.design
    if filters.source_classes is not None:
        keep &= figures["source_class"].isin(filters.source_classes)
    if filters.primary_only:
        keep &= figures["is_primary_report"]
    if filters.observed_only:
        keep &= figures["evidence_type"] == "observed"
    if filters.years is not None:
        first, last = filters.years
        year = figures["year"]
        in_range = ((year >= first) & (year <= last)).fillna(filters.full_years)
        keep &= in_range.astype(bool)
    return figures.loc[keep]


def condition_options(
    conditions: pd.DataFrame,
    present: Iterable[str],
    group_label: Callable[[str], str] = str,
) -> list[tuple[str, str]]:
    """Dropdown options: all conditions, then each group followed by its conditions.

    Only conditions that have figures (``present``) are offered.
    """
    present = set(present)
    rows = conditions[conditions["condition"].isin(present)]
    options = [("All conditions", ALL)]
    for group, members in rows.groupby("group", sort=True):
        options.append((f"{group_label(group)} (all)", f"{GROUP_PREFIX}{group}"))
        for member in members.sort_values("label").itertuples():
            label = f"\u00a0\u00a0\u00a0{member.label}"
            options.append((label, f"{CONDITION_PREFIX}{member.condition}"))
    return options
