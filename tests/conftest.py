"""Shared fixtures: the shipped evidence, and editable broken copies of it."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from secondop_stats import load_evidence
from secondop_stats.paths import evidence_dir


class EvidenceCopy:
    """A copy of the evidence folder whose CSVs a test can edit cell by cell."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self, file: str) -> tuple[list[str], list[list[str]], list[int]]:
        """Header, rows and the line each row starts on."""
        with (self.folder / file).open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            rows, lines = [], []
            start = reader.line_num + 1
            for row in reader:
                rows.append(row)
                lines.append(start)
                start = reader.line_num + 1
        return header, rows, lines

    def write(self, file: str, header: list[str], rows: list[list[str]]) -> None:
        with (self.folder / file).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    def find(self, file: str, where: Callable[[dict[str, str]], bool] = lambda r: True) -> int:
        """Index of the first row matching ``where`` (a dict of raw cells)."""
        header, rows, _ = self.read(file)
        for i, row in enumerate(rows):
            if where(dict(zip(header, row, strict=True))):
                return i
        raise LookupError(f"no row in {file} matches")

    def get(self, file: str, index: int) -> dict[str, str]:
        header, rows, _ = self.read(file)
        return dict(zip(header, rows[index], strict=True))

    def set(self, file: str, index: int, column: str, value: str) -> int:
        """Set one cell; return the line number the validator should report."""
        header, rows, _ = self.read(file)
        rows[index][header.index(column)] = value
        self.write(file, header, rows)
        return self.read(file)[2][index]

    def append(self, file: str, values: dict[str, str]) -> int:
        """Append a row; return its line number."""
        header, rows, _ = self.read(file)
        rows.append([values.get(c, "") for c in header])
        self.write(file, header, rows)
        return self.read(file)[2][-1]

    def delete(self, file: str, index: int) -> None:
        header, rows, _ = self.read(file)
        del rows[index]
        self.write(file, header, rows)


@pytest.fixture(scope="session")
def evidence():
    """The shipped evidence, loaded once."""
    return load_evidence()


@pytest.fixture
def broken(tmp_path: Path) -> EvidenceCopy:
    """A fresh copy of the shipped evidence folder to break."""
    target = tmp_path / "evidence"
    shutil.copytree(evidence_dir(), target)
    return EvidenceCopy(target)
