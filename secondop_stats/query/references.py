"""References for a selection of figures, and the columns a figure export carries: shared by
the explorer's downloads and ``secondop export``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pandas as pd

from ..citations import reference_links, reference_text, to_bibtex, to_csl_json
from ..evidence import Evidence
from ..text import is_missing

#: Columns of the CSV export, in order: identity, the figure as reported, interval, provenance.
CSV_COLUMNS = (
    "figure_id",
    "study_id",
    "label",
    "metric",
    "metric_label",
    "condition",
    "condition_group",
    "design",
    "evidence_type",
    "year",
    "numerator",
    "denominator",
    "n",
    "percent",
    "percent_low",
    "percent_high",
    "qualifier",
    "ci_low",
    "ci_high",
    "ci_reconstructed",
    "ci_reason",
    "source_id",
    "source_class",
    "study_source_id",
    "is_primary_report",
    "change_basis",
    "pooled",
    "pooling_note",
    "locator",
    "finding",
    "quote",
    "caveats",
    "notes",
)


def cited_source_ids(rows: Sequence[Mapping[str, object]]) -> list[str]:
    """Source ids the figures cite (where each was reported, then its study's primary
    publication), once each, in order of first appearance."""
    ids: dict[str, None] = {}
    for row in rows:
        for key in ("source_id", "study_source_id"):
            if not is_missing(row.get(key)):
                ids.setdefault(str(row[key]), None)
    return list(ids)


class ReferenceExporter:
    """BibTeX and CSL-JSON for any subset of the sources, each entry formatted once."""

    def __init__(self, sources: pd.DataFrame) -> None:
        records = sources.to_dict("records")
        self._bibtex = {r["source_id"]: to_bibtex([r]).strip() for r in records}
        self._csl = {r["source_id"]: json.loads(to_csl_json([r]))[0] for r in records}

    def bibtex(self, source_ids: Sequence[str]) -> str:
        """BibTeX entries for ``source_ids`` (unknown ids are skipped)."""
        entries = [self._bibtex[i] for i in source_ids if i in self._bibtex]
        return "\n\n".join(entries) + ("\n" if entries else "")

    def csl_json(self, source_ids: Sequence[str]) -> str:
        """CSL-JSON items for ``source_ids`` (unknown ids are skipped)."""
        items = [self._csl[i] for i in source_ids if i in self._csl]
        return json.dumps(items, indent=2, ensure_ascii=False)


def references(evidence: Evidence, source_ids: Sequence[str]) -> pd.DataFrame:
    """The cited sources in the order given, numbered from 1, with their reference text and
    DOI, PubMed and web links (unknown ids are skipped)."""
    sources = evidence.sources.set_index("source_id", drop=False)
    rows = []
    for source_id in dict.fromkeys(source_ids):
        if source_id not in sources.index:
            continue
        row = sources.loc[source_id].to_dict()
        links = reference_links(row)
        rows.append(
            {
                "number": len(rows) + 1,
                "source_id": source_id,
                "text": reference_text(row),
                "doi_url": links.get("doi", ""),
                "pubmed_url": links.get("pubmed", ""),
                "url": links.get("url", ""),
            }
        )
    return pd.DataFrame(
        rows, columns=["number", "source_id", "text", "doi_url", "pubmed_url", "url"]
    )
