"""Selecting guidance items for a patient's situation, with their sources numbered once.

The guide's checklist offers the situations of ``guidance.csv`` (the categories of its
``seek_when`` and ``consider_when`` items); the same text given by several sources is shown once
with all of its sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

#: Plain-language names of the situations (guidance categories), in the order the guide asks.
SITUATIONS: dict[str, str] = {
    "serious_diagnosis": "I have a serious diagnosis, such as cancer",
    "major_treatment": "Surgery or another major treatment has been recommended",
    "uncertain_diagnosis": "The diagnosis is unclear, or no one can find what is wrong",
    "treatment_not_working": "My treatment is not working, or I was told nothing more can be done",
    "rare_or_complex": "My condition is rare or complex",
    "quality_of_care": "I have doubts about my doctor or the care I am getting",
    "personal_doubt": "I feel unsure or uncomfortable, or have unanswered questions",
    "insurer_requires": "My insurer requires a second opinion",
    "clinical_trials": "I want to know about clinical trials",
    "financial_interest": "The doctor may gain from the treatment recommended",
    "limited_access": "I live far from specialists or am treated at a small hospital",
    "peace_of_mind": "I want peace of mind that the plan is right",
    "general": "Other reasons given by the sources",
}
REASON_KINDS = ("seek_when", "consider_when")


@dataclass(frozen=True)
class Item:
    """One piece of guidance (deduplicated text) and every source that gives it."""

    text: str
    kind: str
    category: str
    source_ids: tuple[str, ...]
    guidance_ids: tuple[str, ...] = field(default=())


def _key(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split()).rstrip(".")


def merge(rows: pd.DataFrame) -> list[Item]:
    """Items of ``rows`` with identical text merged (first wording kept, sources combined)."""
    items: dict[tuple[str, str], Item] = {}
    for r in rows.itertuples(index=False):
        key = (r.kind, _key(r.text))
        old = items.get(key)
        if old is None:
            items[key] = Item(r.text, r.kind, r.category, (r.source_id,), (r.guidance_id,))
        else:
            items[key] = Item(
                old.text,
                old.kind,
                old.category,
                tuple(dict.fromkeys((*old.source_ids, r.source_id))),
                (*old.guidance_ids, r.guidance_id),
            )
    return list(items.values())


def situations(guidance: pd.DataFrame) -> dict[str, str]:
    """The situations the data offer (categories with reasons), with their labels."""
    present = set(guidance.loc[guidance["kind"].isin(REASON_KINDS), "category"])
    return {k: v for k, v in SITUATIONS.items() if k in present}


def reasons(guidance: pd.DataFrame, chosen: Iterable[str]) -> dict[str, list[Item]]:
    """The reasons to seek a second opinion for each chosen situation."""
    rows = guidance[guidance["kind"].isin(REASON_KINDS)]
    return {c: merge(rows[rows["category"] == c]) for c in chosen}


def advice(guidance: pd.DataFrame, kinds: Iterable[str], chosen: Iterable[str]) -> list[Item]:
    """Items of ``kinds`` that apply to everyone (category "general") or to a chosen situation."""
    categories = {"general", *chosen}
    rows = guidance[guidance["kind"].isin(tuple(kinds)) & guidance["category"].isin(categories)]
    return merge(rows)


#: Kinds of guidance that only concern people with insurance.
INSURED_ONLY = frozenset({"question_for_insurer"})


def checklist_items(
    guidance: pd.DataFrame,
    kinds: Iterable[str],
    *,
    situations: Iterable[str] | None = None,
    insured: bool = True,
) -> pd.DataFrame:
    """Guidance rows of ``kinds`` in that order (then by id): for everyone, or only those
    general or about one of ``situations``; questions for an insurer only for the insured."""
    kinds = tuple(k for k in kinds if insured or k not in INSURED_ONLY)
    rows = guidance[guidance["kind"].isin(kinds)]
    if situations is not None:
        rows = rows[rows["category"].isin({"general", *situations})]
    order = {k: i for i, k in enumerate(kinds)}
    return (
        rows.assign(_o=rows["kind"].map(order))
        .sort_values(["_o", "guidance_id"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


class SourceNumbers:
    """Numbers sources in order of first citation, for footnote-style references."""

    def __init__(self) -> None:
        self.order: dict[str, int] = {}

    def cite(self, source_ids: Iterable[str]) -> str:
        """ "[1, 3]" for the given sources, numbering new ones."""
        numbers = [self.order.setdefault(s, len(self.order) + 1) for s in source_ids]
        return "[" + ", ".join(str(n) for n in sorted(set(numbers))) + "]"
