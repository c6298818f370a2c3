"""The dashboard's landing page: what the evidence holds, in a few numbers."""

from __future__ import annotations

import ipywidgets as w

from ..evidence import Evidence
from ..methods import methods_html
from ..query.figures import prepared_evidence
from ..query.review import data_release, prisma_flow
from .controls import Html
from .html import STYLE, Safe, tag


def overview_html(evidence: Evidence | None = None) -> Safe:
    """A short paragraph counting figures, studies, sources, services and guidance items."""
    data = prepared_evidence(evidence)
    ev = data.evidence
    figures = data.figures
    observed = figures[figures["evidence_type"] == "observed"]
    priced = int(ev.providers["price_low_usd"].notna().sum())
    text = (
        f"The evidence holds {len(figures)} reported figures from {figures['study_id'].nunique()}"
        f" studies ({observed['study_id'].nunique()} of them observed patients' cases), "
        f"{len(ev.sources)} sources, {len(ev.providers)} second-opinion services "
        f"({priced} with a price), insurance rules for {ev.coverage['plan'].nunique()} kinds "
        f"of plan and {len(ev.guidance)} pieces of guidance, each traced to its source. "
        f"It is {data_release(ev)}, gathered as a systematic review: "
        f"{prisma_flow(ev).included} studies included from {prisma_flow(ev).identified} "
        "records screened."
    )
    methods = (
        "<details class='so-methods'><summary>How the numbers are computed</summary>"
        + methods_html()
        + "</details>"
    )
    return Safe(
        STYLE + '<div class="so-app">' + tag("p", text, class_="so-lead") + methods + "</div>"
    )


def build_overview(evidence: Evidence | None = None) -> w.HTML:
    """The overview as a widget, for the landing notebook."""
    view = Html(overview_html(evidence))
    view.add_class("so-overview")
    return view
