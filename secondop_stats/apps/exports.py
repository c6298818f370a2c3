"""What the explorer exports: the selected figures as CSV and their references as BibTeX and
CSL-JSON, each with its file name and MIME type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..csvsafe import to_csv
from ..query.references import CSV_COLUMNS, ReferenceExporter, cited_source_ids
from .downloads import download_bar, download_link
from .html import Safe


@dataclass(frozen=True)
class ExportFile:
    """One downloadable file."""

    filename: str
    mime: str
    label: str
    content: str


def selection_csv(rows: Sequence[Mapping[str, object]]) -> str:
    """The selected figures (dicts of the prepared table) as spreadsheet-safe CSV (UTF-8 with
    a byte-order mark, no cell that runs as a formula); intervals are proportions and missing
    values are empty."""
    return to_csv(rows, CSV_COLUMNS)


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
