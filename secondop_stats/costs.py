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
    amount = _checked_amounts("amount_usd", amount_usd)
    ev = _ev(evidence)
    cpi = dict(zip(ev.cpi_u["year"].astype(int), ev.cpi_u["cpi_u"], strict=True))
    first, last = min(cpi), max(cpi)
    to_year = last if to_year is None else to_year
    for label, year in (("from_year", from_year), ("to_year", to_year)):
        if isinstance(year, bool) or not isinstance(year, int | np.integer):
            raise ParameterError(f"{label} must be a whole year, not {year!r}")
        if year not in cpi:
            raise ParameterError(
                f"{label} {year} is outside the CPI-U data ({first}-{last}, evidence/cpi_u.csv)"
            )
    return amount * (cpi[to_year] / cpi[from_year])


def _checked_amounts(
    name: str, value: object
) -> float | np.ndarray | pd.Series:
    """A dollar amount (see :func:`checked_amount`), or an array or Series of them, each
    finite and not negative; anything else is refused naming ``name``."""
    if isinstance(value, np.ndarray | pd.Series):
        if value.dtype == bool or not np.issubdtype(value.dtype, np.number):
            raise ParameterError(f"{name} must hold numbers of dollars, not {value.dtype}")
        numbers = np.asarray(value, dtype=float)
        if not np.isfinite(numbers).all():
            raise ParameterError(f"{name} must hold finite numbers (no NaN or infinity)")
        if (numbers < 0).any():
            raise ParameterError(f"{name} must not hold negative amounts")
        return value
    checked = checked_amount(name, value)
    assert checked is not None
    return checked


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


#: How a service is paid for (``providers.payment``). A plan's rules apply only to what the plan
#: would be billed for: billable consultations, and records-only reviews where a plan pays them.
PAYMENT_KINDS: dict[str, str] = {
    "billable_visit": "consultation in person or by video, billed to insurance like any "
    "specialist visit",
    "records_review": "remote review of the records without seeing the patient; most plans "
    "do not pay for it",
    "cash_service": "direct-to-consumer service paid by the patient; it does not bill insurance",
    "member_benefit": "free to members of an employer or health plan that offers it; not "
    "available otherwise",
    "free_service": "given free of charge",
    "lookup": "look-up service about doctors, not a medical opinion: its plain price",
}

#: What an estimate says about coverage.
STATUSES = (
    "covered",
    "not_covered",
    "not_billed",
    "member_benefit",
    "free",
    "lookup",
    "unknown",
)
#: Plans without a network or a cost-sharing cap of their own in the data.
NO_OOP_MAX = frozenset({"medicare_part_b", "self_pay"})


@dataclass(frozen=True)
class OutOfPocket:
    """What the patient pays for one opinion, how it breaks down, and why.

    ``patient_pays`` is NaN when it cannot be estimated; ``missing_input`` then names the input
    that would settle it (``copay_usd``, ``coinsurance_pct``, ``deductible_remaining_usd``) or
    is empty when no input can (a rule the plan decides case by case). The parts
    (``deductible_part + coinsurance_part + copay_part - oop_max_reduction``) add up to
    ``patient_pays`` whenever the plan shares the cost.
    """

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
    status: str = "unknown"
    payment: str = "billable_visit"
    deductible_part: float = 0.0
    coinsurance_part: float = 0.0
    copay_part: float = 0.0
    oop_max_reduction: float = 0.0
    missing_input: str = ""


def part_b_deductible(year: int, evidence: Evidence | None = None) -> float:
    """The Medicare Part B annual deductible for ``year``."""
    table = _ev(evidence).part_b_deductible
    years = [int(y) for y in table["year"]]
    _choose("year", year, years)
    return float(table.loc[table["year"] == year, "amount_usd"].iloc[0])


def checked_amount(
    name: str, value: object, *, allow_none: bool = False, upper: float | None = None
) -> float | None:
    """``value`` as a finite, non-negative float; a boolean, NaN, infinity, a negative number or
    anything else is refused with a :class:`ParameterError` naming ``name``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParameterError(f"{name} must be a number of dollars, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ParameterError(f"{name} must be a finite number, not {value!r}")
    if number < 0:
        raise ParameterError(f"{name} must not be negative, not {value!r}")
    if upper is not None and number > upper:
        raise ParameterError(f"{name} {number:g} is more than {upper:g}")
    return number


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name} must be True or False, not {value!r}")
    return bool(value)


def out_of_pocket(
    price_usd: float,
    plan: str,
    *,
    year: int,
    payment: str = "billable_visit",
    deductible_met: bool = False,
    deductible_remaining_usd: float | None = None,
    coinsurance_pct: float | None = None,
    copay_usd: float | None = None,
    oop_max_remaining_usd: float | None = None,
    in_network: bool = True,
    referral: bool = True,
    opinion: int = 2,
    first_two_differ: bool = True,
    evidence: Evidence | None = None,
) -> OutOfPocket:
    """Estimate what a patient pays for a second (or third) opinion costing ``price_usd``.

    ``payment`` says how the service is paid for (:data:`PAYMENT_KINDS`): the plan's rules
    apply only to billable consultations and to records-only reviews; a cash service is paid in
    full, a member benefit or a free service costs nothing, a look-up service costs its plain
    price. For billable care the rules apply in order: coverage, third opinions, records-only
    reviews, network, referral, then the plan's cost sharing with its deductible, coinsurance and
    copay, capped by what is left of the out-of-pocket maximum. Copay and coinsurance that the
    sources leave to each plan are inputs: when they are not given the estimate is unknown,
    never zero. Example: Medicare Part B in 2026, deductible not met, $500: $283 + 20 % of $217
    = $326.40.
    """
    ev = _ev(evidence)
    _choose("plan", plan, PLANS)
    years = [int(y) for y in ev.part_b_deductible["year"]]
    _choose("year", year, years)
    _choose("opinion", opinion, (2, 3))
    _choose("payment", payment, tuple(PAYMENT_KINDS))
    price = checked_amount("price_usd", price_usd)
    assert price is not None
    deductible_met = _flag("deductible_met", deductible_met)
    in_network = _flag("in_network", in_network)
    referral = _flag("referral", referral)
    first_two_differ = _flag("first_two_differ", first_two_differ)
    upper = part_b_deductible(year, ev) if plan == "medicare_part_b" else None
    remaining = checked_amount(
        "deductible_remaining_usd", deductible_remaining_usd, allow_none=True, upper=upper
    )
    coins_in = checked_amount("coinsurance_pct", coinsurance_pct, allow_none=True, upper=100)
    copay = checked_amount("copay_usd", copay_usd, allow_none=True)
    oop_max = checked_amount("oop_max_remaining_usd", oop_max_remaining_usd, allow_none=True)

    rules = coverage_rules(plan, ev)
    used: list[Rule] = []
    caveats: list[str] = []
    parts = {"deductible_part": 0.0, "coinsurance_part": 0.0, "copay_part": 0.0}

    def result(
        patient: float,
        covered: bool | None,
        text: str,
        status: str,
        missing_input: str = "",
        reduction: float = 0.0,
    ) -> OutOfPocket:
        insurer = math.nan if math.isnan(patient) else price - patient
        ids = tuple(dict.fromkeys(r.rule_id for r in used))
        srcs = tuple(dict.fromkeys(r.source_id for r in used))
        return OutOfPocket(
            plan,
            year,
            price,
            float(patient),
            float(insurer),
            covered,
            text,
            srcs[-1] if srcs else "",
            ids,
            srcs,
            tuple(caveats),
            status,
            payment,
            missing_input=missing_input,
            oop_max_reduction=reduction,
            **parts,
        )

    def refuse(rule: Rule, text: str) -> OutOfPocket:
        used.append(rule)
        return result(price, False, text, "not_covered")

    def unknown(text: str, missing_input: str = "") -> OutOfPocket:
        return result(math.nan, None, text, "unknown", missing_input)

    if payment == "lookup":
        return result(
            price, None, "a look-up service, not a medical opinion: its plain price", "lookup"
        )
    if payment == "free_service":
        return result(0.0, None, "given free of charge", "free")
    if payment == "member_benefit":
        caveats.append("only for members of an employer or plan that offers it")
        return result(
            0.0, None, "free to members of an employer or plan that offers it", "member_benefit"
        )
    if payment == "cash_service":
        return result(
            price,
            False,
            "paid directly to the service, which does not bill insurance",
            "not_billed",
        )

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
                price,
                False if third else None,
                "no rule says a third opinion is covered under this plan",
                "not_covered" if third else "unknown",
            )
        if not first_two_differ:
            return refuse(third, "a third opinion is covered only if the first two differ")
        used.append(third)
        if third.value not in REQUIRED:
            caveats.append(f"third opinion covered: {third.value.replace('_', ' ')}")
    if payment == "records_review":
        rem = rules.get("remote_records_only_covered")
        if rem is not None and rem.value in NOT_COVERED:
            return refuse(rem, "remote records-only opinions are usually not covered")
        if rem is not None:
            used.append(rem)
            caveats.append(f"records-only review covered: {rem.value.replace('_', ' ')}")
        # A national online service is not in a managed-care plan's local network.
        in_network = False
    if not in_network:
        oon = rules.get("out_of_network_covered")
        net = rules.get("in_network_required")
        if oon is not None and oon.value in NOT_COVERED:
            return refuse(oon, "out-of-network opinions are usually not covered")
        if oon is None and net is not None and net.value in REQUIRED:
            return refuse(net, "the plan requires an in-network doctor")
        if oon is not None and oon.value not in REQUIRED:
            used.append(oon)
            return unknown("out of network: covered only if the plan agrees in advance")
        if oon is not None:
            used.append(oon)
            caveats.append("out of network: the plan's higher cost share applies")
    ref = rules.get("referral_required")
    if not referral and ref is not None and ref.value in REQUIRED:
        return refuse(ref, "the plan requires a referral (or prior authorisation) first")

    sharing = rules.get("cost_sharing")
    if sharing is None:
        return unknown("no cost-sharing rule recorded for this plan")
    used.append(sharing)
    value = sharing.value
    if value == "full_price":
        return result(price, False, "the patient pays the full price", "not_covered")
    if value == "no_cost":
        return result(0.0, True, "covered at no cost to the patient", "covered")
    if value == "plan_specific":
        if copay is not None:
            value = "copay"
        elif coins_in is not None:
            value = "deductible_then_coinsurance"
        else:
            return unknown(
                "each plan of this kind sets its own cost share and no source gives an "
                "amount: enter your plan's copay or coinsurance",
                "copay_usd",
            )
    if value == "copay":
        if copay is None:
            return unknown("covered with a copay the plan sets: enter your copay", "copay_usd")
        parts["copay_part"] = min(copay, price)
        patient = parts["copay_part"]
        text = f"covered; copay ${copay:,.2f}"
    elif value == "deductible_then_coinsurance":
        coins = rules.get("coinsurance_pct")
        if coins is not None and coins.amount is not None:
            used.append(coins)
        pct = coins.amount if coins is not None and coins.amount is not None else None
        if coins_in is not None and plan != "medicare_part_b":
            pct = coins_in
        if pct is None:
            return unknown(
                "covered with coinsurance the plan sets: enter your coinsurance", "coinsurance_pct"
            )
        if deductible_met:
            deductible = 0.0
        elif remaining is not None:
            deductible = remaining
        elif plan == "medicare_part_b":
            deductible = part_b_deductible(year, ev)
        else:
            return unknown(
                "the deductible is set by the plan: enter what is left of it, or tick "
                "'deductible already met'",
                "deductible_remaining_usd",
            )
        parts["deductible_part"] = min(price, deductible)
        parts["coinsurance_part"] = round(pct / 100 * (price - parts["deductible_part"]), 2)
        patient = parts["deductible_part"] + parts["coinsurance_part"]
        text = (
            f"deductible ${parts['deductible_part']:,.2f} + {pct:g}% of "
            f"${price - parts['deductible_part']:,.2f}"
        )
    else:
        return unknown(f"cost share '{value}' is not one the estimate knows")
    reduction = 0.0
    if oop_max is not None:
        if plan in NO_OOP_MAX:
            caveats.append("no out-of-pocket maximum is recorded for this plan")
        elif patient > oop_max:
            reduction = patient - oop_max
            patient = oop_max
            text += f", capped at the ${oop_max:,.2f} left of the out-of-pocket maximum"
    return result(min(round(patient, 2), price), True, text, "covered", reduction=reduction)


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
    price = checked_amount("price_usd", price_usd)
    assert price is not None
    rate = _proportion("rate", rate)
    if not rate > 0:
        raise ParameterError(f"rate must be a proportion in (0, 1], not {rate!r}")
    if rate_interval is None:
        return CostPerChange(price / rate, math.nan, math.nan)
    if not isinstance(rate_interval, tuple | list) or len(rate_interval) != 2:
        raise ParameterError(f"rate_interval must be a (low, high) pair, not {rate_interval!r}")
    lo = _proportion("rate_interval low", rate_interval[0])
    hi = _proportion("rate_interval high", rate_interval[1])
    if not (0 <= lo <= rate <= hi <= 1):
        raise ParameterError(
            f"rate_interval {rate_interval!r} must satisfy 0 <= low <= rate <= high <= 1"
        )
    return CostPerChange(price / rate, price / hi, math.inf if lo == 0 else price / lo)


def _proportion(name: str, value: object) -> float:
    """``value`` as a proportion in [0, 1]; booleans, text, NaN and the rest are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ParameterError(f"{name} must be a proportion between 0 and 1, not {value!r}")
    number = float(value)
    if not (0 <= number <= 1):
        raise ParameterError(f"{name} must be a proportion between 0 and 1, not {value!r}")
    return number
