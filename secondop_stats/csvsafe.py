"""CSV that is safe to open in a spreadsheet: no cell can run as a formula.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (CSV injection); such cells get a leading
apostrophe, which spreadsheets show as text. Numbers are written as numbers. Files start with a
UTF-8 byte-order mark so that spreadsheets read accents right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from .text import is_missing

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """``value`` ready for a CSV cell: missing as empty, formula-like text neutralised."""
    if is_missing(value):
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], *, bom: bool = True
) -> str:
    """``rows`` as CSV text with ``columns`` in order, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: a CR in a cell is quoted
    writer.writerow(columns)
    writer.writerows([safe_cell(row.get(c)) for c in columns] for row in rows)
    return (BOM if bom else "") + buffer.getvalue()
