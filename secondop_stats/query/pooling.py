"""Pooling a selection of figures for display: the pooled table, or why there is none.

:func:`secondop_stats.stats.pool_figures` refuses what must not be pooled; the apps turn those
refusals into a sentence a reader can act on ("mixed metrics: choose one metric to pool") and
cache results per selection, so going back to an earlier filter costs nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import pandas as pd

from .. import stats

MIXED_METRICS = "mixed metrics: choose one metric to pool"


@dataclass(frozen=True)
class PoolOutcome:
    """Pooled subgroups (``table``, None when nothing was pooled; ``records``, its rows as
    dicts) and a message saying why not, or notes on what was left out."""

    table: pd.DataFrame | None
    message: str
    by: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    records: tuple[dict, ...] = field(default=())

    @property
    def pooled(self) -> bool:
        """Whether at least one subgroup has a pooled estimate."""
        return self.table is not None and bool(self.table["estimate"].notna().any())


def refusal(selection: pd.DataFrame, observed_only: bool) -> str | None:
    """Why ``selection`` may not be pooled as it is, in words; None when it may."""
    if selection.empty:
        return "no figures match the filters: nothing to pool"
    metrics = selection["metric"].unique()
    if len(metrics) > 1:
        return f"{MIXED_METRICS} ({len(metrics)} metrics selected)"
    if not selection["poolable"].all():
        label = selection["metric_label"].iloc[0]
        return f"{label} is a modelling result, not an observed rate: it is never pooled"
    kinds = sorted(set(selection["evidence_type"]) - {"observed"})
    if kinds and not observed_only:
        return (
            f"the selection mixes observed studies with {', '.join(kinds)} figures: "
            "tick “observed studies only” or narrow the kind of source to pool"
        )
    if kinds and not (selection["evidence_type"] == "observed").any():
        return f"only {', '.join(kinds)} figures selected: nothing observed to pool"
    return None


def pool_selection(
    selection: pd.DataFrame, by: tuple[str, ...], observed_only: bool = True
) -> PoolOutcome:
    """Pool ``selection`` per subgroup ``by`` (within its single metric) with REML."""
    reason = refusal(selection, observed_only)
    if reason is not None:
        return PoolOutcome(None, reason, by)
    keys = ("metric", *by)
    try:
        table = stats.pool_figures(
            selection, by=keys, method="REML", exclude_nonobserved=observed_only
        )
    except ValueError as error:
        return PoolOutcome(None, str(error), by)
    notes = []
    dropped = int(table.attrs.get("dropped_nonobserved", 0))
    if dropped:
        notes.append(f"{dropped} non-observed figure(s) left out of pooling")
    skipped = table.attrs.get("skipped")
    if skipped is not None and len(skipped):
        notes.append(f"{len(skipped)} figure(s) not pooled (bounds, no counts or re-reports)")
    if not table["estimate"].notna().any():
        return PoolOutcome(None, "no figure in the selection has usable counts", by, tuple(notes))
    return PoolOutcome(table, "", by, tuple(notes), tuple(table.to_dict("records")))


class PoolCache:
    """Least-recently-used cache of :func:`pool_selection` keyed by the selected figure ids."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple, PoolOutcome] = OrderedDict()

    def pool(
        self, selection: pd.DataFrame, by: tuple[str, ...], observed_only: bool = True
    ) -> PoolOutcome:
        """Pooled outcome for the selection, computed once per (figures, by, observed_only)."""
        key = (tuple(sorted(selection["figure_id"])), by, observed_only)
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        outcome = pool_selection(selection, by, observed_only)
        self._items[key] = outcome
        if len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return outcome
