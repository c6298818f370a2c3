"""Decision guide: which reasons for a second opinion apply, what the evidence says for that kind
of case, the questions to ask, the records to gather and what to do when opinions conflict, as a
summary that prints cleanly.

``build_guide()`` returns a :class:`DecisionGuide`; display its ``.widget``. Its state
(``chosen``, ``group``, ``reasons``, ``evidence``, ``questions``, ``records``, ``conflicts``,
``summary_html``) follows the widgets.
"""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as w
import pandas as pd

from ..citations import reference_text
from ..evidence import Evidence
from ..query.checklist import Item, SourceNumbers, advice, reasons, situations
from ..query.figures import PreparedEvidence, prepared_evidence
from ..query.rates import ALL_GROUPS, RateChoice, pooled_rates
from ..query.state import many_of, one_of, parse_state, to_query
from .address import AddressBar
from .controls import Html, fitted
from .file_download import DownloadFile, FileDownloads
from .html import STYLE, Safe, esc, tag

#: Metrics the guide reports for a kind of case.
GUIDE_METRICS = ("diagnosis_changed", "treatment_changed", "surgery_not_needed")
GROUP_LABELS = {
    ALL_GROUPS: "Not sure, or any condition",
    "cancer": "Cancer",
    "musculoskeletal": "Back, joints or bones",
    "heart": "Heart",
    "internal_medicine": "General internal medicine",
    "neurology": "Brain and nerves (neurology)",
}

#: Print only the summary: hide everything that neither is it, holds it nor is inside it.
PRINT_STYLE = """
<style>
@media print {
  body :not(:has(.so-print)):not(.so-print):not(.so-print *) { display: none !important; }
  html, body, body :has(.so-print) {
    position: static !important; display: block !important; overflow: visible !important;
    height: auto !important; min-height: 0 !important; width: auto !important;
    min-width: 0 !important; max-width: none !important; margin: 0 !important;
    padding: 0 !important; contain: none !important; transform: none !important;
  }
  .so-print { width: auto !important; border: none !important; }
  .so-print { font-size: 11pt; color: #000; }
  .so-print a { color: #000; text-decoration: none; }
  .so-print h3 { break-after: avoid; }
  .so-print li { break-inside: avoid; }
}
</style>
"""
_PRINT_BUTTON = (
    '<button class="so-noprint so-print-button" type="button" onclick="window.print()" '
    'style="padding:0.35em 0.9em;margin-right:1em;cursor:pointer">Print this summary</button>'
)


class DecisionGuide:
    """The decision guide's widgets, state and root container ``widget``."""

    def __init__(self, data: PreparedEvidence, state: dict[str, Any] | None = None) -> None:
        self.data = data
        guidance = data.evidence.guidance
        self.guidance = guidance
        self.rates: list[RateChoice] = pooled_rates(data, GUIDE_METRICS)
        self.situations = {
            key: w.Checkbox(
                value=False, description=label, indent=False, layout=w.Layout(width="auto")
            )
            for key, label in situations(guidance).items()
        }
        for key, box in self.situations.items():
            box.add_class("so-guide-situation")
            box.add_class(f"so-guide-{key.replace('_', '-')}")
        groups = {r.group for r in self.rates}
        self.group = w.Dropdown(
            options=[
                (label, key)
                for key, label in GROUP_LABELS.items()
                if key == ALL_GROUPS or key in groups
            ],
            value=ALL_GROUPS,
            description="My condition",
            style={"description_width": "110px"},
            layout=fitted("440px"),
        )
        self.summary = Html(layout=w.Layout(width="100%"))
        self.summary.add_class("so-guide-summary")
        self.downloads = FileDownloads(
            [
                DownloadFile(
                    "summary",
                    "Save the summary (HTML)",
                    "second_opinion_summary.html",
                    "text/html",
                    self.summary_document,
                )
            ]
        )
        self.actions = w.HBox(
            [Html(_PRINT_BUTTON), self.downloads],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        self.actions.add_class("so-guide-downloads")
        self.actions.add_class("so-noprint")

        self.chosen: tuple[str, ...] = ()
        self.reasons: dict[str, list[Item]] = {}
        self.evidence: list[RateChoice] = []
        self.questions: list[Item] = []
        self.insurer_questions: list[Item] = []
        self.records: list[Item] = []
        self.conflicts: list[Item] = []
        self.less_necessary: list[Item] = []
        self.summary_html = Safe("")

        self.address = AddressBar()
        self._defaults: dict[str, str] = {}
        self.widget = self._layout()
        self.widget.add_class("so-app")
        self._setting = False
        self.parsers = {
            "situations": many_of(self.situations),
            "condition": one_of([key for _, key in self.group.options]),
        }
        initial = parse_state(state, self.parsers)
        for control in (*self.situations.values(), self.group):
            control.observe(self._on_change, names="value")
        self._defaults = self.query()  # the default view, before the page state
        self.set_state(initial)

    def _layout(self) -> w.VBox:
        header = Html(
            STYLE + PRINT_STYLE + "<h2>Should I get a second opinion?</h2>"
            "<p class='so-lead'>Tick what applies to you. The summary below gathers the "
            "reasons the sources give, what studies found for cases like yours, the questions "
            "to ask, the records to bring, and what to do if the doctors disagree. Print it or "
            "save it to take along.</p>"
        )
        checklist = w.VBox(list(self.situations.values()), layout=w.Layout(padding="0 0 0 8px"))
        return w.VBox(
            [
                header,
                self.address,
                Html("<h3>Which of these apply to you?</h3>"),
                checklist,
                self.group,
                self.actions,
                self.summary,
            ]
        )

    # --- state -------------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any]:
        """The view as URL-query keys: the ticked situations and the condition group."""
        return {
            "situations": tuple(k for k, box in self.situations.items() if box.value),
            "condition": self.group.value,
        }

    def query(self) -> dict[str, str]:
        """The state as URL query strings."""
        return to_query(self.state)

    def set_state(self, state: dict[str, Any] | None) -> None:
        """Set the widgets from ``state`` (checked first) and update once."""
        values = parse_state(state, self.parsers)
        self._setting = True
        try:
            if "situations" in values:
                for key, box in self.situations.items():
                    box.value = key in values["situations"]
            if "condition" in values:
                self.group.value = values["condition"]
        finally:
            self._setting = False
        self.update()

    def table(self) -> pd.DataFrame:
        """The checklist the guide shows, as data: one row per item with its kind and sources."""
        sections = {
            "question_for_doctor": self.questions,
            "question_for_insurer": self.insurer_questions,
            "record_to_gather": self.records,
            "conflicting_opinions": self.conflicts,
            "less_necessary": self.less_necessary,
        }
        rows = [
            {"kind": "seek_when", "situation": key, "text": item.text, "sources": item.source_ids}
            for key, items in self.reasons.items()
            for item in items
        ]
        rows += [
            {
                "kind": kind,
                "situation": item.category,
                "text": item.text,
                "sources": item.source_ids,
            }
            for kind, items in sections.items()
            for item in items
        ]
        return pd.DataFrame(rows, columns=["kind", "situation", "text", "sources"])

    def update(self) -> None:
        """Recompute the selected guidance, the evidence and the printable summary."""
        if self._setting:
            return
        g = self.guidance
        self.chosen = tuple(k for k, box in self.situations.items() if box.value)
        self.reasons = reasons(g, self.chosen)
        group = self.group.value
        self.evidence = [r for r in self.rates if r.group in (group, ALL_GROUPS)]
        self.questions = advice(g, ["question_for_doctor"], self.chosen)
        self.insurer_questions = advice(g, ["question_for_insurer"], self.chosen)
        self.records = advice(g, ["record_to_gather"], self.chosen)
        self.conflicts = advice(g, ["conflicting_opinions"], self.chosen)
        self.less_necessary = advice(g, ["less_necessary"], self.chosen)
        self.summary_html = self._summary()
        self.summary.value = self.summary_html
        self.address.show(self.query(), "Should I get a second opinion?", self._defaults)

    def summary_document(self) -> str:
        """The summary as a web page of its own, to save and take along."""
        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Second opinion: my summary</title>"
            + STYLE
            + "</head><body class='so-app'>"
            + self.summary_html
            + "</body></html>"
        )

    def _summary(self) -> Safe:
        notes = SourceNumbers()
        parts = [tag("h2", "Second opinion: my summary")]
        parts.append(tag("h3", "Why a second opinion may help me"))
        if self.chosen:
            for key in self.chosen:
                parts.append(tag("p", tag("b", situations(self.guidance)[key])))
                parts.append(self._items(self.reasons[key], notes))
        else:
            parts.append(tag("p", "Tick the situations that apply to you above.", class_="so-note"))
        parts.append(tag("h3", "What studies found for cases like mine"))
        parts.append(self._evidence_html())
        for title, items in (
            ("Questions to ask the doctor", self.questions),
            ("Questions to ask my insurer", self.insurer_questions),
            ("Records to gather", self.records),
            ("If the two opinions differ", self.conflicts),
            ("When a second opinion may be less necessary", self.less_necessary),
        ):
            if items:
                parts.append(tag("h3", title))
                parts.append(self._items(items, notes))
        parts.append(tag("h3", "Sources"))
        parts.append(self._sources(notes))
        return Safe('<div class="so-print so-card">' + "".join(parts) + "</div>")

    @staticmethod
    def _items(items: list[Item], notes: SourceNumbers) -> Safe:
        return Safe(
            "<ul>"
            + "".join(
                "<li>"
                + esc(i.text)
                + " "
                + tag("span", notes.cite(i.source_ids), class_="so-source")
                + "</li>"
                for i in items
            )
            + "</ul>"
        )

    def _evidence_html(self) -> Safe:
        if not self.evidence:
            return tag("p", "The evidence holds no pooled rates.", class_="so-note")
        lines = []
        for r in sorted(
            self.evidence,
            key=lambda r: (r.group != self.group.value, GUIDE_METRICS.index(r.metric)),
        ):
            where = GROUP_LABELS.get(r.group, self.data.label("condition_group", r.group))
            if r.group == ALL_GROUPS:
                where = "all conditions studied"
            lines.append(
                tag(
                    "li",
                    f"{self.data.label('metric', r.metric)}: {r.text()} — {where}; {r.detail}.",
                )
            )
        caution = (
            "These are averages over studies of people who asked for a second opinion; they "
            "vary widely between studies and cannot say how likely a change is for you."
        )
        return Safe("<ul>" + "".join(lines) + "</ul>" + tag("p", caution, class_="so-note"))

    def _sources(self, notes: SourceNumbers) -> Safe:
        sources = self.data.sources
        items = []
        for source_id, number in sorted(notes.order.items(), key=lambda kv: kv[1]):
            text = (
                reference_text(sources.loc[source_id].to_dict())
                if source_id in sources.index
                else source_id
            )
            items.append(tag("li", f"[{number}] {text}"))
        return Safe(
            '<ul class="so-source" style="list-style:none;padding-left:0">'
            + "".join(items)
            + "</ul>"
        )

    def pooled(self, metric: str, group: str | None = None) -> RateChoice | None:
        """The rate the guide shows for ``metric`` and ``group`` (default: the chosen group)."""
        group = group or self.group.value
        for r in self.evidence:
            if r.metric == metric and r.group == group and math.isfinite(r.rate):
                return r
        return None

    def _on_change(self, change: dict) -> None:
        self.update()


def build_guide(
    evidence: Evidence | None = None, state: dict[str, Any] | None = None
) -> DecisionGuide:
    """Build the decision guide over ``evidence`` (default: the shipped evidence), opened on
    ``state`` (URL-query keys ``situations`` and ``condition``)."""
    return DecisionGuide(prepared_evidence(evidence), state)
