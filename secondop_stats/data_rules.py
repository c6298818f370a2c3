"""Rules beyond the schema for the tables added in release 2.1: the lay checklist, the allowed
link hosts and the Medicare fee schedule. Registered with :func:`secondop_stats.validation.rule`
like every other rule, so ``secondop validate`` and ``load_evidence`` run them too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

from .validation import Table, Violation, rule

#: The most items one situation of the checklist may hold, and the brief in all.
CHECKLIST_MAX_PER_SITUATION = 15
BRIEF_MAX_ITEMS = 7
BRIEF_SITUATIONS = frozenset({"question_for_doctor", "question_for_insurer", "record_to_gather"})
#: How far a printed RVU total may differ from the sum of its parts (CMS rounds to 0.01).
RVU_TOLERANCE = 0.015


@rule
def checklist_items(tables: dict[str, Table]) -> Iterator[Violation]:
    """Every item cites existing guidance; at most 15 per situation, one place each; at most 7
    brief items, all questions or records."""
    t = tables["checklist"]
    known = {row["guidance_id"] for row in tables["guidance"].rows}
    per_situation: Counter[str] = Counter()
    places: set[tuple[str, int]] = set()
    brief = 0
    for line, row, _raw in t.records():
        for gid in str(row["guidance_ids"] or "").split(";"):
            if gid and gid not in known:
                yield t.violation(line, "guidance_ids", gid, "not found in guidance.csv")
        situation = row["situation"]
        per_situation[situation] += 1
        if per_situation[situation] == CHECKLIST_MAX_PER_SITUATION + 1:
            yield t.violation(
                line,
                "situation",
                situation,
                f"more than {CHECKLIST_MAX_PER_SITUATION} items in one situation",
            )
        if (situation, row["order"]) in places:
            yield t.violation(line, "order", row["order"], "two items share this place")
        places.add((situation, row["order"]))
        if row["brief"]:
            brief += 1
            if situation not in BRIEF_SITUATIONS:
                yield t.violation(
                    line, "brief", "true", "only questions and records go into the brief"
                )
            if brief == BRIEF_MAX_ITEMS + 1:
                yield t.violation(line, "brief", "true", f"more than {BRIEF_MAX_ITEMS} brief items")


@rule
def links_go_to_allowed_hosts(tables: dict[str, Table]) -> Iterator[Violation]:
    """A source links to a DOI resolver, PubMed, PMC, a publisher or the publishing
    organisation, as listed in link_hosts.csv: never a mirror, proxy, raw IP address or a
    malformed address."""
    t = tables["sources"]
    allowed = {row["host"] for row in tables["link_hosts"].rows}
    for line, row, _raw in t.records():
        for column in ("url", "other_urls"):
            for url in str(row[column] or "").split(";"):
                url = url.strip()
                if not url:
                    continue
                parts = urlsplit(url)
                host = (parts.hostname or "").lower()
                if parts.scheme not in ("http", "https") or not host:
                    yield t.violation(line, column, url, "is not a web address (http or https)")
                elif host not in allowed:
                    yield t.violation(
                        line,
                        column,
                        url,
                        f"links to {host}, which is not in link_hosts.csv (a DOI, PubMed, PMC, "
                        "publisher or publishing organisation)",
                    )


@rule
def fee_schedule_is_complete(tables: dict[str, Table]) -> Iterator[Violation]:
    """Printed RVU totals equal their parts; every year with RVUs has a conversion factor and
    national indices, so an amount can always be computed."""
    rvus, cf, gpci = tables["fee_schedule_rvus"], tables["fee_schedule_cf"], tables[
        "fee_schedule_gpci"
    ]
    for line, row, _raw in rvus.records():
        for setting in ("nonfacility", "facility"):
            parts = (row["work_rvu"], row[f"pe_rvu_{setting}"], row["mp_rvu"])
            total = row[f"total_rvu_{setting}"]
            if None in parts or total is None:
                continue
            if abs(sum(parts) - total) > RVU_TOLERANCE:
                yield rvus.violation(
                    line,
                    f"total_rvu_{setting}",
                    total,
                    f"is not work + practice expense + malpractice ({sum(parts):.2f})",
                )
    factor_years = {row["year"] for row in cf.rows}
    national_years = {row["year"] for row in gpci.rows if row["locality_id"] == "national"}
    for line, row, _raw in rvus.records():
        if row["year"] not in factor_years:
            yield rvus.violation(line, "year", row["year"], "has no conversion factor")
        if row["year"] not in national_years:
            yield rvus.violation(line, "year", row["year"], "has no national GPCI row")
    for line, row, _raw in cf.records():
        if row["valid_from"] and row["valid_to"] and row["valid_from"] > row["valid_to"]:
            yield cf.violation(line, "valid_to", row["valid_to"], "is before valid_from")
