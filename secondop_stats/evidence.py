"""Load the evidence package into typed pandas DataFrames, validated on every load.

``load_evidence()`` is how the statistics, the apps and the reports read the data. It validates
the whole folder (raising :class:`~secondop_stats.errors.EvidenceError` with every problem
listed), converts columns to proper dtypes, and caches the result keyed on the files' sizes and
modification times, so calling it again is cheap and an edited file is picked up.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from .errors import EvidenceError
from .paths import evidence_dir
from .schema import Package, Resource, read_package
from .validation import Table, validate_folder

_DTYPES = {"integer": "Int64", "number": "float64", "boolean": "boolean", "string": "str"}


@dataclass(frozen=True)
class Evidence:
    """All evidence tables, one DataFrame per CSV file, named after the files."""

    sources: pd.DataFrame
    conditions: pd.DataFrame
    metrics: pd.DataFrame
    studies: pd.DataFrame
    figures: pd.DataFrame
    providers: pd.DataFrame
    coverage: pd.DataFrame
    part_b_deductible: pd.DataFrame
    cpi_u: pd.DataFrame
    guidance: pd.DataFrame
    screening: pd.DataFrame
    checklist: pd.DataFrame
    link_hosts: pd.DataFrame
    fee_schedule_rvus: pd.DataFrame
    fee_schedule_cf: pd.DataFrame
    fee_schedule_gpci: pd.DataFrame
    fee_schedule_notes: pd.DataFrame
    path: Path
    data_hash: str
    version: str = ""
    released: str = ""

    @classmethod
    def table_names(cls) -> tuple[str, ...]:
        """Names of the table attributes, in package order."""
        meta = ("path", "data_hash", "version", "released")
        return tuple(f.name for f in fields(cls) if f.name not in meta)

    def copy(self) -> Evidence:
        """A deep copy, so that callers may modify their frames without touching the cache."""
        frames = {name: getattr(self, name).copy(deep=True) for name in self.table_names()}
        return Evidence(
            **frames,
            path=self.path,
            data_hash=self.data_hash,
            version=self.version,
            released=self.released,
        )

    def figure_table(self) -> pd.DataFrame:
        """One row per figure, joined with its study, condition group, metric and source.

        Adds ``is_primary_report`` (the figure's source is the study's primary publication) and
        ``source_class`` (peer_reviewed, article, press, website, modelling, industry) so that
        explorers can filter by kind of evidence without repeating the joins.
        """
        studies = self.studies.rename(
            columns={
                "year": "study_year",
                "source_id": "study_source_id",
                "title": "study_title",
                "condition": "study_condition",
            }
        )
        table = self.figures.merge(studies, on="study_id", how="left", validate="many_to_one")
        table = table.merge(
            self.conditions[["condition", "label", "group"]].rename(
                columns={"label": "condition_label", "group": "condition_group"}
            ),
            on="condition",
            how="left",
            validate="many_to_one",
        )
        table = table.merge(
            self.metrics[["metric", "label", "outcome", "poolable"]].rename(
                columns={"label": "metric_label"}
            ),
            on="metric",
            how="left",
            validate="many_to_one",
        )
        src = self.sources[["source_id", "kind", "title", "year", "peer_reviewed"]].rename(
            columns={
                "kind": "source_kind",
                "title": "source_title",
                "year": "source_year",
                "peer_reviewed": "source_peer_reviewed",
            }
        )
        table = table.merge(src, on="source_id", how="left", validate="many_to_one")
        table["poolable"] = table["poolable"].astype(bool)
        table["is_primary_report"] = (table["source_id"] == table["study_source_id"]).astype(bool)
        table["source_class"] = _source_class(table)
        return table


def _source_class(table: pd.DataFrame) -> pd.Series:
    kind_class = {
        "journal": "peer_reviewed",
        "article": "article",
        "press": "press",
        "website": "website",
        "regulation": "website",
        "dataset": "website",
        "company": "industry",
    }
    out = table["source_kind"].map(kind_class).astype("str")
    out = out.mask(table["evidence_type"] == "modelling", "modelling")
    return out.mask(table["evidence_type"] == "industry_claim", "industry")


def _frame(table: Table) -> pd.DataFrame:
    res: Resource = table.resource
    columns: dict[str, pd.Series] = {}
    for f in res.fields:
        values = [row.get(f.name) for row in table.rows]
        if f.type == "date":
            columns[f.name] = pd.to_datetime(pd.Series(values, dtype="object"))
        elif f.type == "boolean" and f.required:
            columns[f.name] = pd.Series(values, dtype="bool")
        else:
            columns[f.name] = pd.Series(values, dtype=_DTYPES.get(f.type, "object"))
    frame = pd.DataFrame(columns)
    frame.attrs["source_file"] = res.path
    return frame


def _fingerprint(folder: Path, package: Package) -> tuple[tuple[str, int, int], ...]:
    names = ["datapackage.json", *(r.path for r in package.resources)]
    stats = []
    for name in names:
        p = folder / name
        st = p.stat() if p.exists() else None
        stats.append((name, st.st_size if st else -1, st.st_mtime_ns if st else -1))
    return tuple(stats)


def data_hash(folder: Path, package: Package | None = None) -> str:
    """SHA-256 over the descriptor and every table's bytes: the evidence's identity in reports."""
    folder = Path(folder)
    package = package or read_package(folder)
    digest = hashlib.sha256()
    for name in ["datapackage.json", *(r.path for r in package.resources)]:
        digest.update(name.encode())
        digest.update(b"\0")
        p = folder / name
        digest.update(p.read_bytes() if p.exists() else b"")
        digest.update(b"\0")
    return digest.hexdigest()


_CACHE: dict[Path, tuple[tuple[tuple[str, int, int], ...], Evidence]] = {}
_LOCK = threading.Lock()


def load_evidence(path: str | Path | None = None) -> Evidence:
    """Validate and load an evidence folder (default: the shipped ``evidence/``).

    Raises EvidenceError listing every violation. The result is cached per folder and
    revalidated only when a file changes; each call returns an independent copy.
    """
    folder = Path(path).resolve() if path is not None else evidence_dir()
    if not (folder / "datapackage.json").is_file():
        raise FileNotFoundError(f"{folder} has no datapackage.json")
    package = read_package(folder)
    key = _fingerprint(folder, package)
    with _LOCK:
        cached = _CACHE.get(folder)
        if cached is not None and cached[0] == key:
            return cached[1].copy()
        tables, problems = validate_folder(folder)
        if problems:
            raise EvidenceError(problems, folder=str(folder))
        frames = {name: _frame(tables[name]) for name in Evidence.table_names()}
        evidence = Evidence(
            **frames,
            path=folder,
            data_hash=data_hash(folder, package),
            version=package.version,
            released=package.created[:10],
        )
        _CACHE[folder] = (key, evidence)
        return evidence.copy()
