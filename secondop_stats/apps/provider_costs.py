"""The numbers behind the providers app: prices in comparable dollars, what a patient pays under
a plan, and the spend per changed diagnosis or treatment.

Prices and their inflation adjustment are computed once; a change of plan or option only re-runs
:func:`secondop_stats.costs.out_of_pocket` for each priced service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import costs
from ..evidence import Evidence
from .html import is_missing
from .rates import RateChoice

#: Modalities that are look-up services (doctor background checks, lists), not opinions.
LOOKUP_KINDS = frozenset({"doctor_check"})
LOOKUP_MODALITIES = frozenset({"online_lookup"})


@dataclass(frozen=True)
class PlanOptions:
    """The cost options a patient chooses; ``remote`` None means "as each service gives it"."""

    plan: str = "self_pay"
    year: int = 2026
    deductible_met: bool = False
    in_network: bool = True
    referral: bool = True
    remote: bool | None = None
    deductible_left_usd: float | None = None
    copay_usd: float = 0.0


def price_table(evidence: Evidence) -> pd.DataFrame:
    """Every provider with its price in the quoted year and in latest-year dollars.

    Adds ``price_low_latest``/``price_high_latest``, ``latest_year``, ``priced`` (a price in
    dollars is known), ``lookup`` (a doctor look-up rather than an opinion) and ``price_caveat``.
    """
    prices = costs.provider_costs("self_pay", evidence=evidence)
    latest = int(prices.attrs["to_year"])
    table = evidence.providers.merge(
        prices[["provider_id", f"price_low_{latest}_usd", f"price_high_{latest}_usd", "note"]],
        on="provider_id",
        how="left",
        validate="one_to_one",
    ).rename(
        columns={
            f"price_low_{latest}_usd": "price_low_latest",
            f"price_high_{latest}_usd": "price_high_latest",
            "note": "price_caveat",
        }
    )
    table["latest_year"] = latest
    table["priced"] = table["price_low_usd"].notna()
    table["lookup"] = table["kind"].isin(LOOKUP_KINDS) | table["modality"].isin(LOOKUP_MODALITIES)
    return table.reset_index(drop=True)


def _remote(record: dict, options: PlanOptions) -> bool:
    if options.remote is not None:
        return options.remote
    return bool(record["remote"]) if not is_missing(record["remote"]) else False


def patient_costs(records: list[dict], options: PlanOptions, evidence: Evidence) -> list[dict]:
    """What the patient pays for each priced service under ``options``: low and high ends of
    the price range, whether the plan covers it, the rule applied and its source."""
    deductible_left = None if options.deductible_met else options.deductible_left_usd
    out = []
    for record in records:
        if not record["priced"]:
            out.append(
                {
                    "provider_id": record["provider_id"],
                    "covered": None,
                    "rule": "",
                    "rule_source_id": "",
                    "oop_low": math.nan,
                    "oop_high": math.nan,
                    "caveats": (),
                }
            )
            continue
        kwargs = dict(
            year=options.year,
            deductible_met=options.deductible_met,
            in_network=options.in_network,
            remote=_remote(record, options),
            referral=options.referral,
            deductible_remaining_usd=deductible_left,
            copay_usd=options.copay_usd,
            evidence=evidence,
        )
        low = costs.out_of_pocket(float(record["price_low_usd"]), options.plan, **kwargs)
        high = costs.out_of_pocket(float(record["price_high_usd"]), options.plan, **kwargs)
        out.append(
            {
                "provider_id": record["provider_id"],
                "covered": low.covered,
                "rule": low.rule,
                "rule_source_id": low.source_id,
                "rule_source_ids": low.source_ids,
                "oop_low": low.patient_pays,
                "oop_high": high.patient_pays,
                "caveats": low.caveats,
            }
        )
    return out


def per_change(amount: float, choice: RateChoice | None) -> tuple[float, float, float]:
    """``amount`` spent per changed decision at the chosen rate: (estimate, low, high)."""
    if choice is None or is_missing(amount) or not math.isfinite(amount) or choice.rate <= 0:
        return (math.nan, math.nan, math.nan)
    result = costs.cost_per_changed_decision(float(amount), choice.rate, choice.interval)
    return (result.estimate, result.low, result.high)


def _basis(record: dict) -> tuple[float, float, str]:
    """The price to compare services by: in latest-year dollars, or as quoted when the year of
    the price is unknown (and so cannot be adjusted)."""
    if not is_missing(record["price_low_latest"]):
        return record["price_low_latest"], record["price_high_latest"], "latest"
    if not is_missing(record["price_low_usd"]):
        return record["price_low_usd"], record["price_high_usd"], "quoted, year unknown"
    return math.nan, math.nan, ""


def cost_frame(prices: list[dict], patient: list[dict], choice: RateChoice | None) -> pd.DataFrame:
    """One row per service: prices, what the patient pays, and spend per changed decision
    (the comparable price and the patient's share, each divided by the rate).

    ``price_low``/``price_high`` are the comparable prices (``price_basis`` says whether they
    are in latest-year dollars or as quoted, where the year is unknown)."""
    rows = []
    for record, pays in zip(prices, patient, strict=True):
        low, high, basis = _basis(record)
        est_low, ci_low, _ = per_change(low, choice)
        est_high, _, ci_high = per_change(high, choice)
        oop_low, _, _ = per_change(pays["oop_low"], choice)
        oop_high, _, _ = per_change(pays["oop_high"], choice)
        rows.append(
            {
                **{
                    k: record[k]
                    for k in (
                        "provider_id",
                        "name",
                        "program",
                        "kind",
                        "modality",
                        "remote",
                        "price_low_usd",
                        "price_high_usd",
                        "price_year",
                        "price_low_latest",
                        "price_high_latest",
                        "latest_year",
                        "turnaround_days_low",
                        "turnaround_days_high",
                        "eligibility",
                        "insurance_note",
                        "source_id",
                    )
                },
                "price_low": low,
                "price_high": high,
                "price_basis": basis,
                **{k: v for k, v in pays.items() if k != "provider_id"},
                "per_change_low": est_low,
                "per_change_high": est_high,
                "per_change_ci_low": ci_low,
                "per_change_ci_high": ci_high,
                "oop_per_change_low": oop_low,
                "oop_per_change_high": oop_high,
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.sort_values(["price_low", "name"], na_position="last", kind="stable")
    return frame.reset_index(drop=True)


def finite(values: pd.Series) -> np.ndarray:
    """Values as floats with NaN for missing (for plotting)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
