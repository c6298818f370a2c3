"""Where a figure comes from, as an HTML card: the finding in our own words with its locator
(or the verbatim quote of a source article), the report it was read in,
the study's primary publication with DOI and PubMed links, the interval and the caveats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..citations import reference_links, reference_text
from ..query.figures import DESIGNS
from ..text import is_missing
from .html import Safe, definition_list, esc, join, link, tag

_LINK_TEXT = {"doi": "DOI", "pubmed": "PubMed", "url": "Web page"}
_ORIGIN = {
    "source_text": "Quoted verbatim from the article.",
    "publication": "Stated in our own words from the publication",
}


def citation(source: Mapping[str, Any] | None) -> Safe:
    """A reference line with its DOI, PubMed and web links."""
    if source is None:
        return esc("source not found in sources.csv")
    links = reference_links(source)
    anchors = [link(url, _LINK_TEXT[key]) for key, url in links.items()]
    text = esc(reference_text(source, with_url="url" not in links))
    if anchors:
        text = Safe(text + Safe(' <span class="so-links">') + join(anchors, " ") + "</span>")
    return text


def _source(sources: pd.DataFrame, source_id: Any) -> dict | None:
    if is_missing(source_id) or source_id not in sources.index:
        return None
    return sources.loc[source_id].to_dict()


def _study_text(row: Mapping[str, Any]) -> str:
    parts = [str(row.get("study_title") or "")]
    facts = [DESIGNS.get(row.get("design"), row.get("design"))]
    for key in ("setting", "country"):
        if not is_missing(row.get(key)) and row.get(key):
            facts.append(str(row[key]))
    if not is_missing(row.get("n")):
        facts.append(f"n = {int(row['n']):,} {row.get('n_unit') or ''}".strip())
    if not is_missing(row.get("data_years")) and row.get("data_years"):
        facts.append(f"data {row['data_years']}")
    if row.get("initiation") and row.get("initiation") not in ("unknown", "not_applicable"):
        facts.append(f"initiated by: {row['initiation']}")
    return f"{parts[0]} ({'; '.join(str(f) for f in facts if f)})"


def provenance_card(row: Mapping[str, Any] | None, sources: pd.DataFrame) -> Safe:
    """The provenance of one figure (a row of the prepared figure table)."""
    if row is None:
        return tag("p", "Select a figure to see where it comes from.", class_="so-note")
    heading = f"{row['label']}: {row['metric_label']} {row['percent_text']}"
    reported = _source(sources, row["source_id"])
    primary = _source(sources, row["study_source_id"])
    origin = _ORIGIN.get(row.get("quote_origin"), "")
    interval_note = row.get("interval_text") or "no interval"
    if row.get("ci_reason"):
        interval_note = f"{interval_note} ({row['ci_reason']})"
    primary_note = (
        "this report is the study's primary publication"
        if row.get("is_primary_report")
        else citation(primary)
    )
    items = [
        ("Reported in", citation(reported)),
        ("Primary publication", primary_note),
        ("Study", _study_text(row)),
        ("Condition", row.get("condition_label")),
        ("95% interval (Wilson)", interval_note),
        ("Pooled", "yes" if row.get("pooled") else f"no: {row.get('pooling_note') or ''}"),
        ("Caveats", row.get("caveats")),
        ("Notes", row.get("notes")),
    ]
    if row.get("quote_origin") == "source_text":
        quote = tag("blockquote", row.get("quote"))
        origin_note = tag("p", origin, class_="so-note")
    else:
        quote = tag("p", row.get("finding"), class_="so-finding")
        where = row.get("locator")
        origin_note = tag("p", f"{origin} ({where})." if where else f"{origin}.", class_="so-note")
    return Safe(
        '<div class="so-card">'
        + tag("h3", heading)
        + quote
        + origin_note
        + definition_list(items)
        + "</div>"
    )
