"""Small hand-made figure tables for the statistics tests (no shipped evidence data)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

FIGURE_COLUMNS = (
    "figure_id",
    "study_id",
    "source_id",
    "metric",
    "condition",
    "numerator",
    "denominator",
    "percent",
    "percent_low",
    "percent_high",
    "qualifier",
    "quote",
    "notes",
    "label",
    "design",
    "initiation",
    "evidence_type",
    "setting",
    "country",
    "n",
    "study_year",
    "study_source_id",
    "condition_group",
    "metric_label",
    "outcome",
    "poolable",
    "is_primary_report",
)

_DEFAULTS: dict[str, object] = {
    "metric": "diagnosis_changed",
    "condition": "any",
    "denominator": None,
    "percent": None,
    "percent_low": None,
    "percent_high": None,
    "qualifier": "exact",
    "quote": "",
    "notes": "",
    "design": "retrospective_cohort",
    "initiation": "patient",
    "evidence_type": "observed",
    "setting": "tertiary",
    "country": "US",
    "n": None,
    "study_year": None,
    "condition_group": "all",
    "metric_label": "Diagnosis changed",
    "outcome": "diagnosis",
    "poolable": True,
    "is_primary_report": True,
}


def figure_table(rows: Sequence[dict[str, object]]) -> pd.DataFrame:
    """A figure table with the loader's columns and dtypes; unspecified cells get defaults."""
    records = []
    for i, row in enumerate(rows):
        record = {**_DEFAULTS, **row}
        record.setdefault("figure_id", f"F{i + 1:03d}")
        record.setdefault("study_id", f"S{i + 1:03d}")
        record.setdefault("source_id", f"src-{record['study_id']}")
        record.setdefault("study_source_id", f"src-{record['study_id']}")
        record.setdefault("label", f"Author{i + 1}")
        record.setdefault("numerator", None)
        records.append(record)
    table = pd.DataFrame.from_records(records, columns=list(FIGURE_COLUMNS))
    for column in ("numerator", "denominator", "n", "study_year"):
        table[column] = pd.array(
            [None if pd.isna(v) else int(v) for v in table[column]], dtype="Int64"
        )
    for column in ("percent", "percent_low", "percent_high"):
        table[column] = pd.to_numeric(table[column]).astype(float)
    table["poolable"] = table["poolable"].astype(bool)
    table["is_primary_report"] = table["is_primary_report"].astype(bool)
    return table


def study_rows(
    events: Sequence[int], totals: Sequence[int], seed: int = 0, **common: object
) -> list[dict[str, object]]:
    """One counted figure per study, with plausible labels and years."""
    rng = np.random.default_rng(seed)
    names = [
        "Meyer",
        "Payne",
        "Van Such",
        "Garcia",
        "Okafor",
        "Lindqvist",
        "Tanaka",
        "Schwartz-Ahmed",
        "Nguyen",
        "Rossi",
        "Kowalczyk",
        "Dubois",
    ]
    return [
        {
            "study_id": f"S{i + 1:03d}",
            "label": f"{names[i % len(names)]}{'' if i < len(names) else f' {i // len(names)}'}",
            "study_year": int(rng.integers(1995, 2024)),
            "numerator": int(x),
            "denominator": int(n),
            "n": int(n),
            **common,
        }
        for i, (x, n) in enumerate(zip(events, totals, strict=True))
    ]
