"""Report parameters: what one report is about, checked against the evidence before any kernel.

A report is defined by a condition group (or "all"), an insurance plan, a year of the Medicare
Part B deductible table, an optional subset of providers, a title and an audience. Every value is
checked here, in the calling process, so that a typo is reported at once with the valid values
instead of surfacing as a traceback inside a notebook.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..costs import PLANS
from ..errors import ParameterError
from ..evidence import Evidence
from ..labels import PLAN_LABELS
from ..schema import read_package

ALL = "all"
AUDIENCES = ("patients", "payers", "researchers")

GROUP_LABELS = {
    ALL: "All conditions",
    "cancer": "Cancer",
    "musculoskeletal": "Musculoskeletal conditions",
    "heart": "Heart disease",
    "internal_medicine": "Internal medicine",
    "neurology": "Neurology",
    "mixed": "Mixed specialties",
}


@dataclass(frozen=True)
class ReportParams:
    """The parameters of one report, as injected into the notebook's ``parameters`` cell.

    ``year`` None means the latest year of the deductible table, ``providers`` None every
    provider with a price, ``title`` None a title made from the condition and plan; use
    :func:`resolve` to fill them in and validate everything.
    """

    condition: str = ALL
    plan: str = "medicare_part_b"
    year: int | None = None
    providers: tuple[str, ...] | None = None
    title: str | None = None
    audience: str = "patients"

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible mapping (providers as a list) for papermill and manifests."""
        out = asdict(self)
        if self.providers is not None:
            out["providers"] = list(self.providers)
        return out

    @property
    def slug(self) -> str:
        """File name stem, e.g. ``cancer-ppo-2026-patients`` (+ a digest for a provider subset)."""
        parts = [self.condition, self.plan, str(self.year or "latest"), self.audience]
        if self.providers is not None:
            digest = hashlib.sha256(json.dumps(sorted(self.providers)).encode()).hexdigest()
            parts.append("p" + digest[:8])
        return "-".join(parts)


def condition_groups(evidence: Evidence) -> tuple[str, ...]:
    """Condition groups present in conditions.csv, in the order the data package declares."""
    present = set(evidence.conditions["group"].dropna())
    declared = read_package(evidence.path).resource("conditions").field("group").enum or ()
    ordered = [g for g in declared if g in present]
    return tuple(ordered + sorted(present - set(ordered)))


def valid_values(evidence: Evidence) -> dict[str, tuple[Any, ...]]:
    """Every valid value of each checked parameter, for validation and ``--help``."""
    priced = evidence.providers[evidence.providers["price_low_usd"].notna()]
    return {
        "condition": (ALL, *condition_groups(evidence)),
        "plan": PLANS,
        "year": tuple(int(y) for y in evidence.part_b_deductible["year"]),
        "providers": tuple(str(p) for p in priced["provider_id"]),
        "audience": AUDIENCES,
    }


def _problem(name: str, value: object, valid: tuple[Any, ...]) -> str:
    shown = ", ".join(map(str, valid)) if valid else "(none in the evidence)"
    return f"unknown {name} {value!r}; valid values: {shown}"


def resolve(params: ReportParams, evidence: Evidence) -> ReportParams:
    """Validate ``params`` against ``evidence`` and fill in the defaults (year, title).

    Raises ParameterError naming every unknown value and listing the valid ones.
    """
    valid = valid_values(evidence)
    problems = [
        _problem(name, getattr(params, name), valid[name])
        for name in ("condition", "plan", "audience")
        if getattr(params, name) not in valid[name]
    ]
    year = params.year
    if year is None:
        year = max(valid["year"]) if valid["year"] else None
    elif isinstance(year, bool) or not isinstance(year, int) or year not in valid["year"]:
        problems.append(_problem("year", year, valid["year"]))
    providers = params.providers
    if providers is not None:
        providers = tuple(dict.fromkeys(str(p) for p in providers))
        unknown = [p for p in providers if p not in valid["providers"]]
        if unknown:
            problems.append(_problem("provider", ", ".join(unknown), valid["providers"]))
        elif not providers:
            problems.append("providers is empty; omit it to include every priced provider")
    if problems:
        raise ParameterError("; ".join(problems) if len(problems) == 1 else "\n".join(problems))
    title = params.title.strip() if params.title and params.title.strip() else None
    if title is None:
        title = default_title(params.condition, params.plan, year)
    return replace(params, year=year, providers=providers, title=title)


def default_title(condition: str, plan: str, year: int | None) -> str:
    """E.g. "Second opinions in cancer: what they change and what they cost (PPO, 2026)"."""
    group = GROUP_LABELS.get(condition, condition.replace("_", " "))
    topic = "" if condition == ALL else f" in {group.lower()}"
    return (
        f"Second opinions{topic}: what they change and what they cost "
        f"({PLAN_LABELS.get(plan, plan)}, {year})"
    )
