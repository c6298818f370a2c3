"""What the explorer exports: the selected figures as CSV and their references as BibTeX and
CSL-JSON, each with its file name and MIME type."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..citations import to_bibtex, to_csl_json
from ..text import is_missing
from .downloads import download_bar, download_link
from .html import Safe

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


@dataclass(frozen=True)
class ExportFile:
    """One downloadable file."""

    filename: str
    mime: str
    label: str
    content: str


def _cell(value: object) -> object:
    return "" if is_missing(value) else value


def selection_csv(rows: Sequence[Mapping[str, object]]) -> str:
    """The selected figures (dicts of the prepared table) as CSV; intervals are proportions and
    missing values are empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([_cell(row.get(c)) for c in CSV_COLUMNS] for row in rows)
    return buffer.getvalue()


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


def export_files(
    rows: Sequence[Mapping[str, object]], references: ReferenceExporter
) -> dict[str, ExportFile]:
    """CSV, BibTeX and CSL-JSON exports of the selected figures, keyed by format."""
    cited = cited_source_ids(rows)
    return {
        "csv": ExportFile("secondop_figures.csv", "text/csv", "Figures (CSV)", selection_csv(rows)),
        "bibtex": ExportFile(
            "secondop_references.bib",
            "application/x-bibtex",
            "References (BibTeX)",
            references.bibtex(cited),
        ),
        "csl_json": ExportFile(
            "secondop_references.json",
            "application/json",
            "References (CSL-JSON)",
            references.csl_json(cited),
        ),
    }


def export_links(files: Mapping[str, ExportFile]) -> Safe:
    """One download link per export file."""
    return download_bar(
        download_link(f.filename, f.content, f.mime, f.label) for f in files.values()
    )
