"""Subgroup pooling over a figure table, with the refusals that keep it honest.

It refuses to pool across metrics, to mix modelling or industry claims with observed studies, and
to count a study twice (re-reports of one study pool once, preferring the primary publication).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .intervals import (
    _check_level,
    _is_set,
    _qualifier_reasons,
    _require_columns,
    _resolve_counts,
    wilson_interval,
)
from .pooling import FisherScoringError, PooledResult, PoolMethod, PoolTest, pool_proportions

# --------------------------------------------------------------------------------------
# Pooling a figure table
# --------------------------------------------------------------------------------------

_POOL_COLUMNS = (
    "figure_id",
    "study_id",
    "metric",
    "numerator",
    "denominator",
    "percent",
    "n",
    "qualifier",
    "evidence_type",
    "poolable",
    "is_primary_report",
)


def observed_only(table: pd.DataFrame) -> pd.DataFrame:
    """Rows whose evidence_type is "observed" (no reviews, modelling or industry claims).

    The number of rows dropped is kept in ``.attrs["dropped_nonobserved"]``.
    """
    _require_columns(table, ("evidence_type",))
    keep = table["evidence_type"].eq("observed").fillna(False).astype(bool)
    out = table.loc[keep].copy()
    out.attrs["dropped_nonobserved"] = int((~keep).sum())
    return out


@dataclass(frozen=True)
class ScreenedFigures:
    """Figure rows ready to pool plus the rows set aside, with reasons.

    ``rows`` has every input row with added k_used, n_used, reconstructed and
    ``skip_reason`` (missing for the rows that are pooled).
    """

    rows: pd.DataFrame
    dropped_nonobserved: int

    @property
    def pooled(self) -> pd.DataFrame:
        return self.rows[self.rows["skip_reason"].isna()]

    @property
    def skipped(self) -> pd.DataFrame:
        skipped = self.rows[self.rows["skip_reason"].notna()]
        return (
            skipped[["figure_id", "study_id", "skip_reason"]]
            .rename(columns={"skip_reason": "reason"})
            .reset_index(drop=True)
        )


def screen_figures(
    table: pd.DataFrame,
    by: Sequence[str] | str = ("metric", "design", "condition"),
    exclude_nonobserved: bool = False,
) -> ScreenedFigures:
    """Check a figure table for pooling and pick the rows that enter it.

    Refuses (ValueError): several metrics unless "metric" is in ``by``; metrics
    marked not poolable; non-observed evidence unless ``exclude_nonobserved``.
    Skips, with a reason: bounds (range/up_to/more_than), rows without usable
    counts, and re-reports (a study_id seen again in the same subgroup: the
    primary publication wins, then a row with a numerator, then the larger n).
    """
    by = _by_columns(by)
    _require_columns(table, (*_POOL_COLUMNS, *by))
    if "metric" not in by and table["metric"].nunique(dropna=False) > 1:
        metrics = ", ".join(sorted(map(str, table["metric"].unique())))
        raise ValueError(
            f"refusing to pool across metrics ({metrics}): add 'metric' to `by` "
            "or select one metric first"
        )
    not_poolable = ~table["poolable"].fillna(False).astype(bool)
    if not_poolable.any():
        metrics = ", ".join(sorted(map(str, table.loc[not_poolable, "metric"].unique())))
        raise ValueError(f"refusing to pool metric(s) marked not poolable: {metrics}")

    dropped = int(table.attrs.get("dropped_nonobserved", 0))
    nonobserved = ~table["evidence_type"].eq("observed").fillna(False).astype(bool)
    if nonobserved.any():
        if not exclude_nonobserved:
            kinds = ", ".join(sorted(map(str, table.loc[nonobserved, "evidence_type"].unique())))
            raise ValueError(
                f"refusing to mix {int(nonobserved.sum())} non-observed row(s) ({kinds}) "
                "with observed studies: pass exclude_nonobserved=True or use observed_only()"
            )
        table = table.loc[~nonobserved]
        dropped += int(nonobserved.sum())

    rows = table.copy()
    counts = _resolve_counts(
        rows["numerator"],
        rows["denominator"],
        rows["percent"],
        rows["n"],
        ids=rows["figure_id"].tolist(),
    )
    rows["k_used"], rows["n_used"] = counts.k, counts.n
    rows["reconstructed"] = counts.reconstructed
    qualifier_reason = _qualifier_reasons(rows["qualifier"])
    unusable = np.where(np.isnan(counts.k), counts.reason, None)
    rows["skip_reason"] = np.where(_is_set(qualifier_reason), qualifier_reason, unusable)
    if "pooled" in rows.columns:
        # The data say which figure of a study and metric is pooled (figures.pooled).
        flagged = rows["pooled"].fillna(True).astype(bool)
        notes = rows["pooling_note"] if "pooling_note" in rows.columns else None
        for index in rows.index[~flagged]:
            if rows.loc[index, "skip_reason"] is None:
                note = notes.loc[index] if notes is not None else None
                rows.loc[index, "skip_reason"] = (
                    f"not pooled: {note}" if isinstance(note, str) and note else "not pooled"
                )
    rows = _mark_rereports(rows, by)
    return ScreenedFigures(rows=rows, dropped_nonobserved=dropped)


def _by_columns(by: Sequence[str] | str) -> tuple[str, ...]:
    return (by,) if isinstance(by, str) else tuple(by)


def _mark_rereports(rows: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Keep one usable row per study within each subgroup; skip the rest as re-reports."""
    usable = rows[rows["skip_reason"].isna()]
    if usable.empty:
        return rows
    order = usable.assign(
        _primary=usable["is_primary_report"].fillna(False).astype(bool),
        _has_numerator=usable["numerator"].notna(),
    ).sort_values(
        ["_primary", "_has_numerator", "n_used", "figure_id"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    kept = order.groupby([*by, "study_id"], dropna=False, sort=False)["figure_id"]
    kept_figure = kept.transform("first")
    duplicate = order.index[order["figure_id"].to_numpy() != kept_figure.to_numpy()]
    rows = rows.copy()
    for index in duplicate:
        rows.loc[index, "skip_reason"] = (
            f"re-report of study {rows.loc[index, 'study_id']} "
            f"(pooled figure {kept_figure.loc[index]})"
        )
    return rows


#: Marks a study whose count was reconstructed from its reported percent.
RECONSTRUCTED_MARK = "†"


def _study_label(row: Mapping[str, object]) -> str:
    """Forest-plot label such as "Meyer 2015† (n = 6,791)" (``†``: count reconstructed)."""
    label = row.get("label")
    label = str(row["study_id"]) if label is None or pd.isna(label) else str(label)
    year = row.get("study_year")
    if year is not None and not pd.isna(year) and str(int(year)) not in label:
        label = f"{label} {int(year)}"
    reconstructed = row.get("reconstructed")
    mark = (
        RECONSTRUCTED_MARK
        if reconstructed is not None and reconstructed is not pd.NA and bool(reconstructed)
        else ""
    )
    return f"{label}{mark} (n = {int(row['n_used']):,})"


def pool_table(
    table: pd.DataFrame,
    method: PoolMethod = "REML",
    level: float = 0.95,
    exclude_nonobserved: bool = False,
    test: PoolTest = "z",
) -> PooledResult:
    """Pool the figures of one subgroup (one metric) into a labelled PooledResult.

    Applies the screening of :func:`screen_figures` (one row per study; bounds and
    rows without counts skipped) and labels studies "Label Year (n = N)".
    """
    screened = screen_figures(table, by=(), exclude_nonobserved=exclude_nonobserved)
    pooled = screened.pooled
    if pooled.empty:
        raise ValueError("no figure with usable counts to pool")
    labels = [_study_label(row) for row in pooled.to_dict("records")]
    return pool_proportions(
        pooled["k_used"].to_numpy(),
        pooled["n_used"].to_numpy(),
        method=method,
        level=level,
        labels=labels,
        test=test,
    )


def _subgroup_row(
    rows: pd.DataFrame, method: PoolMethod, level: float, test: PoolTest = "z"
) -> dict[str, object]:
    """Pooled statistics for one subgroup's screened rows."""
    pooled = rows[rows["skip_reason"].isna()]
    k = len(pooled)
    skipped = tuple(
        f"{f}: {r}"
        for f, r in zip(rows["figure_id"], rows["skip_reason"], strict=True)
        if pd.notna(r)
    )
    out: dict[str, object] = {
        "k": k,
        "n_total": int(pooled["n_used"].sum()),
        "estimate": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "pi_low": np.nan,
        "pi_high": np.nan,
        "tau2": np.nan,
        "i2": np.nan,
        "q": np.nan,
        "q_pvalue": np.nan,
        "method": method,
        "test": test,
        "model": "",
        "tau2_ci_low": np.nan,
        "tau2_ci_high": np.nan,
        "i2_ci_low": np.nan,
        "i2_ci_high": np.nan,
        "study_ids": tuple(pooled["study_id"]),
        "figure_ids": tuple(pooled["figure_id"]),
        "skipped": skipped,
        "notes": (),
    }
    if k == 1:
        events, total = int(pooled["k_used"].iloc[0]), int(pooled["n_used"].iloc[0])
        low, high = wilson_interval(events, total, level)
        out.update(
            estimate=events / total,
            ci_low=low,
            ci_high=high,
            method="wilson (k = 1)",
            model="a single study (Wilson interval), nothing pooled",
            notes=("single study: Wilson interval, nothing pooled",),
        )
    elif k > 1:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = pool_proportions(
                    pooled["k_used"].to_numpy(),
                    pooled["n_used"].to_numpy(),
                    method=method,
                    level=level,
                    test=test,
                )
        except FisherScoringError as error:
            out["notes"] = (str(error),)
        else:
            out.update(
                {name: getattr(result, name) for name in _RESULT_FIELDS},
                model=result.model,
                notes=result.notes,
            )
    return out


def pool_figures(
    table: pd.DataFrame,
    by: Sequence[str] | str = ("metric", "design", "condition"),
    method: PoolMethod = "REML",
    level: float = 0.95,
    exclude_nonobserved: bool = False,
    test: PoolTest = "z",
) -> pd.DataFrame:
    """Pool a figure table by subgroup: one row per combination of the ``by`` columns.

    Columns: the ``by`` columns, k, n_total, estimate, ci_low, ci_high, pi_low,
    pi_high, tau2, i2, q, q_pvalue, method, study_ids, figure_ids, skipped
    ("figure_id: reason") and notes. Subgroups with k = 1 report that study with a
    Wilson interval and NaN heterogeneity; with k = 0 only what was skipped.
    ``.attrs`` holds "skipped" (figure_id, study_id, reason) and
    "dropped_nonobserved". Refusals and skips are those of :func:`screen_figures`.
    """
    level = _check_level(level)
    if method not in ("REML", "DL", "GLMM"):
        raise ValueError(f"method must be 'REML', 'DL' or 'GLMM', got {method!r}")
    by = _by_columns(by)
    screened = screen_figures(table, by=by, exclude_nonobserved=exclude_nonobserved)
    rows = screened.rows
    records = []
    if by:
        for key, group in rows.groupby(list(by), dropna=False, sort=True):
            records.append(
                {**dict(zip(by, key, strict=True)), **_subgroup_row(group, method, level, test)}
            )
    elif not rows.empty:
        records.append(_subgroup_row(rows, method, level, test))
    out = pd.DataFrame.from_records(records, columns=[*by, *_SUBGROUP_COLUMNS])
    out.attrs["skipped"] = screened.skipped
    out.attrs["dropped_nonobserved"] = screened.dropped_nonobserved
    return out


#: PooledResult fields copied into each subgroup row of pool_figures.
_RESULT_FIELDS = (
    "estimate",
    "ci_low",
    "ci_high",
    "pi_low",
    "pi_high",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "tau2_ci_low",
    "tau2_ci_high",
    "i2_ci_low",
    "i2_ci_high",
)
_SUBGROUP_COLUMNS = (
    "k",
    "n_total",
    *_RESULT_FIELDS,
    "method",
    "test",
    "model",
    "study_ids",
    "figure_ids",
    "skipped",
    "notes",
)
