"""How far to trust a pooled rate: a GRADE-style certainty rating with its reasons.

Proportions estimated from consecutive case series are the right design for the question
"how often does this happen?", so, as GRADE does for estimates of prognosis and frequency
(Iorio et al. 2015, BMJ 350:h870), a rating starts at **high** and moves down one level, or
two, for each concern:

- **risk of bias**: the share of the pooled cases that comes from studies at high risk
  (two or more of the protocol's four risk-of-bias items rated high);
- **inconsistency**: I² of 50 % or more, and the width of the prediction interval (with I²
  under 50 % a wide prediction interval comes from having few studies, which is imprecision);
- **imprecision**: the width of the confidence interval, the number of cases, and a wide
  prediction interval from few studies;
- **indirectness**: mixed designs, or changes that were only judged possible ("potential")
  rather than recommended or made;
- **publication bias**: Egger's test, assessed only with 10 or more studies.

A single study is never rated above **low**: one series, however large, says nothing of how
much the rate varies between places.

Every threshold is in :data:`THRESHOLDS`, the one place to read or change them; each downgrade
states its reason in words a reader can check against the numbers shown beside it. The rules a
lay reader relies on also live here: when a pooled rate is shown at all
(:func:`rate_withheld`), how a rate is said ("13 in 100", :func:`natural_frequency`), the
rating's GRADE symbols (:data:`SYMBOLS`) and its main reason in one plain clause
(:func:`main_reason`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LEVELS = ("very low", "low", "moderate", "high")

#: The rules, in one place. Proportions are on the 0-1 scale.
THRESHOLDS: dict[str, float] = {
    # risk of bias: share of pooled cases from studies at high overall risk
    "rob_serious": 0.25,
    "rob_very_serious": 0.50,
    # a study is at high overall risk when this many of its four items are high
    "rob_items_high": 2,
    # inconsistency
    "i2_serious": 50.0,
    "i2_very_serious": 75.0,
    "pi_width_serious": 0.30,
    "pi_width_very_serious": 0.50,
    # imprecision: width of the 95 % confidence interval, and total cases
    "ci_width_serious": 0.15,
    "ci_width_very_serious": 0.30,
    "cases_serious": 400,
    # indirectness: share of cases whose change was only judged possible
    "potential_serious": 0.50,
    # publication bias
    "egger_min_k": 10,
    "egger_p": 0.10,
    # the highest rating one study can have (an index into LEVELS: 1 is "low")
    "single_study_max_level": 1,
    # a pooled rate is shown only with this many studies and an interval this narrow
    "min_studies_for_rate": 3,
    "max_ci_width_for_rate": 0.50,
}

#: GRADE's symbols for each rating, as summary-of-findings tables print them.
SYMBOLS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very low": "⊕◯◯◯"}
#: What each rating means, in GRADE's plain wording.
MEANINGS = {
    "high": "further research is very unlikely to change this number",
    "moderate": "further research may change this number",
    "low": "further research is likely to change this number",
    "very low": "this number is very uncertain",
}


@dataclass(frozen=True)
class Downgrade:
    """One concern: the GRADE domain, how many levels it costs, and why."""

    domain: str
    levels: int
    reason: str


@dataclass(frozen=True)
class Certainty:
    """The rating, the concerns that lowered it, and what could not be assessed."""

    rating: str
    downgrades: tuple[Downgrade, ...] = ()
    not_assessed: tuple[str, ...] = field(default=())

    @property
    def reasons(self) -> str:
        """The downgrades in a few words each, joined: "" when none."""
        return "; ".join(d.reason for d in self.downgrades)


@dataclass(frozen=True)
class StudyFacts:
    """What the rating needs to know of one pooled study."""

    cases: float
    rob_items: Sequence[str] = ()
    design: str = ""
    change_basis: str = ""


def high_risk(rob_items: Sequence[str]) -> bool:
    """Whether a study is at high overall risk of bias (enough items rated high)."""
    return sum(1 for item in rob_items if item == "high") >= THRESHOLDS["rob_items_high"]


def rate(
    pooled: Mapping[str, float],
    studies: Sequence[StudyFacts],
    *,
    egger_p: float | None = None,
) -> Certainty:
    """Rate a pooled proportion. ``pooled`` has estimate, ci_low, ci_high, pi_low, pi_high,
    i2 and k; ``studies`` the pooled studies; ``egger_p`` Egger's p-value when k >= 10."""
    t = THRESHOLDS
    downs: list[Downgrade] = []
    missing: list[str] = []
    k = int(pooled.get("k") or len(studies))
    total = sum(s.cases for s in studies) or math.nan

    # risk of bias
    risky = sum(s.cases for s in studies if high_risk(s.rob_items))
    share = risky / total if total == total else 0.0
    if share > t["rob_very_serious"]:
        downs.append(
            Downgrade(
                "risk of bias",
                2,
                f"{share:.0%} of the cases come from studies at high risk of bias",
            )
        )
    elif share > t["rob_serious"]:
        downs.append(
            Downgrade(
                "risk of bias",
                1,
                f"{share:.0%} of the cases come from studies at high risk of bias",
            )
        )

    # inconsistency: only where the studies really differ (I² of 50 % or more)
    i2 = pooled.get("i2", math.nan)
    pi_low, pi_high = pooled.get("pi_low", math.nan), pooled.get("pi_high", math.nan)
    pi_width = pi_high - pi_low
    few_studies_wide_pi = False
    if k < 2:
        missing.append("inconsistency (a single study)")
    elif i2 >= t["i2_serious"]:
        very = i2 >= t["i2_very_serious"] and pi_width > t["pi_width_very_serious"]
        differ = "differ widely" if very else "differ"
        downs.append(
            Downgrade(
                "inconsistency",
                2 if very else 1,
                f"the studies' results {differ} (I² {_pct(i2)}; in a new setting anywhere "
                f"from {natural_range(pi_low, pi_high)})",
            )
        )
    elif pi_width > t["pi_width_serious"]:
        few_studies_wide_pi = True

    # imprecision
    ci_width = pooled.get("ci_high", math.nan) - pooled.get("ci_low", math.nan)
    if ci_width > t["ci_width_very_serious"]:
        downs.append(
            Downgrade(
                "imprecision",
                2,
                f"the confidence interval is wide ({100 * ci_width:.0f} percentage points)",
            )
        )
    elif (
        ci_width > t["ci_width_serious"]
        or (total == total and total < t["cases_serious"])
        or few_studies_wide_pi
    ):
        if ci_width > t["ci_width_serious"]:
            what = f"the confidence interval spans {100 * ci_width:.0f} percentage points"
        elif total == total and total < t["cases_serious"]:
            what = f"only {int(total):,} cases"
        else:
            what = (
                f"only {k} studies, so the range in a new setting is wide "
                f"({natural_range(pi_low, pi_high)})"
            )
        downs.append(Downgrade("imprecision", 1, what))

    # indirectness
    designs = {s.design for s in studies if s.design}
    potential = sum(s.cases for s in studies if s.change_basis == "potential")
    potential_share = potential / total if total == total else 0.0
    concerns = []
    if len(designs) > 1:
        concerns.append(f"it mixes {len(designs)} kinds of second opinion")
    if potential_share > t["potential_serious"]:
        concerns.append(f"{potential_share:.0%} of the cases count changes judged only possible")
    if concerns:
        downs.append(Downgrade("indirectness", 1, " and ".join(concerns)))

    # publication bias
    if k < t["egger_min_k"]:
        missing.append(f"publication bias (fewer than {int(t['egger_min_k'])} studies)")
    elif egger_p is None:
        missing.append("publication bias (no test result)")
    elif egger_p < t["egger_p"]:
        downs.append(
            Downgrade(
                "publication bias",
                1,
                f"small studies report different rates (Egger p = {egger_p:.3f})",
            )
        )

    level = len(LEVELS) - 1 - sum(d.levels for d in downs)
    if k < 2 and level > t["single_study_max_level"]:
        cap = int(t["single_study_max_level"])
        downs.append(Downgrade("imprecision", level - cap, "it rests on a single study"))
        level = cap
    return Certainty(LEVELS[max(0, level)], tuple(downs), tuple(missing))


def _pct(i2: float) -> str:
    """I² in percent, never rounded up to 100."""
    return f"{i2:.1f}%" if 99 < i2 < 100 else f"{i2:.0f}%"


def natural_frequency(p: float) -> str:
    """A proportion as people out of 100: "13 in 100" (never "1 in 2" for 42 %); "fewer than 1
    in 100" and "more than 99 in 100" at the ends."""
    if not math.isfinite(p):
        return ""
    n = round(100 * p)
    if n == 0 and p > 0:
        return "fewer than 1 in 100"
    if n == 100 and p < 1:
        return "more than 99 in 100"
    return f"{n} in 100"


def natural_range(low: float, high: float) -> str:
    """An interval as people out of 100: "9 to 17 in 100"."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    lo, hi = round(100 * low), round(100 * high)
    if lo == hi:
        return f"about {lo} in 100"
    return f"{lo} to {hi} in 100"


def rate_withheld(k: int, ci_low: float, ci_high: float) -> str | None:
    """Why no pooled rate may be shown to a lay reader (too few studies, or an interval too
    wide to say anything), in a plain clause; None when it may be shown."""
    t = THRESHOLDS
    if k < t["min_studies_for_rate"]:
        studies = "one study" if k == 1 else f"only {k} studies" if k else "no study"
        return f"too few studies to give a number ({studies})"
    width = ci_high - ci_low
    if not math.isfinite(width) or width > t["max_ci_width_for_rate"]:
        return (
            "the studies are too uncertain to give a number (the likely range is "
            f"{natural_range(ci_low, ci_high)})"
        )
    return None


#: Each GRADE domain's concern in one clause a lay reader can follow.
_PLAIN_REASONS = {
    "risk of bias": "many of the people were in studies whose design could lead them astray",
    "inconsistency": "the studies' results differ a lot from place to place",
    "imprecision": "the studies are few or small",
    "indirectness": "the studies looked at different kinds of second opinion",
    "publication bias": "small studies may have reported unusually high or low rates",
}


def main_reason(certainty: Certainty) -> str:
    """The rating's main reason in one plain clause: the concern that cost the most levels
    (the first of them on a tie); for a rating with no concern, why it stands."""
    if not certainty.downgrades:
        return "the studies are large, careful and agree with each other"
    worst = max(certainty.downgrades, key=lambda d: d.levels)
    if worst.reason == "it rests on a single study":
        return "it rests on a single study"
    return _PLAIN_REASONS.get(worst.domain, worst.reason)


def plain_statement(pooled: Mapping[str, float], certainty: Certainty) -> str:
    """E.g. "14 in 100 (14%); in a new setting anywhere from 3 to 63 in 100; certainty: low,
    because the studies disagree widely"."""
    p = pooled.get("estimate", math.nan)
    parts = [f"{natural_frequency(p)} ({100 * p:.0f}%)"]
    low, high = pooled.get("pi_low", math.nan), pooled.get("pi_high", math.nan)
    if int(pooled.get("k") or 0) >= 2 and math.isfinite(low) and math.isfinite(high):
        parts.append(f"in a new setting anywhere from {natural_range(low, high)}")
    else:
        parts.append("from a single study")
    text = f"certainty: {certainty.rating}"
    if certainty.downgrades:
        text += ", because " + "; ".join(d.reason for d in certainty.downgrades)
    parts.append(text)
    return "; ".join(parts)
