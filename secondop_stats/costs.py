"""Prices in comparable dollars, and what a patient pays under each kind of insurance.

Every rule comes from the ``coverage`` table (one primary rule per plan and aspect, each with
its source), the Medicare Part B deductibles and CPI-U from ``evidence/``; nothing here hard-codes
a coverage rule, a deductible or an index value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ParameterError
from .evidence import Evidence, load_evidence

PLANS = (
    "medicare_part_b",
    "medicare_advantage",
    "medicare_pffs",
    "medicaid",
    "hmo",
    "ppo",
    "indemnity",
    "self_pay",
)
NOT_COVERED = frozenset({"no", "usually_not"})
# Remote opinions given from records alone, without the patient being seen (video visits see them).
RECORDS_ONLY_MODALITIES = frozenset(
    {"records_review", "physician_to_physician", "pathology_review"}
)
REQUIRED = frozenset({"yes", "usually"})


def _ev(evidence: Evidence | None) -> Evidence:
    return evidence if evidence is not None else load_evidence()


def _choose(name: str, value: object, valid: list | tuple) -> None:
    if value not in valid:
        shown = ", ".join(map(str, valid))
        raise ParameterError(f"unknown {name} {value!r}; valid values: {shown}")


# --- inflation -----------------------------------------------------------------------------


def cpi_years(evidence: Evidence | None = None) -> tuple[int, int]:
    """First and last year of the CPI-U series."""
    years = _ev(evidence).cpi_u["year"]
    return int(years.min()), int(years.max())


def inflate(
    amount_usd: float | np.ndarray | pd.Series,
    from_year: int,
    to_year: int | None = None,
    *,
    evidence: Evidence | None = None,
) -> float | np.ndarray | pd.Series:
    """Convert dollars of ``from_year`` to dollars of ``to_year`` with CPI-U annual averages.

    ``to_year`` defaults to the latest year in the data. A year outside the series is an
    error naming the range.
    """
    ev = _ev(evidence)
    cpi = dict(zip(ev.cpi_u["year"].astype(int), ev.cpi_u["cpi_u"], strict=True))
    first, last = min(cpi), max(cpi)
    to_year = last if to_year is None else to_year
    for label, year in (("from_year", from_year), ("to_year", to_year)):
        if year not in cpi:
            raise ParameterError(
                f"{label} {year} is outside the CPI-U data ({first}-{last}, evidence/cpi_u.csv)"
            )
    return amount_usd * (cpi[to_year] / cpi[from_year])


# --- coverage rules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One primary coverage rule: the value for a plan and aspect, and where it is stated."""

    rule_id: str
    value: str
    amount: float | None
    source_id: str
    quote: str


def coverage_rules(plan: str, evidence: Evidence | None = None) -> dict[str, Rule]:
    """The primary rule for each aspect of ``plan``."""
    _choose("plan", plan, PLANS)
    cov = _ev(evidence).coverage
    rows = cov[(cov["plan"] == plan) & cov["primary"]]
    return {
        r.aspect: Rule(
            r.rule_id, r.value, None if pd.isna(r.amount) else float(r.amount), r.source_id, r.quote
        )
        for r in rows.itertuples()
    }


@dataclass(frozen=True)
class OutOfPocket:
    """What the patient pays for one opinion, and why."""

    plan: str
    year: int
    price_usd: float
    patient_pays: float
    insurer_pays: float
    covered: bool | None
    rule: str
    source_id: str
    rule_ids: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    caveats: tuple[str, ...] = field(default=())


def part_b_deductible(year: int, evidence: Evidence | None = None) -> float:
    """The Medicare Part B annual deductible for ``year``."""
    table = _ev(evidence).part_b_deductible
    years = [int(y) for y in table["year"]]
    _choose("year", year, years)
    return float(table.loc[table["year"] == year, "amount_usd"].iloc[0])


def out_of_pocket(
    price_usd: float,
    plan: str,
    *,
    year: int,
    deductible_met: bool = False,
    in_network: bool = True,
    remote: bool = False,
    referral: bool = True,
    opinion: int = 2,
    first_two_differ: bool = True,
    deductible_remaining_usd: float | None = None,
    copay_usd: float = 0.0,
    evidence: Evidence | None = None,
) -> OutOfPocket:
    """What a patient pays for a second (or third) opinion costing ``price_usd`` under ``plan``.

    ``price_usd`` is the amount the plan recognises (for Medicare, the approved amount). The
    rules applied, in order: coverage of the opinion, remote records-only opinions, network,
    referral, then the plan's cost sharing. Example: medicare_part_b in 2026, deductible not met,
    $500: $283 + 20 % of $217 = $326.40.
    """
    ev = _ev(evidence)
    _choose("plan", plan, PLANS)
    years = [int(y) for y in ev.part_b_deductible["year"]]
    _choose("year", year, years)
    _choose("opinion", opinion, (2, 3))
    if not (isinstance(price_usd, int | float) and math.isfinite(price_usd) and price_usd >= 0):
        raise ParameterError(f"price_usd must be a non-negative number, not {price_usd!r}")
    rules = coverage_rules(plan, ev)
    used: list[Rule] = []
    caveats: list[str] = []

    def result(patient: float, covered: bool | None, text: str) -> OutOfPocket:
        insurer = math.nan if math.isnan(patient) else price_usd - patient
        ids = tuple(dict.fromkeys(r.rule_id for r in used))
        srcs = tuple(dict.fromkeys(r.source_id for r in used))
        return OutOfPocket(
            plan,
            year,
            float(price_usd),
            float(patient),
            float(insurer),
            covered,
            text,
            srcs[-1] if srcs else "",
            ids,
            srcs,
            tuple(caveats),
        )

    def refuse(rule: Rule, text: str) -> OutOfPocket:
        used.append(rule)
        return result(float(price_usd), False, text)

    covered = rules.get("second_opinion_covered")
    if covered is not None:
        used.append(covered)
        if covered.value in NOT_COVERED:
            return refuse(covered, "second opinions are not covered under this plan")
        if covered.value not in REQUIRED:
            caveats.append(f"coverage {covered.value.replace('_', ' ')} under this plan")
    if opinion == 3:
        third = rules.get("third_opinion_if_differ")
        if third is None or third.value in NOT_COVERED:
            return result(
                float(price_usd),
                False if third else None,
                "no rule says a third opinion is covered under this plan",
            )
        if not first_two_differ:
            return refuse(third, "a third opinion is covered only if the first two differ")
        used.append(third)
        if third.value not in REQUIRED:
            caveats.append(f"third opinion covered: {third.value.replace('_', ' ')}")
    rem = rules.get("remote_records_only_covered")
    if remote and rem is not None and rem.value in NOT_COVERED:
        return refuse(rem, "remote records-only opinions are usually not covered")
    if not in_network:
        oon = rules.get("out_of_network_covered")
        net = rules.get("in_network_required")
        if oon is not None and oon.value in NOT_COVERED:
            return refuse(oon, "out-of-network opinions are usually not covered")
        if oon is None and net is not None and net.value in REQUIRED:
            return refuse(net, "the plan requires an in-network doctor")
        if oon is not None:
            used.append(oon)
            caveats.append("out of network: the plan's higher cost share applies")
    ref = rules.get("referral_required")
    if not referral and ref is not None and ref.value in REQUIRED:
        return refuse(ref, "the plan requires a referral (or prior authorisation) first")

    sharing = rules.get("cost_sharing")
    if sharing is None:
        return result(math.nan, None, "no cost-sharing rule recorded for this plan")
    used.append(sharing)
    if sharing.value == "full_price":
        return result(float(price_usd), False, "the patient pays the full price")
    if sharing.value == "no_cost":
        return result(0.0, True, "covered at no cost to the patient")
    if sharing.value == "copay":
        caveats.append("copay amount set by the plan (pass copay_usd)")
        return result(
            min(copay_usd, price_usd), True, f"covered; patient pays a copay (${copay_usd:,.2f})"
        )
    if sharing.value == "deductible_then_coinsurance":
        coins = rules.get("coinsurance_pct")
        if coins is None or coins.amount is None:
            return result(math.nan, True, "coinsurance not recorded for this plan")
        used.append(coins)
        if deductible_met:
            deductible = 0.0
        elif deductible_remaining_usd is not None:
            deductible = float(deductible_remaining_usd)
        elif plan == "medicare_part_b":
            deductible = part_b_deductible(year, ev)
        else:
            return result(
                math.nan,
                True,
                "the deductible is set by the plan: pass deductible_remaining_usd, "
                "or deductible_met=True",
            )
        paid_to_deductible = min(price_usd, deductible)
        patient = paid_to_deductible + coins.amount / 100 * (price_usd - paid_to_deductible)
        text = (
            f"deductible ${paid_to_deductible:,.2f} + {coins.amount:g}% of "
            f"${price_usd - paid_to_deductible:,.2f}"
        )
        return result(round(patient, 2), True, text)
    caveats.append("cost share set by the plan")
    return result(math.nan, True, "covered with a plan-specific cost share")


# --- spend per changed decision ------------------------------------------------------------


@dataclass(frozen=True)
class CostPerChange:
    """Expected spend per changed diagnosis or treatment: price / rate, with an interval."""

    estimate: float
    low: float
    high: float


def cost_per_changed_decision(
    price_usd: float, rate: float, rate_interval: tuple[float, float] | None = None
) -> CostPerChange:
    """Spend per changed decision when each opinion costs ``price_usd`` and changes one with
    probability ``rate`` (a proportion in (0, 1]). The interval maps the rate's interval
    (high rate → low cost); a rate interval reaching 0 gives an infinite upper bound."""
    if not (0 < rate <= 1):
        raise ParameterError(f"rate must be a proportion in (0, 1], not {rate!r}")
    if price_usd < 0:
        raise ParameterError(f"price_usd must be non-negative, not {price_usd!r}")
    if rate_interval is None:
        return CostPerChange(price_usd / rate, math.nan, math.nan)
    lo, hi = rate_interval
    if not (0 <= lo <= rate <= hi <= 1):
        raise ParameterError(
            f"rate_interval {rate_interval!r} must satisfy 0 <= low <= rate <= high <= 1"
        )
    return CostPerChange(price_usd / rate, price_usd / hi, math.inf if lo == 0 else price_usd / lo)


# --- providers side by side ----------------------------------------------------------------


def is_records_only(remote: object, modality: object) -> bool:
    """Whether a provider's opinion is remote and given from records alone (not a video visit)."""
    return (not pd.isna(remote)) and bool(remote) and modality in RECORDS_ONLY_MODALITIES


def provider_costs(
    plan: str = "self_pay",
    year: int | None = None,
    *,
    deductible_met: bool = False,
    in_network: bool = True,
    referral: bool = True,
    to_year: int | None = None,
    evidence: Evidence | None = None,
) -> pd.DataFrame:
    """Every provider with its price in the quoted year and in ``to_year`` dollars, and what a
    patient would pay under ``plan`` in ``year`` (NaN with a reason where the price is unknown)."""
    ev = _ev(evidence)
    first, last = cpi_years(ev)
    to_year = last if to_year is None else to_year
    if year is None:
        year = int(ev.part_b_deductible["year"].max())
    _choose("plan", plan, PLANS)
    rows = []
    for p in ev.providers.itertuples():
        low, high = p.price_low_usd, p.price_high_usd
        py = None if pd.isna(p.price_year) else int(p.price_year)
        reason = ""
        if pd.isna(low):
            adj_low = adj_high = math.nan
            reason = "price not known"
        elif low == 0 and high == 0:
            adj_low = adj_high = 0.0  # free in any year's dollars
        elif py is None:
            adj_low = adj_high = math.nan
            reason = "year of the price not known: cannot adjust for inflation"
        else:
            base = min(max(py, first), last)
            factor = float(inflate(1.0, base, to_year, evidence=ev))
            adj_low, adj_high = low * factor, high * factor
            if base != py:
                reason = f"price year {py} outside CPI-U data; adjusted from {base}"
        oop_low = oop_high = math.nan
        oop_rule = ""
        if not pd.isna(low):
            remote = is_records_only(p.remote, p.modality)
            kw = dict(
                year=year,
                deductible_met=deductible_met,
                in_network=in_network,
                remote=remote,
                referral=referral,
                evidence=ev,
            )
            lo_res = out_of_pocket(float(low), plan, **kw)
            hi_res = out_of_pocket(float(high), plan, **kw)
            oop_low, oop_high, oop_rule = lo_res.patient_pays, hi_res.patient_pays, lo_res.rule
        rows.append(
            {
                "provider_id": p.provider_id,
                "name": p.name,
                "program": p.program,
                "kind": p.kind,
                "modality": p.modality,
                "remote": p.remote,
                "price_low_usd": low,
                "price_high_usd": high,
                "price_year": py,
                f"price_low_{to_year}_usd": adj_low,
                f"price_high_{to_year}_usd": adj_high,
                "turnaround_days_low": p.turnaround_days_low,
                "turnaround_days_high": p.turnaround_days_high,
                "out_of_pocket_low_usd": oop_low,
                "out_of_pocket_high_usd": oop_high,
                "out_of_pocket_rule": oop_rule,
                "note": reason,
                "source_id": p.source_id,
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs.update(plan=plan, year=year, to_year=to_year)
    return frame
