"""Providers with their prices and what a patient pays in a stated situation.

One function, :func:`provider_table`, answers "what does each service cost, and what would I
pay?" for the dashboard, the reports and the command line alike. Prices are given as quoted and
in today's dollars (CPI-U, latest year of the data); the patient's share is computed once, on the
price in today's dollars, and given in both kinds of dollars so that it always sits beside a
price in the same dollars. Every share names the rule that decided it and that rule's sources.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import pandas as pd

from .. import costs
from ..errors import ParameterError
from ..evidence import Evidence
from ..text import is_missing

#: Payment kinds that are not second opinions and are left out unless asked for.
LOOKUP_PAYMENTS = frozenset({"lookup"})


@dataclass(frozen=True)
class CostSituation:
    """The patient's situation a cost estimate assumes.

    Copay, coinsurance, what is left of the deductible and of the out-of-pocket maximum are
    the patient's own numbers: None means "not entered", and an estimate that needs one of them
    says so instead of assuming zero.
    """

    plan: str = "self_pay"
    year: int | None = None
    deductible_met: bool = False
    deductible_remaining_usd: float | None = None
    coinsurance_pct: float | None = None
    copay_usd: float | None = None
    oop_max_remaining_usd: float | None = None
    in_network: bool = True
    referral: bool = True
    opinion: int = 2
    first_two_differ: bool = True

    def resolved(self, evidence: Evidence) -> CostSituation:
        """The situation with its year filled in (latest year of the deductible table) and its
        plan and year checked against the data."""
        years = sorted(int(y) for y in evidence.part_b_deductible["year"])
        year = years[-1] if self.year is None else self.year
        if isinstance(year, bool) or not isinstance(year, int) or year not in years:
            raise ParameterError(
                f"unknown year {year!r}; valid values: {', '.join(map(str, years))}"
            )
        if self.plan not in costs.PLANS:
            raise ParameterError(
                f"unknown plan {self.plan!r}; valid values: {', '.join(costs.PLANS)}"
            )
        return replace(self, year=year)

    def rule_arguments(self) -> dict[str, object]:
        """Keyword arguments of :func:`secondop_stats.costs.out_of_pocket`."""
        args = asdict(self)
        args.pop("plan")
        return args


def _prices_today(evidence: Evidence, low: float, high: float, year: int | None) -> tuple:
    """(low, high, factor, note): the price in the latest CPI year's dollars, the factor from
    quoted to today's dollars (NaN when it cannot be known) and why not."""
    if is_missing(low):
        return math.nan, math.nan, math.nan, "price not known"
    if low == 0 and high == 0:
        return 0.0, 0.0, math.nan, ""  # free in any year's dollars
    if year is None:
        return math.nan, math.nan, math.nan, "year of the price not known: not adjusted"
    first, last = costs.cpi_years(evidence)
    base = min(max(year, first), last)
    factor = float(costs.inflate(1.0, base, last, evidence=evidence))
    note = "" if base == year else f"price year {year} outside CPI-U data; adjusted from {base}"
    return low * factor, high * factor, factor, note


def _share(
    price: float, plan: str, payment: str, situation: CostSituation, evidence: Evidence
) -> costs.OutOfPocket:
    return costs.out_of_pocket(
        float(price), plan, payment=payment, evidence=evidence, **situation.rule_arguments()
    )


def provider_table(
    evidence: Evidence,
    situation: CostSituation | None = None,
    *,
    include_unpriced: bool = False,
    include_lookups: bool = False,
    providers: Sequence[str] | None = None,
    consultation_price_usd: float | None = None,
) -> pd.DataFrame:
    """Every chosen provider with its price and what the patient pays in ``situation``.

    ``consultation_price_usd`` adds a first row for a consultation billed to the plan (in
    person or by video) at that price in today's dollars, such as the price a doctor's office
    quotes: the one kind of opinion a plan's deductible, coinsurance and copay apply to.

    Columns: the provider's own fields; ``price_low_today``/``price_high_today`` (in
    ``today_year`` dollars, NaN when the price's year is unknown) and ``price_note``; the
    estimate's ``status`` (covered, not_covered, not_billed, member_benefit, free, lookup,
    unknown), ``covered``, ``rule``, ``rule_source_ids``, ``caveats`` and ``missing_input``;
    the patient's share ``pays_low_today``/``pays_high_today`` and the same amounts in the
    quoted year's dollars ``pays_low_quoted``/``pays_high_quoted``; and the breakdown of the
    high end (``deductible_part``, ``coinsurance_part``, ``copay_part``,
    ``oop_max_reduction``, in today's dollars). Sorted by price in today's dollars.
    """
    situation = (situation or CostSituation()).resolved(evidence)
    _, today_year = costs.cpi_years(evidence)
    table = evidence.providers
    if providers is not None:
        unknown = sorted(set(providers) - set(table["provider_id"]))
        if unknown:
            raise ParameterError(f"unknown provider(s): {', '.join(unknown)}")
        table = table[table["provider_id"].isin(providers)]
    rows = []
    records = table.to_dict("records")
    if consultation_price_usd is not None:
        price = costs.checked_amount("consultation_price_usd", consultation_price_usd)
        records.insert(0, _consultation(price, today_year))
    for p in records:
        priced = not is_missing(p["price_low_usd"])
        payment = None if is_missing(p["payment"]) else str(p["payment"])
        if not priced and not include_unpriced:
            continue
        if payment in LOOKUP_PAYMENTS and not include_lookups:
            continue
        year = None if is_missing(p["price_year"]) else int(p["price_year"])
        if p["provider_id"] == CONSULTATION_ID:
            year = today_year
        low_today, high_today, factor, note = _prices_today(
            evidence, p["price_low_usd"], p["price_high_usd"], year
        )
        row = {
            **{k: p[k] for k in _PROVIDER_COLUMNS},
            "payment": payment,
            "price_year": year,
            "today_year": today_year,
            "price_low_today": low_today,
            "price_high_today": high_today,
            "price_note": note,
            **_estimate(p, payment, situation, evidence, low_today, high_today, factor),
        }
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*_PROVIDER_COLUMNS, *_COMPUTED_COLUMNS])
    sort_price = frame["price_low_today"].fillna(frame["price_low_usd"])
    sort_price = sort_price.where(frame["provider_id"] != CONSULTATION_ID, -1.0)
    frame = (
        frame.assign(_sort=sort_price)
        .sort_values(["_sort", "name", "provider_id"], na_position="last", kind="stable")
        .drop(columns="_sort")
        .reset_index(drop=True)
    )
    frame.attrs.update(situation=situation, today_year=today_year)
    return frame


CONSULTATION_ID = "your-consultation"


def _consultation(price: float | None, today_year: int) -> dict[str, object]:
    """A provider row for a consultation billed to the plan at a price the user entered."""
    return {
        "provider_id": CONSULTATION_ID,
        "name": "A consultation billed to your plan",
        "program": "in person or by video, at the price you entered",
        "kind": "",
        "modality": "in_person",
        "remote": False,
        "payment": "billable_visit",
        "price_low_usd": price,
        "price_high_usd": price,
        "price_year": today_year,
        "price_confirmed": None,
        "turnaround_days_low": None,
        "turnaround_days_high": None,
        "eligibility": "",
        "insurance_note": "",
        "url": "",
        "source_id": "",
    }


_PROVIDER_COLUMNS = (
    "provider_id",
    "name",
    "program",
    "kind",
    "modality",
    "remote",
    "price_low_usd",
    "price_high_usd",
    "price_confirmed",
    "turnaround_days_low",
    "turnaround_days_high",
    "eligibility",
    "insurance_note",
    "url",
    "source_id",
)
_COMPUTED_COLUMNS = (
    "payment",
    "price_year",
    "today_year",
    "price_low_today",
    "price_high_today",
    "price_note",
    "status",
    "covered",
    "rule",
    "rule_ids",
    "rule_source_ids",
    "caveats",
    "missing_input",
    "pays_low_today",
    "pays_high_today",
    "pays_low_quoted",
    "pays_high_quoted",
    "deductible_part",
    "coinsurance_part",
    "copay_part",
    "oop_max_reduction",
)


def _estimate(
    provider: dict,
    payment: str | None,
    situation: CostSituation,
    evidence: Evidence,
    low_today: float,
    high_today: float,
    factor: float,
) -> dict[str, object]:
    """The patient's share of one provider's price range, in today's and quoted dollars."""
    empty: dict[str, object] = {
        "status": "unknown",
        "covered": None,
        "rule": "",
        "rule_ids": (),
        "rule_source_ids": (),
        "caveats": (),
        "missing_input": "",
        "pays_low_today": math.nan,
        "pays_high_today": math.nan,
        "pays_low_quoted": math.nan,
        "pays_high_quoted": math.nan,
        "deductible_part": math.nan,
        "coinsurance_part": math.nan,
        "copay_part": math.nan,
        "oop_max_reduction": math.nan,
    }
    if is_missing(provider["price_low_usd"]):
        return {**empty, "rule": "price not known"}
    if payment is None:
        return {**empty, "rule": "how this service is paid for is not known"}
    in_today = not math.isnan(low_today)
    base_low = low_today if in_today else float(provider["price_low_usd"])
    base_high = high_today if in_today else float(provider["price_high_usd"])
    low = _share(base_low, situation.plan, payment, situation, evidence)
    high = _share(base_high, situation.plan, payment, situation, evidence)
    caveats = list(low.caveats)
    if not in_today:
        caveats.append("price year unknown: share computed on the price as quoted")
    # back to the quoted year's dollars (a free service, or an undated price, stays as it is)
    scale = 1.0 if math.isnan(factor) else factor
    quoted = (low.patient_pays / scale, high.patient_pays / scale)
    today = (low.patient_pays, high.patient_pays) if in_today else (math.nan, math.nan)
    return {
        "status": low.status,
        "covered": low.covered,
        "rule": low.rule,
        "rule_ids": low.rule_ids,
        "rule_source_ids": low.source_ids,
        "caveats": tuple(dict.fromkeys(caveats)),
        "missing_input": low.missing_input,
        "pays_low_today": today[0],
        "pays_high_today": today[1],
        "pays_low_quoted": quoted[0],
        "pays_high_quoted": quoted[1],
        **_breakdown(high),
    }


def _breakdown(share: costs.OutOfPocket) -> dict[str, float]:
    """The parts of a share (NaN when the share itself is unknown)."""
    names = ("deductible_part", "coinsurance_part", "copay_part", "oop_max_reduction")
    if math.isnan(share.patient_pays):
        return dict.fromkeys(names, math.nan)
    return {name: float(getattr(share, name)) for name in names}


@dataclass(frozen=True)
class SpendPerChange:
    """Spend per changed decision for one provider at one rate: price ÷ rate, with the range
    the rate's interval implies."""

    low: float
    high: float
    ci_low: float
    ci_high: float


def spend_per_change(
    price_low: float, price_high: float, rate: float, interval: tuple[float, float] | None
) -> SpendPerChange:
    """Price range ÷ ``rate`` and the range over the rate's interval (NaN when unknown)."""
    if is_missing(price_low) or not 0 < rate <= 1:
        return SpendPerChange(math.nan, math.nan, math.nan, math.nan)
    low = costs.cost_per_changed_decision(float(price_low), rate, interval)
    high = costs.cost_per_changed_decision(float(price_high), rate, interval)
    return SpendPerChange(low.estimate, high.estimate, low.low, high.high)


def good_faith_estimate(evidence: Evidence) -> costs.Rule | None:
    """The self-pay right to a Good Faith Estimate (No Surprises Act), with its dispute
    threshold in ``amount`` and its source, when the data record it."""
    rules = costs.coverage_rules("self_pay", evidence)
    return rules.get("good_faith_estimate")


def with_spend_per_change(
    table: pd.DataFrame, rate: float | None, interval: tuple[float, float] | None
) -> pd.DataFrame:
    """``table`` (a :func:`provider_table`) with the prices compared across services and the
    spend per changed decision at ``rate``.

    ``compare_low``/``compare_high`` are prices in today's dollars, or as quoted where the
    year of the price is unknown (``compare_basis`` says which), and ``pays_compare_low``/
    ``pays_compare_high`` the patient's share in the same dollars. ``per_change_*`` divide the
    price by the rate (with the range over the rate's interval) and ``pays_per_change_low``
    the patient's share.
    """
    out = table.copy()
    today = out["price_low_today"].notna()
    out["compare_basis"] = ["today" if t else "quoted, year unknown" for t in today]
    out["compare_low"] = out["price_low_today"].where(today, out["price_low_usd"])
    out["compare_high"] = out["price_high_today"].where(today, out["price_high_usd"])
    out["pays_compare_low"] = out["pays_low_today"].where(today, out["pays_low_quoted"])
    out["pays_compare_high"] = out["pays_high_today"].where(today, out["pays_high_quoted"])
    spends = [
        spend_per_change(lo, hi, rate, interval) if rate is not None else None
        for lo, hi in zip(out["compare_low"], out["compare_high"], strict=True)
    ]
    for name in ("low", "high", "ci_low", "ci_high"):
        out[f"per_change_{name}"] = [math.nan if s is None else getattr(s, name) for s in spends]
    out["pays_per_change_low"] = [
        math.nan if rate is None or is_missing(p) or not 0 < rate <= 1 else float(p) / rate
        for p in out["pays_compare_low"]
    ]
    return out
