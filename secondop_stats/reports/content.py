"""The content of a report: tables, figures and HTML sections computed from the evidence.

``notebooks/report.ipynb`` only calls these functions and displays what they return, so all the
logic of a report (which figures are shown, what is pooled, what a patient pays, which checklist
items and references appear) lives here where tests reach it. Each section has a function that
returns data (a DataFrame or a Figure) and one that returns an escaped HTML fragment.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__, costs
from ..citations import reference_links, reference_text
from ..evidence import Evidence, load_evidence
from ..query.figures import DESIGNS as DESIGN_LABELS
from ..labels import ASPECT_LABELS, PAYMENT_LABELS, PLAN_LABELS, STATUS_LABELS
from ..query.checklist import checklist_items
from ..query.figures import prepared_evidence, select_figures
from ..pooling import MODEL_LABELS
from ..query.pooling import PRIMARY_MODEL, SHARED_POOLS, pool_selection
from ..query.selection import Filters, condition_choice
from ..query.review import data_release, prisma_flow, studies_by_design
from ..query.providers import (
    CostSituation,
    good_faith_estimate,
    provider_table,
    with_spend_per_change,
)
from . import fragments as f
from .cache import cached
from .formatting import count, missing, money, money_range, pct, pct_interval, reported_percent
from .params import ALL, GROUP_LABELS, ReportParams, resolve
from .stamp import generated_at

HEADLINE_METRICS = ("diagnosis_changed", "treatment_changed")
FOREST_MIN_K = 2

AUDIENCE_LABELS = {
    "patients": "For patients and families",
    "payers": "For payers and benefit managers",
    "researchers": "For researchers",
}
AUDIENCE_INTRO = {
    "patients": (
        "This report gathers what published studies found when people asked another doctor to "
        "review a diagnosis or a proposed treatment, what second-opinion services cost, what you "
        "would pay under your insurance, and a checklist to prepare. Every number names its "
        "source, listed at the end."
    ),
    "payers": (
        "This report summarises how often an expert second opinion changes the diagnosis or the "
        "treatment, what second-opinion services cost in today's dollars, the plan's coverage "
        "rules and what members pay, and the expected spend per changed decision. Every number "
        "names its source, listed at the end."
    ),
    "researchers": (
        "This report lists the primary published figures on diagnostic and treatment changes "
        "after a second opinion with Wilson intervals, random-effects pooled estimates (logit "
        "scale, REML, as metafor) with heterogeneity, prices adjusted with CPI-U, and the "
        "coverage rules applied. Every number names its source, listed at the end."
    ),
}
GUIDANCE_KINDS = {
    "seek_when": "When to seek a second opinion",
    "consider_when": "When to consider one",
    "less_necessary": "When it may be less necessary",
    "talking_to_your_doctor": "Talking to your doctor about it",
    "question_for_doctor": "Questions to ask the doctor",
    "question_for_insurer": "Questions to ask the insurer",
    "record_to_gather": "Records to gather",
    "preparation": "Preparing for the appointment",
    "where_to_find": "Where to find a second opinion",
    "choosing_a_doctor": "Choosing the doctor",
    "conflicting_opinions": "If the opinions differ",
    "paying": "Paying for it",
}
AUDIENCE_GUIDANCE = {
    "patients": tuple(GUIDANCE_KINDS),
    "payers": ("seek_when", "consider_when", "less_necessary", "question_for_insurer", "paying"),
    "researchers": ("seek_when", "consider_when", "less_necessary"),
}
#: Checklist groups shown expanded; the others are collapsed (plain HTML <details>, no script).
GUIDANCE_OPEN = {
    "patients": ("seek_when", "question_for_doctor", "record_to_gather"),
    "payers": ("seek_when", "question_for_insurer"),
    "researchers": ("seek_when",),
}


# --- citations -------------------------------------------------------------------------------


class Citations:
    """Numbers sources in the order a report first cites them: ``cite(id)`` → "[3]"."""

    def __init__(self, sources: pd.DataFrame) -> None:
        self._sources = sources.set_index("source_id", drop=False)
        self._order: dict[str, int] = {}

    def number(self, source_id: str) -> int:
        if source_id not in self._order:
            self._order[source_id] = len(self._order) + 1
        return self._order[source_id]

    def cite(self, *source_ids: str) -> str:
        ids = [s for s in dict.fromkeys(source_ids) if isinstance(s, str) and s]
        return "".join(f"[{self.number(s)}]" for s in ids)

    def entries(self) -> list[tuple[int, pd.Series]]:
        """(number, source row) for every cited source, in citation order."""
        return [
            (n, self._sources.loc[s]) for s, n in self._order.items() if s in self._sources.index
        ]


# --- the report context ----------------------------------------------------------------------


@dataclass
class ReportContext:
    """One report's validated parameters, its evidence and its citation numbering."""

    params: ReportParams
    evidence: Evidence
    citations: Citations = field(init=False)

    def __post_init__(self) -> None:
        self.citations = Citations(self.evidence.sources)

    @property
    def _shared_key(self) -> dict[str, str]:
        """What the evidence sections depend on: the same for every plan and audience."""
        return {"data_hash": self.evidence.data_hash, "condition": self.params.condition}

    @cached_property
    def key_figures(self) -> pd.DataFrame:
        return cached(
            "key-figures",
            self._shared_key,
            lambda: key_figures(self.evidence, self.params.condition),
        )

    @cached_property
    def pooled(self) -> pd.DataFrame:
        return cached("pooled", self._shared_key, lambda: pooled_estimates(self.key_figures))

    @cached_property
    def forest_plots(self) -> list[tuple[str, bytes, int]]:
        """(metric label, PNG bytes, width in pixels) per forest plot."""
        return cached("forest-plots", self._shared_key, lambda: forest_pngs(self))

    @cached_property
    def providers(self) -> pd.DataFrame:
        return provider_costs(self.evidence, self.params)


def prepare(
    condition: str = ALL,
    plan: str = "medicare_part_b",
    year: int | None = None,
    providers: Sequence[str] | None = None,
    title: str | None = None,
    audience: str = "patients",
    evidence_dir: str | os.PathLike[str] | None = None,
) -> ReportContext:
    """Load the evidence (``evidence_dir``, else ``$SECONDOP_EVIDENCE``, else the shipped one),
    validate the parameters against it and return the context every section reads."""
    folder = evidence_dir or os.environ.get("SECONDOP_EVIDENCE") or None
    evidence = load_evidence(Path(folder) if folder else None)
    params = ReportParams(
        condition=condition,
        plan=plan,
        year=year,
        providers=None if providers is None else tuple(providers),
        title=title,
        audience=audience,
    )
    return ReportContext(resolve(params, evidence), evidence)


# --- evidence: key figures and pooled estimates ----------------------------------------------


def key_figures(evidence: Evidence, condition: str) -> pd.DataFrame:
    """Primary reports of observed studies for a condition group ("all": every group), with
    Wilson intervals: the explorer's selection for ``condition`` with primary publications and
    observed studies only; sorted headline metrics first, then by metric and study year."""
    group = "" if condition == ALL else condition_choice(condition)
    rows = select_figures(
        prepared_evidence(evidence),
        Filters(condition=group, primary_only=True, observed_only=True),
    )
    order = {m: i for i, m in enumerate(HEADLINE_METRICS)}
    rows = rows.assign(
        _headline=rows["metric"].map(order).fillna(len(order)),
        _year=rows["study_year"].astype("Float64").fillna(9999),
    )
    rows = rows.sort_values(["_headline", "metric_label", "_year", "label"], kind="stable")
    return rows.drop(columns=["_headline", "_year"]).reset_index(drop=True)


def pooled_estimates(figures: pd.DataFrame) -> pd.DataFrame:
    """Random-effects pooled rate per metric: always the headline metrics, others with k ≥ 2.

    Pools exactly the rows of :func:`key_figures` (non-poolable metrics are left out) with the
    explorer's :func:`secondop_stats.query.pooling.pool_selection`, one metric at a time.
    """
    tables = []
    for metric, rows in figures[figures["poolable"]].groupby("metric", sort=False):
        outcome = SHARED_POOLS.pool(rows, (), observed_only=True)
        if outcome.table is not None:
            table = outcome.table.copy()
            table.attrs = {}
            tables.append(table)
    pooled = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=["metric", "k", "estimate"])
    )
    labels = dict(zip(figures["metric"], figures["metric_label"], strict=False))
    have = set(pooled["metric"])
    absent = [{"metric": m, "k": 0} for m in HEADLINE_METRICS if m not in have]
    if absent:
        pooled = pd.concat([pooled, pd.DataFrame(absent)], ignore_index=True)
    keep = pooled["metric"].isin(HEADLINE_METRICS) | (pooled["k"] >= FOREST_MIN_K)
    pooled = pooled[keep].copy()
    pooled["metric_label"] = [
        labels.get(m, str(m).replace("_", " ").capitalize()) for m in pooled["metric"]
    ]
    order = {m: i for i, m in enumerate(HEADLINE_METRICS)}
    pooled["_o"] = pooled["metric"].map(order).fillna(len(order))
    pooled = pooled.sort_values(["_o", "metric_label"], kind="stable").drop(columns="_o")
    return pooled.reset_index(drop=True)


def forest_pngs(ctx: ReportContext) -> list[tuple[str, bytes, int]]:
    """(metric label, PNG bytes, width in pixels) of a forest plot for each pooled metric with
    at least two studies: the explorer's forest plot (:mod:`secondop_stats.forest`) of the
    same figures and pooled estimate."""
    from ..forest import ForestCanvas, forest_rows

    out = []
    canvas = ForestCanvas()
    for row in ctx.pooled.to_dict("records"):
        if row.get("k", 0) < FOREST_MIN_K:
            continue
        figures = ctx.key_figures[ctx.key_figures["metric"].eq(row["metric"])]
        rows = forest_rows(figures.to_dict("records"), [row], ())
        title = f"{row['metric_label']}: {GROUP_LABELS.get(ctx.params.condition, '')}"
        canvas.draw(rows, title=title)
        out.append(
            (row["metric_label"], canvas.png(f.PNG_DPI), round(canvas.figure.get_figwidth() * 96))
        )
    return out


# --- costs -----------------------------------------------------------------------------------


def provider_costs(evidence: Evidence, params: ReportParams) -> pd.DataFrame:
    """Providers with a price (or the chosen ones) and what a patient pays under the report's
    plan in the report's year: :func:`secondop_stats.query.providers.provider_table` for the
    default situation (deductible not met, in network, with a referral), with the spend per
    changed decision at the pooled treatment-change rate."""
    return provider_table(
        evidence, CostSituation(plan=params.plan, year=params.year), providers=params.providers
    )


def cost_per_change(ctx: ReportContext) -> pd.DataFrame:
    """Spend per changed diagnosis or treatment for each priced provider, at each pooled
    headline rate: :func:`secondop_stats.query.providers.with_spend_per_change`."""
    frames = []
    for r in ctx.pooled.to_dict("records"):
        if r["metric"] not in HEADLINE_METRICS or missing(r.get("estimate")):
            continue
        if not 0 < r["estimate"] <= 1:
            continue
        interval = None
        if not (missing(r["ci_low"]) or missing(r["ci_high"])):
            interval = (r["ci_low"], r["ci_high"])
        table = with_spend_per_change(ctx.providers, r["estimate"], interval)
        table = table[table["compare_low"].notna() & table["compare_high"].gt(0)]
        frames.append(table.assign(outcome=r["metric_label"], rate=r["estimate"]))
    if not frames:
        return pd.DataFrame(
            columns=["name", "compare_low", "compare_high", "outcome", "rate", "per_change_low"]
        )
    return pd.concat(frames, ignore_index=True)


# --- HTML sections ---------------------------------------------------------------------------


def header_html(ctx: ReportContext) -> str:
    """Title, audience, what the report covers and the headline pooled rates."""
    p = ctx.params
    facts = [
        ("Condition", GROUP_LABELS.get(p.condition, p.condition)),
        ("Insurance", PLAN_LABELS.get(p.plan, p.plan)),
        ("Year", str(p.year)),
    ]
    if p.providers is not None:
        facts.append(("Providers", ", ".join(p.providers)))
    parts = [
        f'<h1 class="so-title">{f.esc(p.title)}</h1>',
        f.paragraph(AUDIENCE_LABELS.get(p.audience, ""), "so-audience"),
        f.definition_list(facts, "so-facts"),
        f.paragraph(AUDIENCE_INTRO.get(p.audience, ""), "so-lead"),
    ]
    headline = headline_text(ctx)
    if headline:
        parts.append(f'<div class="so-headline">{f.esc(headline)}</div>')
    return f.section(*parts, css_class="so-header")


def headline_text(ctx: ReportContext) -> str:
    """One sentence with the pooled diagnosis and treatment change rates, where available."""
    bits = []
    for row in ctx.pooled.to_dict("records"):
        if row["metric"] not in HEADLINE_METRICS or missing(row.get("estimate")):
            continue
        what = "the diagnosis" if row["metric"] == "diagnosis_changed" else "the treatment"
        studies = "1 study" if row["k"] == 1 else f"{row['k']} studies"
        bits.append(
            f"changed {what} in about {pct(row['estimate'], 0)} of cases "
            f"(95% CI {pct_interval(row['ci_low'], row['ci_high'], 0)}; {studies}, "
            f"{count(row['n_total'])} cases)"
        )
    if not bits:
        return ""
    group = GROUP_LABELS.get(ctx.params.condition, ctx.params.condition).lower()
    where = "Across the studies" if ctx.params.condition == ALL else f"In {group}"
    return f"{where}, a second opinion " + " and ".join(bits) + "."


def key_figures_frame(ctx: ReportContext) -> pd.DataFrame:
    """The key figures as displayed: one row per figure, text columns."""
    rows = []
    for r in ctx.key_figures.to_dict("records"):
        n = r.get("denominator")
        n = r.get("n") if missing(n) else n
        row = {
            "Study": r["label"],
            "Outcome": r["metric_label"],
            "Reported": reported_percent(r),
            "n": count(n),
            "95% CI": pct_interval(r["ci_low"], r["ci_high"]),
            "Design": str(r["design"]).replace("_", " "),
            "Condition": r["condition_label"],
        }
        if ctx.params.audience == "researchers":
            row["Counts"] = (
                f"{count(r['numerator'])} / {count(r['denominator'])}"
                if not missing(r.get("numerator"))
                else "—"
            )
            row["CI note"] = "" if missing(r["ci_reason"]) else str(r["ci_reason"])
        row["Source"] = ctx.citations.cite(r["source_id"])
        rows.append(row)
    return pd.DataFrame(rows)


def key_figures_html(ctx: ReportContext) -> str:
    """The key figures table with a short explanation."""
    group = GROUP_LABELS.get(ctx.params.condition, ctx.params.condition).lower()
    return f.section(
        f.heading("What studies found", 2, "key-figures"),
        f.note(
            "Figures as reported by each study's primary publication (observed cases only; "
            "modelling results and company claims are left out). The 95% confidence interval "
            "(Wilson) shows the uncertainty due to the study's size; where only a percent was "
            "published, the count is reconstructed from it."
        ),
        f.table(
            key_figures_frame(ctx),
            empty=f"No primary published figures for {group} yet.",
            min_widths={"95% CI": "7.5em", "Reported": "5em", "Counts": "6.5em"},
        ),
        f.details("What each outcome counts", f.definition_list(metric_definitions(ctx))),
    )


def metric_definitions(ctx: ReportContext) -> list[tuple[str, str]]:
    """(label, definition) of each outcome in the key figures, in the order shown."""
    metrics = ctx.evidence.metrics.set_index("metric")
    shown = dict.fromkeys(ctx.key_figures["metric"])
    return [
        (str(metrics.loc[m, "label"]), str(metrics.loc[m, "description"]))
        for m in shown
        if m in metrics.index
    ]


def pooled_frame(ctx: ReportContext) -> pd.DataFrame:
    """The pooled estimates as displayed: every pooled number with its prediction interval,
    its certainty and, for payers and researchers, the model."""
    rows = []
    for r in ctx.pooled.to_dict("records"):
        k = int(r.get("k") or 0)
        row = {
            "Outcome": r["metric_label"],
            "Studies": k,
            "Cases": count(r.get("n_total")) if k else "—",
            "Pooled estimate": pct(r.get("estimate")) if k else "no data",
            "95% CI": pct_interval(r.get("ci_low"), r.get("ci_high")) if k else "—",
            "Range in a new setting (95% PI)": pct_interval(r.get("pi_low"), r.get("pi_high"))
            if k > 1
            else "—",
            "Certainty": (r.get("certainty") or "—") if k else "—",
        }
        if ctx.params.audience != "patients":
            row["I²"] = "—" if k < 2 or missing(r.get("i2")) else f"{r['i2']:.0f}%"
        if ctx.params.audience == "researchers":
            row["τ² (logit)"] = "—" if k < 2 or missing(r.get("tau2")) else f"{r['tau2']:.3g}"
            row["Model"] = "—" if missing(r.get("model")) else r["model"]
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_statements(ctx: ReportContext) -> list[str]:
    """One plain-language sentence per pooled outcome, with its certainty and reasons."""
    return [
        f"{r['metric_label']}: {r['statement']}."
        for r in ctx.pooled.to_dict("records")
        if not missing(r.get("statement")) and r["statement"]
    ]


def forest_alt(ctx: ReportContext, label: str) -> str:
    """The forest plot of one outcome in words, with its numbers."""
    rows = ctx.pooled[ctx.pooled["metric_label"] == label].to_dict("records")
    if not rows:
        return f"Forest plot: {label}"
    r = rows[0]
    return (
        f"Forest plot: {label}, {int(r['k'])} studies, {count(r['n_total'])} cases; pooled "
        f"{pct(r['estimate'])} (95% CI {pct_interval(r['ci_low'], r['ci_high'])}; range in a "
        f"new setting {pct_interval(r['pi_low'], r['pi_high'])}); certainty "
        f"{'not rated' if missing(r.get('certainty')) else r['certainty']}."
    )


def pooled_html(ctx: ReportContext) -> str:
    """Pooled estimates table, what they mean in words, and a forest plot per outcome with at
    least two studies; for researchers, the sensitivity analyses."""
    model = next(
        (r["model"] for r in ctx.pooled.to_dict("records") if not missing(r.get("model"))),
        MODEL_LABELS[PRIMARY_MODEL],
    )
    parts = [
        f.heading("Pooled estimates", 2, "pooled"),
        f.note(
            f"Random-effects meta-analysis of the figures above ({model}), one figure "
            "per study. Studies differ in who asked for the opinion, the setting and how a "
            "change was judged, so the pooled rate is an average over different situations: "
            "the range in a new setting (the 95% prediction interval) is what to expect where "
            "you are. Certainty is rated as GRADE does, starting high and moving down for risk "
            "of bias, disagreement between studies, imprecision, indirectness and publication "
            "bias. How all of this is computed: see “How the numbers are computed” below."
        ),
        f.table(
            pooled_frame(ctx),
            empty="Nothing to pool.",
            min_widths={"95% CI": "7.5em", "Range in a new setting (95% PI)": "7.5em"},
        ),
        f.bullet_list(pooled_statements(ctx), "so-statements"),
    ]
    for label, png, width in ctx.forest_plots:
        parts.append(
            f.image(
                png,
                alt=forest_alt(ctx, label),
                caption=f"{label}: each study's rate (square, sized by weight) with its "
                "95% interval; the diamond is the pooled estimate, the orange bar the "
                "95% prediction interval.",
                width_px=width,
            )
        )
    return f.section(*parts)


def provider_frame(ctx: ReportContext) -> pd.DataFrame:
    """The provider comparison as displayed."""
    table = ctx.providers
    today = table.attrs.get("today_year")
    plan = PLAN_LABELS.get(ctx.params.plan, ctx.params.plan)
    rows = []
    for p in table.to_dict("records"):
        year = "" if missing(p["price_year"]) else f" ({int(p['price_year'])})"
        days_low, days_high = p["turnaround_days_low"], p["turnaround_days_high"]
        days = "—"
        if not missing(days_low):
            days = (
                f"{days_low:g}"
                if missing(days_high) or days_low == days_high
                else f"{days_low:g}–{days_high:g}"
            )
        unknown = STATUS_LABELS["unknown"]
        today_pays = money_range(p["pays_low_today"], p["pays_high_today"])
        quoted_pays = money_range(p["pays_low_quoted"], p["pays_high_quoted"])
        rows.append(
            {
                "Provider": f"{p['name']} — {p['program']}" if p["program"] else p["name"],
                "Paid as": PAYMENT_LABELS.get(str(p["payment"]), "not known"),
                "Price quoted": money_range(p["price_low_usd"], p["price_high_usd"]) + year,
                f"Price in {today} dollars": money_range(
                    p["price_low_today"], p["price_high_today"]
                ),
                f"You pay, estimate ({plan}, {today} $)": today_pays
                if today_pays != "—" or missing(p["pays_low_quoted"])
                else "year of price unknown",
                "You pay, estimate (quoted year $)": quoted_pays if quoted_pays != "—" else unknown,
                "Why": p["rule"] or p["price_note"] or "",
                "Days": days,
                "Source": ctx.citations.cite(p["source_id"]),
            }
        )
    return pd.DataFrame(rows)


def costs_html(ctx: ReportContext) -> str:
    """Provider prices, the patient's share under the plan, and (for payers and researchers)
    the expected spend per changed decision."""
    p = ctx.params
    today = ctx.providers.attrs.get("today_year")
    plan = PLAN_LABELS.get(p.plan, p.plan)
    parts = [
        f.heading("What second opinions cost", 2, "costs"),
        f.note(
            f"Prices as published, and adjusted to {today} dollars with the CPI-U annual "
            "average; a price whose year is not known cannot be adjusted (—). What you pay is "
            f"estimated for {plan} in {p.year}, before any deductible already met, for an "
            "in-network opinion with a referral, by the rule that fits how each service is "
            f"paid for; it is given in {today} dollars and in the dollars of the year the price "
            "was quoted. Every amount you pay is an estimate, not a quote."
        ),
    ]
    if p.plan == "self_pay":
        gfe = good_faith_estimate(ctx.evidence)
        if gfe is not None and gfe.amount is not None:
            parts.append(
                f.paragraph(
                    "Paying yourself, you have a right to a written Good Faith Estimate before "
                    "scheduled care under the No Surprises Act; a bill at least "
                    f"{money(gfe.amount)} above it can be disputed "
                    f"{ctx.citations.cite(gfe.source_id)}."
                )
            )
    shown = provider_frame(ctx)
    parts.append(
        f.table(shown, empty="No provider with a published price.", min_widths={"Days": "3.5em"})
    )
    if p.audience in ("payers", "researchers"):
        per = cost_per_change(ctx)
        shown = pd.DataFrame(
            {
                "Provider": per["name"],
                f"Price ({today} $)": [
                    money_range(lo, hi)
                    for lo, hi in zip(per["compare_low"], per["compare_high"], strict=True)
                ],
                "Outcome": per["outcome"],
                "Pooled rate": per["rate"].map(pct),
                "Spend per changed decision": [
                    money_range(lo, hi)
                    for lo, hi in zip(per["per_change_low"], per["per_change_high"], strict=True)
                ],
                "95% range": [
                    f"{money(lo)}–{money(hi) if math.isfinite(hi) else 'unbounded'}"
                    for lo, hi in zip(
                        per["per_change_ci_low"], per["per_change_ci_high"], strict=True
                    )
                ],
            }
        )
        parts += [
            f.heading("Spend per changed decision", 3, "cost-per-change"),
            f.note(
                "Price divided by the pooled rate at which a second opinion changes the "
                "diagnosis or the treatment: what a payer spends, on average, for each changed "
                "decision. It says nothing about whether the change was right."
            ),
            f.table(shown, empty="No pooled rate or price to combine."),
        ]
    return f.section(*parts)


def coverage_frame(ctx: ReportContext) -> pd.DataFrame:
    """The plan's primary coverage rules as displayed."""
    rules = costs.coverage_rules(ctx.params.plan, ctx.evidence)
    rows = []
    for aspect in ASPECT_LABELS:
        rule = rules.get(aspect)
        if rule is None:
            continue
        value = rule.value.replace("_", " ")
        if rule.amount is not None:
            value = (
                f"{rule.amount:g}%" if aspect == "coinsurance_pct" else f"{value} ({rule.amount:g})"
            )
        rows.append(
            {
                "Rule": ASPECT_LABELS[aspect],
                "Value": value,
                "As stated": rule.quote,
                "Source": ctx.citations.cite(rule.source_id),
            }
        )
    return pd.DataFrame(rows)


def coverage_html(ctx: ReportContext) -> str:
    """The coverage rules the cost figures apply, quoted from their sources."""
    plan = PLAN_LABELS.get(ctx.params.plan, ctx.params.plan)
    parts = [
        f.heading(f"Coverage rules: {plan}", 2, "coverage"),
        f.table(coverage_frame(ctx), empty="No coverage rule recorded for this plan."),
    ]
    if ctx.params.plan == "medicare_part_b":
        table = ctx.evidence.part_b_deductible
        row = table[table["year"] == ctx.params.year].iloc[0]
        parts.append(
            f.note(
                f"Medicare Part B deductible in {ctx.params.year}: {money(row['amount_usd'])}, "
                f"then {row['coinsurance_pct']:g}% coinsurance "
                f"{ctx.citations.cite(row['source_id'])}."
            )
        )
    return f.section(*parts)


def sensitivity_frame(ctx: ReportContext) -> pd.DataFrame:
    """The sensitivity analyses of :func:`secondop_stats.query.sensitivity.sensitivity_table`
    as displayed."""
    from ..query.sensitivity import sensitivity_table

    table = sensitivity_table(ctx.key_figures, ctx.pooled)
    labels = dict(zip(ctx.pooled["metric"], ctx.pooled["metric_label"], strict=False))
    rows = []
    for r in table.to_dict("records"):
        rows.append(
            {
                "Outcome": labels.get(r["metric"], r["metric"]),
                "GLMM (t)": f"{pct(r['estimate'])} ({pct_interval(r['ci_low'], r['ci_high'])})",
                "REML + Hartung-Knapp": (
                    f"{pct(r['iv_estimate'])} ({pct_interval(r['iv_ci_low'], r['iv_ci_high'])})"
                ),
                "Without high risk of bias": (
                    f"{pct(r['low_risk_estimate'])} ({r['low_risk_k']} {'study' if r['low_risk_k'] == 1 else 'studies'})"
                    if r["low_risk_k"]
                    else "no study at lower risk"
                ),
                "Leave one out": f"{pct(r['loo_min'])} to {pct(r['loo_max'])}",
                "Egger p": "k < 10" if missing(r["egger_p"]) else f"{r['egger_p']:.3f}",
            }
        )
    return pd.DataFrame(rows)


def stats_screen(figures: pd.DataFrame) -> pd.DataFrame:
    """The figures that enter pooling, with the counts used."""
    from ..stats import screen_figures

    return screen_figures(figures, by=(), exclude_nonobserved=True).pooled


def sensitivity_html(ctx: ReportContext) -> str:
    """The sensitivity analyses (researchers' reports only), with funnel plots for k >= 10."""
    if ctx.params.audience != "researchers":
        return ""
    from ..plots import funnel

    parts = [
        f.heading("Sensitivity analyses", 2, "sensitivity"),
        f.note(
            "Each pooled rate refitted another way: inverse-variance REML with the Hartung-Knapp "
            "interval (kept at least as wide as the Wald one), without the studies at high risk "
            "of bias (two or more risk-of-bias items high), and leaving out one study at a time. "
            "Small-study effects are tested (Egger) only with 10 or more studies; funnel plots "
            "are shown for those."
        ),
        f.table(sensitivity_frame(ctx), empty="No outcome with three or more studies."),
    ]
    for r in ctx.pooled.to_dict("records"):
        if int(r.get("k") or 0) < 10:
            continue
        figures = ctx.key_figures[ctx.key_figures["figure_id"].isin(r["figure_ids"])]
        screened = stats_screen(figures)
        fig = funnel(screened["k_used"].to_numpy(), screened["n_used"].to_numpy(),
                     title=f"Funnel plot: {r['metric_label']}")
        parts.append(
            f.figure(
                fig,
                alt=f"Funnel plot for {r['metric_label']}: {r['k']} studies, logit rate against "
                f"standard error; Egger p = {r.get('egger_p') or float('nan'):.3f}",
                caption="Each study's logit rate against its standard error; asymmetry can "
                "mean that small studies with unremarkable rates went unpublished.",
            )
        )
        from matplotlib import pyplot as plt

        plt.close(fig)
    return f.section(*parts)


def checklist(ctx: ReportContext) -> pd.DataFrame:
    """Guidance items for the report's audience (and plan: no insurer questions without
    insurance), in checklist order: :func:`secondop_stats.query.checklist.checklist_items`."""
    kinds = AUDIENCE_GUIDANCE.get(ctx.params.audience, tuple(GUIDANCE_KINDS))
    return checklist_items(ctx.evidence.guidance, kinds, insured=ctx.params.plan != "self_pay")


def checklist_html(ctx: ReportContext) -> str:
    """The checklist, grouped by kind (the audience's main groups expanded, the rest collapsed
    in plain HTML ``<details>``), each item with its source."""
    items = checklist(ctx)
    expanded = GUIDANCE_OPEN.get(ctx.params.audience, ())
    parts = [
        f.heading("Checklist", 2, "checklist"),
        f.note("Advice quoted from the source articles."),
        f.paragraph("Open a group to see its items.", "so-note so-screen-only"),
    ]
    if items.empty:
        parts.append(f.note("No guidance recorded yet."))
    for kind, group in items.groupby("kind", sort=False):
        lines = [
            f"{t} {ctx.citations.cite(s)}"
            for t, s in zip(group["text"], group["source_id"], strict=True)
        ]
        label = f"{GUIDANCE_KINDS.get(str(kind), str(kind))} ({len(lines)})"
        parts.append(
            f.details(label, f.bullet_list(lines, "so-checklist"), is_open=kind in expanded)
        )
    return f.section(*parts)


def review_html(ctx: ReportContext) -> str:
    """How the evidence was gathered: the review's PRISMA flow and studies by design."""
    flow = prisma_flow(ctx.evidence)
    designs = ", ".join(
        f"{DESIGN_LABELS.get(d, d)} {n}" for d, n in studies_by_design(ctx.evidence).items()
    )
    return f.section(
        f.heading("How the evidence was gathered", 2, "review"),
        f.note(
            "The studies come from a systematic review with a written protocol: searches by "
            "design and the included studies of published reviews, every candidate screened "
            "with its decision and reason, and every figure re-read in its publication. "
            f"This report uses {data_release(ctx.evidence)}."
        ),
        f.bullet_list(flow.lines(), "so-prisma"),
        f.paragraph(f"Observed studies by design: {designs}."),
    )


def methods_section_html(ctx: ReportContext) -> str:
    """The methods page, collapsed: what is computed and why, with its sources."""
    from ..methods import METHODS_ANCHOR, methods_html

    return f.section(
        f.heading("How the numbers are computed", 2, METHODS_ANCHOR),
        f.details("Open the methods", methods_html(), is_open=ctx.params.audience == "researchers"),
    )


def references_html(ctx: ReportContext) -> str:
    """Numbered references, in citation order, with DOI, PubMed and web links."""
    entries = ctx.citations.entries()
    items = []
    for number, row in entries:
        found = reference_links(row)
        labels = {"doi": f"doi:{row.get('doi')}", "pubmed": "PubMed", "url": "Web page"}
        links = f.links([(labels[k], v) for k, v in found.items()])
        link_html = f' <span class="so-links">{links}</span>' if links else ""
        items.append(
            f'<li value="{number}" id="ref-{number}">{f.esc(reference_text(row))}{link_html}</li>'
        )
    body = f'<ol class="so-references">{"".join(items)}</ol>' if items else f.note("None.")
    return f.section(f.heading("References", 2, "references"), body)


def stamp(ctx: ReportContext) -> dict[str, Any]:
    """What this report was built from: version, data hash, parameters, generation time."""
    return {
        "version": __version__,
        "data_release": data_release(ctx.evidence),
        "data_hash": ctx.evidence.data_hash,
        "parameters": ctx.params.as_dict(),
        "generated": generated_at(),
    }


def stamp_html(ctx: ReportContext) -> str:
    """The reproducibility stamp. The generation time is alone on its own line, so that two
    builds of the same inputs differ only there."""
    s = stamp(ctx)
    params = json.dumps(s["parameters"], sort_keys=True, ensure_ascii=False)
    return (
        '<footer class="so-stamp">'
        + f.heading("Reproducibility", 2, "stamp")
        + f.definition_list(
            [
                ("secondop version", s["version"]),
                ("Evidence", data_release(ctx.evidence)),
                ("Evidence data hash (SHA-256)", s["data_hash"]),
                ("Parameters", params),
            ]
        )
        + f'\n<p class="so-generated">Generated {f.esc(s["generated"])}</p>\n'
        + f.note(
            "Rebuild with: secondop report "
            + " ".join(_cli_args(ctx.params))
            + " (same version and data hash give the same report)."
        )
        + "</footer>"
    )


def _cli_args(p: ReportParams) -> list[str]:
    args = [f"--condition {p.condition}", f"--plan {p.plan}", f"--year {p.year}"]
    if p.providers is not None:
        args.append("--providers " + " ".join(p.providers))
    args.append(f"--audience {p.audience}")
    args.append("--title " + json.dumps(p.title, ensure_ascii=False))
    return args
