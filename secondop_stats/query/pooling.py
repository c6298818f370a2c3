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
from ..certainty import StudyFacts, plain_statement, rate

ROB_COLUMNS = ("rob_sample", "rob_verification", "rob_blinding", "rob_completeness")

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


#: The model every pooled number is shown with: the binomial GLMM with a t interval.
PRIMARY_MODEL = ("GLMM", "t")
#: The sensitivity analysis beside it: inverse-variance REML with a Hartung-Knapp interval.
SENSITIVITY_MODEL = ("REML", "knha")
CERTAINTY_COLUMNS = ("certainty", "certainty_reasons", "not_assessed", "statement", "egger_p")


def pool_selection(
    selection: pd.DataFrame,
    by: tuple[str, ...],
    observed_only: bool = True,
    *,
    model: tuple[str, str] = PRIMARY_MODEL,
    sensitivity: bool = False,
) -> PoolOutcome:
    """Pool ``selection`` per subgroup ``by`` (within its single metric) with ``model``
    (method, test), and rate each pooled estimate's certainty (:mod:`secondop_stats.certainty`).
    With ``sensitivity``, each row also carries the inverse-variance REML + Hartung-Knapp
    result (``sens_*`` columns)."""
    reason = refusal(selection, observed_only)
    if reason is not None:
        return PoolOutcome(None, reason, by)
    keys = ("metric", *by)
    method, test = model
    # one order for every caller: the same figures give the same fit to the last digit
    selection = selection.sort_values("figure_id", kind="stable")
    try:
        table = stats.pool_figures(
            selection, by=keys, method=method, test=test, exclude_nonobserved=observed_only
        )
    except ValueError as error:
        return PoolOutcome(None, str(error), by)
    table = add_certainty(table, selection)
    if sensitivity:
        table = add_sensitivity(table, selection, keys, observed_only)
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


def _selection_key(selection: pd.DataFrame) -> tuple:
    """What a pooled result depends on: each figure's id and numbers."""
    columns = [
        c
        for c in ("figure_id", "numerator", "denominator", "percent", "n", "pooled")
        if c in selection.columns
    ]
    rows = selection[columns].astype(object).where(selection[columns].notna(), None)
    return tuple(sorted(map(tuple, rows.itertuples(index=False, name=None))))


class PoolCache:
    """Least-recently-used cache of :func:`pool_selection` keyed by the selected figure ids."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple, PoolOutcome] = OrderedDict()

    def pool(
        self, selection: pd.DataFrame, by: tuple[str, ...], observed_only: bool = True
    ) -> PoolOutcome:
        """Pooled outcome for the selection, computed once per (figures, by, observed_only)."""
        key = (_selection_key(selection), by, observed_only)
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        outcome = pool_selection(selection, by, observed_only)
        self._items[key] = outcome
        if len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return outcome


def _study_facts(selection: pd.DataFrame, figure_ids: tuple[str, ...]) -> list[StudyFacts]:
    rows = selection[selection["figure_id"].isin(figure_ids)]
    facts = []
    for r in rows.to_dict("records"):
        items = [str(r.get(c) or "") for c in ROB_COLUMNS]
        cases = r.get("n_used")
        facts.append(
            StudyFacts(
                cases=float(cases) if cases is not None and not pd.isna(cases) else 0.0,
                rob_items=items,
                design=str(r.get("design") or ""),
                change_basis=str(r.get("change_basis") or ""),
            )
        )
    return facts


def _egger_p(selection: pd.DataFrame, figure_ids: tuple[str, ...]) -> float | None:
    """Egger's p for the pooled figures, when there are enough of them and counts."""
    from ..sensitivity import MIN_K_SMALL_STUDY, egger_test

    if len(figure_ids) < MIN_K_SMALL_STUDY:
        return None
    screened = stats.screen_figures(
        selection[selection["figure_id"].isin(figure_ids)], by=(), exclude_nonobserved=True
    ).pooled
    try:
        return egger_test(screened["k_used"].to_numpy(), screened["n_used"].to_numpy()).p
    except ValueError:
        return None


def add_certainty(table: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """The pooled table with each row's certainty rating, its reasons, what could not be
    assessed, Egger's p (k >= 10) and the plain-language statement."""
    out = table.copy()
    ratings, reasons, missing, statements, eggers = [], [], [], [], []
    for row in out.to_dict("records"):
        if not row.get("k") or pd.isna(row.get("estimate")):
            ratings.append("")
            reasons.append(())
            missing.append(())
            statements.append("")
            eggers.append(None)
            continue
        ids = tuple(row["figure_ids"])
        egger = _egger_p(selection, ids)
        result = rate(row, _study_facts(selection, ids), egger_p=egger)
        ratings.append(result.rating)
        reasons.append(tuple(d.reason for d in result.downgrades))
        missing.append(result.not_assessed)
        statements.append(plain_statement(row, result))
        eggers.append(egger)
    out["certainty"] = ratings
    out["certainty_reasons"] = reasons
    out["not_assessed"] = missing
    out["statement"] = statements
    out["egger_p"] = eggers
    out.attrs.update(table.attrs)
    return out


def add_sensitivity(
    table: pd.DataFrame, selection: pd.DataFrame, keys: tuple[str, ...], observed_only: bool
) -> pd.DataFrame:
    """``sens_estimate``, ``sens_ci_low``, ``sens_ci_high``, ``sens_pi_low``, ``sens_pi_high``:
    the same subgroups pooled with :data:`SENSITIVITY_MODEL`."""
    method, test = SENSITIVITY_MODEL
    sens = stats.pool_figures(
        selection, by=keys, method=method, test=test, exclude_nonobserved=observed_only
    )
    columns = ["estimate", "ci_low", "ci_high", "pi_low", "pi_high"]
    merged = table.merge(
        sens[[*keys, *columns]].rename(columns={c: f"sens_{c}" for c in columns}),
        on=list(keys),
        how="left",
    )
    merged.attrs.update(table.attrs)
    return merged


#: One cache for every app and report in this process: a pooled result is computed once.
SHARED_POOLS = PoolCache(maxsize=2048)
