"""The review rules of data release 2.1.0, checked on the shipped evidence.

PROTOCOL.md section 3 (grade and stage are not a change of diagnosis), section 5 (one cohort is
counted once; a record is 'unavailable' only after it was sought) and section 7 (figures from a
subset of the sample or from a secondary source are shown but not pooled); studies.csv labels are
clean names, with what could not be verified kept in label_unverified.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import pytest

from secondop_stats import load_evidence


@pytest.fixture(scope="module")
def ev():
    return load_evidence()


def _overlap_pairs(screening: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """(study, other study, decision, reason) for every pair in the ' | '-separated columns."""
    columns = {"overlap_with", "overlap_decision", "overlap_reason"}
    assert columns <= set(screening.columns), "screening records no overlap decisions"
    pairs = []
    for _, row in screening.iterrows():
        cell = {
            k: "" if pd.isna(row[k]) else str(row[k])
            for k in ("overlap_with", "overlap_decision", "overlap_reason")
        }
        others = [s.strip() for s in cell["overlap_with"].split(" | ") if s.strip()]
        decisions = [s.strip() for s in cell["overlap_decision"].split(" | ") if s.strip()]
        reasons = [s.strip() for s in cell["overlap_reason"].split(" | ") if s.strip()]
        assert len(decisions) == len(others) == len(reasons), row["record_id"]
        pairs += [
            (row["study_id"], o, d, r) for o, d, r in zip(others, decisions, reasons, strict=True)
        ]
    return pairs


def test_no_pooled_figure_from_a_subset_or_a_secondary_source(ev) -> None:
    figures = ev.figures.merge(
        ev.studies[["study_id", "source_id"]].rename(columns={"source_id": "primary_source"}),
        on="study_id",
    )
    pooled = figures[figures["pooled"]]
    secondary = pooled[pooled["source_id"] != pooled["primary_source"]]
    assert secondary.empty, f"pooled from a secondary source: {list(secondary['figure_id'])}"
    assert "sample_scope" in figures.columns, "figures do not say whether they cover a subset"
    assert set(figures["sample_scope"]) == {"whole", "subset"}
    subset = pooled[pooled["sample_scope"] != "whole"]
    assert subset.empty, f"pooled subset figures: {list(subset['figure_id'])}"
    # every subset figure and every re-report says why it is not pooled
    shown = figures[
        (figures["sample_scope"] == "subset") | (figures["source_id"] != figures["primary_source"])
    ]
    assert len(shown) > 0
    assert (~shown["pooled"]).all()
    assert shown["pooling_note"].fillna("").str.strip().ne("").all()


def test_no_two_pooled_studies_share_a_cohort_under_one_metric(ev) -> None:
    pairs = _overlap_pairs(ev.screening)
    included = set(ev.screening.loc[ev.screening["decision"] == "included", "study_id"])
    assert any(d == "same_cohort" for _, _, d, _ in pairs), "no same-cohort decision recorded"
    assert any(d == "distinct_cohorts" for _, _, d, _ in pairs), "no distinct-cohort decision"
    pooled = ev.figures[ev.figures["pooled"]]
    metrics = pooled.groupby("study_id")["metric"].agg(set).to_dict()
    for study, other, decision, reason in pairs:
        assert study in included and other in included, (study, other)
        assert decision in {"same_cohort", "distinct_cohorts"}, (study, other, decision)
        assert len(reason) > 20, (study, other, reason)
        if decision == "same_cohort":
            shared = metrics.get(study, set()) & metrics.get(other, set())
            assert not shared, f"{study} and {other} share a cohort and both pool {sorted(shared)}"


def test_study_labels_carry_no_working_notes(ev) -> None:
    notes = re.compile(
        r"not verified|not seen|unverified|company claim|year not|authors not|\(", re.IGNORECASE
    )
    dirty = ev.studies[ev.studies["label"].str.contains(notes)]
    assert dirty.empty, dict(zip(dirty["study_id"], dirty["label"], strict=True))
    # what the label cannot say is kept, in plain words, beside it
    unverified = ev.studies["label_unverified"].fillna("")
    assert unverified.str.contains(r"not (?:seen|verified)").sum() >= 20
    assert not unverified.str.contains(r"\(|seed-|our search", regex=True).any()
    # a year written into a label is the study's verified year
    labels = ev.studies.dropna(subset=["year"])
    assert all(
        str(int(y)) in lab or not re.search(r"\b(19|20)\d\d\b", lab)
        for lab, y in zip(labels["label"], labels["year"], strict=True)
    )


def test_unavailable_records_say_where_they_were_sought(ev) -> None:
    s = ev.screening
    unavailable = s[(s["decision"] == "excluded") & (s["reason"] == "record_unavailable")]
    assert len(unavailable) > 0
    where = re.compile(
        r"\bSought:.*\b(pages|page|record|index|repository|catalogue|table|reference list)\b",
        re.IGNORECASE | re.DOTALL,
    )
    notes = zip(unavailable["record_id"], unavailable["note"].fillna(""), strict=True)
    missing = [record for record, note in notes if not where.search(note)]
    assert not missing, f"record_unavailable without a note saying where it was sought: {missing}"


def test_every_pathology_change_of_diagnosis_was_checked_for_grade_and_stage(ev) -> None:
    table = ev.figure_table()
    dx = table[(table["metric"] == "diagnosis_changed") & (table["design"] == "pathology_review")]
    assert len(dx) > 0
    unchecked = dx[~dx["notes"].fillna("").str.contains("Grade rule (2.1.0)", regex=False)]
    assert unchecked.empty, f"not checked under the grade rule: {list(unchecked['figure_id'])}"
    # a figure whose notes say its major group was mostly grade changes is not a diagnosis change
    grade = re.compile(r"most(?:ly)? .{0,40}gleason score change", re.IGNORECASE)
    wrong = dx[dx["notes"].fillna("").str.contains(grade)]
    assert wrong.empty, list(wrong["figure_id"])


#: Hosts that copy, proxy, translate or summarise publications: never a reference's link.
_MIRRORS = re.compile(
    r"^\d+\.\d+\.\d+\.\d+$|proxy|weglot|translate|scholar|researchgate|docksci|docslib|zendy"
    r"|mendeley|researcher\.life|paperexplained|scite|x-mol|laibokeji|suppr|booksci|ouci|scilit"
)


def test_every_link_goes_to_the_publication_or_its_publisher(ev) -> None:
    """Links go to a DOI resolver, PubMed, PMC, a publisher or the publishing organisation
    (link_hosts.csv; the validator refuses any other host), and the allow-list itself holds no
    mirror, proxy or summary site."""
    assert not [h for h in ev.link_hosts["host"] if _MIRRORS.search(h)]
    kinds = dict(zip(ev.link_hosts["host"], ev.link_hosts["kind"], strict=True))
    journals = ev.sources[ev.sources["kind"] == "journal"]
    for source_id, url in zip(journals["source_id"], journals["url"], strict=True):
        if isinstance(url, str) and url:
            host = re.sub(r"^https?://([^/]+).*$", r"\1", url).lower()
            assert kinds[host] in ("doi_resolver", "pubmed", "pmc", "publisher"), source_id


def test_a_link_to_a_mirror_is_refused(broken) -> None:
    from secondop_stats.errors import EvidenceError

    row = broken.find("sources.csv", lambda r: r["kind"] == "journal")
    line = broken.set("sources.csv", row, "url", "https://47.251.13.51/pubmed/123")
    with pytest.raises(EvidenceError) as refused:
        load_evidence(broken.folder)
    assert f"sources.csv, line {line}, column url" in str(refused.value)
    assert "which is not in link_hosts.csv" in str(refused.value)


def test_the_lay_checklist_is_short_and_keeps_its_sources(ev) -> None:
    checklist = ev.checklist
    assert checklist.groupby("situation").size().max() <= 15
    assert checklist["brief"].sum() <= 7
    known = set(ev.guidance["guidance_id"])
    for ids in checklist["guidance_ids"]:
        assert set(ids.split(";")) <= known
    words = " ".join(checklist["text"]).lower()
    assert not re.search(r"\b(he|she|his|her|him)\b", words), "neutral wording"


def test_a_sixteenth_item_or_an_eighth_brief_item_is_refused(broken) -> None:
    from secondop_stats.errors import EvidenceError

    header, rows, _ = broken.read("checklist.csv")
    situation = header.index("situation")
    counts = Counter(r[situation] for r in rows)
    full = max(counts, key=counts.get)
    order = max(int(r[header.index("order")]) for r in rows if r[situation] == full)
    for extra in range(16 - counts[full]):
        broken.append(
            "checklist.csv",
            {
                "item_id": f"c9{extra:02d}",
                "situation": full,
                "text": "Ask again.",
                "guidance_ids": "g001",
                "brief": "false",
                "order": str(order + 1 + extra),
            },
        )
    row = broken.find(
        "checklist.csv", lambda r: r["brief"] == "false" and r["situation"] == "question_for_doctor"
    )
    broken.set("checklist.csv", row, "brief", "true")
    with pytest.raises(EvidenceError) as refused:
        load_evidence(broken.folder)
    assert "more than 15 items in one situation" in str(refused.value)
    assert "more than 7 brief items" in str(refused.value)


def test_rvu_totals_must_equal_their_parts(broken) -> None:
    from secondop_stats.errors import EvidenceError

    line = broken.set("fee_schedule_rvus.csv", 0, "total_rvu_nonfacility", "9.99")
    with pytest.raises(
        EvidenceError,
        match=rf"fee_schedule_rvus.csv, line {line}, column "
        "total_rvu_nonfacility, value '9.99': is not work",
    ):
        load_evidence(broken.folder)
