"""The review's own numbers: the PRISMA flow from the screening log, studies by design, and
the data release, for the summary, the reports and the dashboard."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..evidence import Evidence


@dataclass(frozen=True)
class PrismaFlow:
    """PRISMA 2020 flow counts, computed from ``screening.csv`` alone."""

    identified: int
    identified_by: dict[str, int]
    duplicates: int
    screened: int
    excluded_on_title: int
    not_retrieved: int
    assessed: int
    excluded_after_assessment: dict[str, int] = field(default_factory=dict)
    included: int = 0

    def lines(self) -> list[str]:
        """The flow as plain lines, top to bottom."""
        by = ", ".join(f"{k} {v}" for k, v in self.identified_by.items())
        reasons = ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in self.excluded_after_assessment.items()
        )
        return [
            f"Records identified: {self.identified} ({by})",
            f"Duplicates removed: {self.duplicates}",
            f"Records screened: {self.screened}",
            f"Excluded on title: {self.excluded_on_title}",
            f"Reports not retrievable (abstract or text unreadable): {self.not_retrieved}",
            f"Reports assessed for eligibility: {self.assessed}",
            f"Excluded after assessment: {sum(self.excluded_after_assessment.values())} "
            f"({reasons})",
            f"Studies included: {self.included}",
        ]


#: How records were found, by the prefix of ``found_via``.
FOUND_VIA = {
    "review": "reviews' included studies",
    "search": "searches by design",
    "citation": "citation chasing",
    "release": "earlier release",
    "protocol": "named in the protocol",
}


def prisma_flow(evidence: Evidence) -> PrismaFlow:
    """The PRISMA flow of the review, from the screening log."""
    log = evidence.screening
    by = Counter(FOUND_VIA.get(str(v).split(":")[0], "other") for v in log["found_via"])
    duplicates = int((log["decision"] == "duplicate").sum())
    screened = len(log) - duplicates
    excluded = log[log["decision"] == "excluded"]
    on_title = int((excluded["stage"] == "title").sum())
    unavailable = excluded[
        (excluded["stage"] != "title") & (excluded["reason"] == "record_unavailable")
    ]
    assessed_excluded = excluded[
        (excluded["stage"] != "title") & (excluded["reason"] != "record_unavailable")
    ]
    reasons = Counter(assessed_excluded["reason"])
    return PrismaFlow(
        identified=len(log),
        identified_by=dict(by.most_common()),
        duplicates=duplicates,
        screened=screened,
        excluded_on_title=on_title,
        not_retrieved=len(unavailable),
        assessed=screened - on_title - len(unavailable),
        excluded_after_assessment=dict(reasons.most_common()),
        included=int((log["decision"] == "included").sum()),
    )


def studies_by_design(evidence: Evidence) -> dict[str, int]:
    """Observed studies per design, largest first."""
    observed = evidence.studies[evidence.studies["evidence_type"] == "observed"]
    return dict(Counter(observed["design"]).most_common())


def data_release(evidence: Evidence) -> str:
    """ "data release 2.0.0 (2026-11-29)": what every report and the dashboard show."""
    if not evidence.version:
        return "data release not versioned"
    when = f" ({evidence.released})" if evidence.released else ""
    return f"data release {evidence.version}{when}"
