"""What the explorer exports: the selected figures as CSV and their references as BibTeX and
CSL-JSON, each with its file name and MIME type."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..csvsafe import to_csv
from ..query.references import CSV_COLUMNS, ReferenceExporter, cited_source_ids
from .file_download import DownloadFile

Rows = Sequence[Mapping[str, object]]


@dataclass(frozen=True)
class ExportFile:
    """One downloadable file."""

    filename: str
    mime: str
    label: str
    content: str


@dataclass(frozen=True)
class ExportFormat:
    """A kind of export: its file name, MIME type, button label and how it is made."""

    filename: str
    mime: str
    label: str
    make: Callable[[Rows, ReferenceExporter], str]


def selection_csv(rows: Rows) -> str:
    """The selected figures (dicts of the prepared table) as spreadsheet-safe CSV (UTF-8 with
    a byte-order mark, no cell that runs as a formula); intervals are proportions and missing
    values are empty."""
    return to_csv(rows, CSV_COLUMNS)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat(
        "secondop_figures.csv", "text/csv", "Figures (CSV)", lambda rows, _: selection_csv(rows)
    ),
    "bibtex": ExportFormat(
        "secondop_references.bib",
        "application/x-bibtex",
        "References (BibTeX)",
        lambda rows, refs: refs.bibtex(cited_source_ids(rows)),
    ),
    "csl_json": ExportFormat(
        "secondop_references.json",
        "application/json",
        "References (CSL-JSON)",
        lambda rows, refs: refs.csl_json(cited_source_ids(rows)),
    ),
}


def export_files(rows: Rows, references: ReferenceExporter) -> dict[str, ExportFile]:
    """CSV, BibTeX and CSL-JSON exports of the selected figures, keyed by format."""
    return {
        key: ExportFile(f.filename, f.mime, f.label, f.make(rows, references))
        for key, f in EXPORT_FORMATS.items()
    }


def export_downloads(rows: Callable[[], Rows], references: ReferenceExporter) -> list[DownloadFile]:
    """The exports as download buttons; each file is made from ``rows()`` (the selection at
    the moment of the click) only when its button is clicked."""
    return [
        DownloadFile(key, f.label, f.filename, f.mime, lambda f=f: f.make(rows(), references))
        for key, f in EXPORT_FORMATS.items()
    ]
