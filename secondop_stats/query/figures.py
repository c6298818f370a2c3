"""The tables the apps share, computed once per version of the evidence.

Joining the figures with their studies, sources and metrics and computing every figure's interval
takes far longer than filtering, so each app does it once (cached by the evidence's data hash)
and a widget change only filters the prepared table.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd

from .. import stats
from ..evidence import Evidence, load_evidence
from ..text import interval, is_missing
from .selection import Filters, apply_filters

#: Kinds of source the explorer filters by, in display order, with their labels.
SOURCE_CLASSES: dict[str, str] = {
    "peer_reviewed": "Peer-reviewed",
    "article": "Article",
    "press": "Press",
    "website": "Website",
    "modelling": "Modelling",
    "industry": "Industry",
}

#: Study designs with readable labels.
DESIGNS: dict[str, str] = {
    "remote_service": "Remote second-opinion service",
    "tumor_board": "Tumor board",
    "referral_clinic": "Referral clinic",
    "pathology_review": "Pathology review",
    "radiology_review": "Radiology review",
    "surgical_second_opinion": "Surgical second opinion",
    "systematic_review": "Systematic review",
    "modelling": "Modelling",
    "industry_report": "Industry report",
}

_QUALIFIER_PREFIX = {"approximately": "≈", "more_than": ">", "up_to": "≤"}


@dataclass(frozen=True)
class PreparedEvidence:
    """The evidence with the figure table prepared for display and pooling.

    ``figures`` is :meth:`Evidence.figure_table` plus the intervals of
    :func:`secondop_stats.stats.add_intervals` (proportions) and display columns: ``year``
    (study year, else the source's), ``n_used`` (denominator, else study n), ``percent_text``
    and ``interval_text``. ``sources`` is indexed by source_id; ``records`` holds the figure
    rows as dicts (position = index) and ``by_id`` the same dicts by figure_id.
    """

    evidence: Evidence
    figures: pd.DataFrame
    sources: pd.DataFrame
    records: tuple[dict, ...]
    by_id: dict[str, dict]

    def rows(self, selection: pd.DataFrame) -> list[dict]:
        """The selection's rows as dicts, without pandas' per-row cost (index = position)."""
        return [self.records[i] for i in selection.index]

    def label(self, column: str, value: str) -> str:
        """Readable label of a metric, condition, condition group, design or source class."""
        if column == "metric":
            return _lookup(self.evidence.metrics, "metric", "label", value)
        if column == "condition":
            return _lookup(self.evidence.conditions, "condition", "label", value)
        if column == "condition_group":
            return str(value).replace("_", " ").capitalize()
        if column == "design":
            return DESIGNS.get(value, str(value).replace("_", " "))
        if column == "source_class":
            return SOURCE_CLASSES.get(value, str(value))
        return str(value)


def _lookup(frame: pd.DataFrame, key: str, column: str, value: str) -> str:
    hit = frame.loc[frame[key] == value, column]
    return str(hit.iloc[0]) if len(hit) else str(value).replace("_", " ")


def percent_text(row: pd.Series | dict) -> str:
    """A figure as reported: "14.8%", "≈37%", ">50%", "≤50%" or "10–62%"."""
    if row.get("qualifier") == "range":
        return f"{row['percent_low']:g}–{row['percent_high']:g}%"
    if is_missing(row.get("percent")):
        return ""
    return f"{_QUALIFIER_PREFIX.get(row.get('qualifier'), '')}{row['percent']:g}%"


def prepare_figures(evidence: Evidence) -> pd.DataFrame:
    """The figure table with intervals and display columns (see :class:`PreparedEvidence`)."""
    table = stats.add_intervals(evidence.figure_table())
    table["year"] = table["study_year"].fillna(table["source_year"]).astype("Int64")
    table["n_used"] = table["denominator"].fillna(table["n"]).astype("Int64")
    records = table.to_dict("records")
    table["percent_text"] = [percent_text(r) for r in records]
    table["interval_text"] = [interval(r["ci_low"], r["ci_high"]) for r in records]
    table["ci_reason"] = table["ci_reason"].astype("object").where(table["ci_reason"].notna(), "")
    return table.reset_index(drop=True)


_CACHE: dict[str, PreparedEvidence] = {}
_LOCK = threading.Lock()


def prepared_evidence(evidence: Evidence | None = None) -> PreparedEvidence:
    """The prepared tables for ``evidence`` (default: the shipped evidence), cached by hash."""
    evidence = evidence if evidence is not None else load_evidence()
    with _LOCK:
        cached = _CACHE.get(evidence.data_hash)
        if cached is None:
            figures = prepare_figures(evidence)
            records = tuple(figures.to_dict("records"))
            cached = PreparedEvidence(
                evidence=evidence,
                figures=figures,
                sources=evidence.sources.set_index("source_id", drop=False),
                records=records,
                by_id={r["figure_id"]: r for r in records},
            )
            _CACHE.clear()
            _CACHE[evidence.data_hash] = cached
        return cached


def select_figures(data: PreparedEvidence, filters: Filters) -> pd.DataFrame:
    """The prepared figures (with intervals and display columns) that match ``filters``: the
    one answer to "which figures for this selection?" for the explorer, the reports and the
    command line."""
    return apply_filters(data.figures, filters)
