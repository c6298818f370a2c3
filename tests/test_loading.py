"""load_evidence(): typed frames, cached, independent copies, paths independent of the cwd."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd

from secondop_stats import Evidence, load_evidence
from secondop_stats.paths import REPO_ROOT


def test_tables_and_dtypes(evidence) -> None:
    assert Evidence.table_names() == (
        "sources",
        "conditions",
        "metrics",
        "studies",
        "figures",
        "providers",
        "coverage",
        "part_b_deductible",
        "cpi_u",
        "guidance",
        "screening",
        "checklist",
        "link_hosts",
        "fee_schedule_rvus",
        "fee_schedule_cf",
        "fee_schedule_gpci",
        "fee_schedule_notes",
    )
    f = evidence.figures
    assert f["numerator"].dtype == "Int64" and f["denominator"].dtype == "Int64"
    assert f["percent"].dtype == "float64"
    assert evidence.providers["price_low_usd"].dtype == "float64"
    assert evidence.sources["confirmed"].dtype == bool
    assert evidence.studies["n"].dtype == "Int64"
    assert pd.api.types.is_string_dtype(f["quote"])


def test_second_load_is_cached_and_independent() -> None:
    first = load_evidence()
    first.figures.loc[:, "percent"] = -1.0
    second = load_evidence()
    assert (second.figures["percent"].dropna() >= 0).all()
    assert second.data_hash == first.data_hash


def test_edited_copy_is_reloaded(broken) -> None:
    before = load_evidence(broken.folder)
    broken.set("conditions.csv", 0, "label", "Everything")
    after = load_evidence(broken.folder)
    assert after.conditions.loc[0, "label"] == "Everything"
    assert after.data_hash != before.data_hash


def test_figure_table_joins(evidence) -> None:
    table = evidence.figure_table()
    assert len(table) == len(evidence.figures)
    for col in (
        "label",
        "design",
        "evidence_type",
        "condition_group",
        "metric_label",
        "poolable",
        "is_primary_report",
        "source_class",
        "study_year",
        "n",
    ):
        assert col in table.columns
    assert table["condition_group"].notna().all()
    assert set(table["source_class"]) <= {
        "peer_reviewed",
        "article",
        "press",
        "website",
        "modelling",
        "industry",
    }


def test_loads_from_any_working_directory(tmp_path) -> None:
    code = "from secondop_stats import load_evidence; print(len(load_evidence().figures))"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) == len(load_evidence().figures)
