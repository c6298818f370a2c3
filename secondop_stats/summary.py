"""Plain-text summary of the evidence: what the package holds, for the terminal."""

from __future__ import annotations

import pandas as pd

from .evidence import Evidence
from .query.review import data_release, prisma_flow, studies_by_design


def counts(ev: Evidence) -> dict[str, int]:
    """Rows per table, plus a few derived counts researchers ask for first."""
    out = {name: len(getattr(ev, name)) for name in Evidence.table_names()}
    fig = ev.figure_table()
    out["figures_from_articles"] = int((fig["source_kind"] == "article").sum())
    out["figures_from_primary_publications"] = int(fig["is_primary_report"].sum())
    out["providers_with_price"] = int(ev.providers["price_low_usd"].notna().sum())
    out["unconfirmed_sources"] = int((~ev.sources["confirmed"]).sum())
    return out


def one_line(ev: Evidence) -> str:
    """The summary `secondop validate` prints when the data are clean."""
    c = counts(ev)
    return (
        f"evidence OK: {c['sources']} sources, {c['studies']} studies, {c['figures']} figures, "
        f"{c['providers']} providers, {c['coverage']} coverage rules, {c['guidance']} guidance "
        f"items (data hash {ev.data_hash[:12]}, {ev.path})"
    )


def report(ev: Evidence) -> str:
    """A few paragraphs: table sizes and the headline figures with their sources."""
    c = counts(ev)
    lines = [f"Evidence at {ev.path}: {data_release(ev)} (data hash {ev.data_hash[:12]})", ""]
    width = max(len(k) for k in c)
    lines += [f"  {k:<{width}}  {v:>5}" for k, v in c.items()]
    lines += ["", "Review flow (from screening.csv):"]
    lines += [f"  {line}" for line in prisma_flow(ev).lines()]
    by_design = ", ".join(f"{k} {v}" for k, v in studies_by_design(ev).items())
    lines += [f"  Observed studies by design: {by_design}"]
    fig = ev.figure_table()
    primary = fig[
        fig["is_primary_report"]
        & fig["pooled"]
        & fig["metric"].isin(["diagnosis_changed", "treatment_changed"])
        & (fig["evidence_type"] == "observed")
    ]
    if len(primary):
        lines += ["", "Diagnosis and treatment changes reported by primary publications:"]
        for _, r in primary.sort_values(["metric", "study_year"]).iterrows():
            n = "" if pd.isna(r["denominator"]) else f" of {int(r['denominator']):,}"
            rate = "     —" if pd.isna(r["percent"]) else f"{r['percent']:>5.1f}%"
            lines.append(
                f"  {r['metric_label']:<18} {rate}{n:<10} {r['label']} "
                f"({r['condition_label']}; {r['design']})"
            )
    return "\n".join(lines)
