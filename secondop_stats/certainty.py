"""How far to trust a pooled rate: a GRADE-style certainty rating with its reasons.

Proportions estimated from consecutive case series are the right design for the question
"how often does this happen?", so, as GRADE does for estimates of prognosis and frequency
(Iorio et al. 2015, BMJ 350:h870), a rating starts at **high** and moves down one level, or
two, for each concern:

- **risk of bias**: the share of the pooled cases that comes from studies at high risk
  (two or more of the protocol's four risk-of-bias items rated high);
- **inconsistency**: I² and the width of the prediction interval;
- **imprecision**: the width of the confidence interval, and the number of cases;
- **indirectness**: mixed designs, or changes that were only judged possible ("potential")
  rather than recommended or made;
- **publication bias**: Egger's test, assessed only with 10 or more studies.

Every threshold is in :data:`THRESHOLDS`, the one place to read or change them; each downgrade
states its reason in words a reader can check against the numbers shown beside it.
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

    # inconsistency
    i2 = pooled.get("i2", math.nan)
    pi_low, pi_high = pooled.get("pi_low", math.nan), pooled.get("pi_high", math.nan)
    pi_width = pi_high - pi_low
    if k < 2:
        missing.append("inconsistency (a single study)")
    elif (i2 >= t["i2_very_serious"] and pi_width > t["pi_width_very_serious"]) or (
        pi_width > t["pi_width_very_serious"] + 0.2
    ):
        downs.append(
            Downgrade(
                "inconsistency",
                2,
                f"the studies disagree widely (I² {_pct(i2)}, prediction interval "
                f"{pi_low:.0%} to {pi_high:.0%})",
            )
        )
    elif i2 >= t["i2_serious"] or pi_width > t["pi_width_serious"]:
        downs.append(Downgrade("inconsistency", 1, f"the studies disagree (I² {_pct(i2)})"))

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
    elif ci_width > t["ci_width_serious"] or (total == total and total < t["cases_serious"]):
        what = (
            f"the confidence interval spans {100 * ci_width:.0f} percentage points"
            if ci_width > t["ci_width_serious"]
            else f"only {int(total):,} cases"
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
    return Certainty(LEVELS[max(0, level)], tuple(downs), tuple(missing))


def _pct(i2: float) -> str:
    """I² in percent, never rounded up to 100."""
    return f"{i2:.1f}%" if 99 < i2 < 100 else f"{i2:.0f}%"


def one_in(p: float) -> str:
    """A proportion in words: "about 1 in 7" below one half, "about 6 in 10" above."""
    if not math.isfinite(p) or p <= 0:
        return "almost never"
    if p < 0.5:
        return f"about 1 in {max(2, round(1 / p))}"
    return f"about {round(10 * p)} in 10"


def plain_statement(pooled: Mapping[str, float], certainty: Certainty) -> str:
    """E.g. "about 1 in 7 (14 %); in a new setting anywhere from 3 % to 63 %; certainty: low,
    because the studies disagree widely"."""
    p = pooled.get("estimate", math.nan)
    parts = [f"{one_in(p)} ({100 * p:.0f}%)"]
    low, high = pooled.get("pi_low", math.nan), pooled.get("pi_high", math.nan)
    if int(pooled.get("k") or 0) >= 2 and math.isfinite(low) and math.isfinite(high):
        parts.append(f"in a new setting anywhere from {100 * low:.0f}% to {100 * high:.0f}%")
    else:
        parts.append("from a single study")
    text = f"certainty: {certainty.rating}"
    if certainty.downgrades:
        text += ", because " + "; ".join(d.reason for d in certainty.downgrades)
    parts.append(text)
    return "; ".join(parts)
