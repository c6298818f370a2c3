"""Broken copies of the evidence are refused with a message that names the place.

Each fault edits one copy of the shipped data and states what the error must name: file, line,
column, value and the rule. Together they cover the schema (types, enums, required, patterns,
keys) and the rules a schema cannot say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from secondop_stats import EvidenceError, load_evidence
from secondop_stats.cli import main

from .conftest import EvidenceCopy


@dataclass(frozen=True)
class Expect:
    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str


def _with_counts(r: dict[str, str]) -> bool:
    return bool(r["numerator"] and r["denominator"] and r["percent"])


def percent_over_100(e: EvidenceCopy) -> Expect:
    i = e.find("figures.csv", lambda r: r["percent"] != "")
    line = e.set("figures.csv", i, "percent", "120")
    return Expect("figures.csv", line, "percent", "120", "must be at most 100")


def negative_percent(e: EvidenceCopy) -> Expect:
    i = e.find("figures.csv", lambda r: r["percent"] != "")
    line = e.set("figures.csv", i, "percent", "-3")
    return Expect("figures.csv", line, "percent", "-3", "must be at least 0")


def numerator_above_denominator(e: EvidenceCopy) -> Expect:
    i = e.find("figures.csv", _with_counts)
    den = int(e.get("figures.csv", i)["denominator"])
    line = e.set("figures.csv", i, "numerator", str(den + 1))
    return Expect("figures.csv", line, "numerator", str(den + 1), "larger than the denominator")


def percent_disagrees_with_counts(e: EvidenceCopy) -> Expect:
    i = e.find("figures.csv", _with_counts)
    row = e.get("figures.csv", i)
    wrong = f"{100 * int(row['numerator']) / int(row['denominator']) + 7:.1f}"
    line = e.set("figures.csv", i, "percent", wrong)
    return Expect("figures.csv", line, "percent", wrong, "disagrees with numerator/denominator")


def range_reversed(e: EvidenceCopy) -> Expect:
    i = e.find("figures.csv", lambda r: r["qualifier"] == "range")
    e.set("figures.csv", i, "percent_low", "70")
    line = e.set("figures.csv", i, "percent_high", "20")
    return Expect("figures.csv", line, "percent_low", "70", "is above percent_high")


def range_without_high(e: EvidenceCopy) -> Expect:
    i = e.find("figures.csv", lambda r: r["qualifier"] == "range")
    line = e.set("figures.csv", i, "percent_high", "")
    return Expect("figures.csv", line, "qualifier", "range", "needs percent_low and percent_high")


def exact_without_percent(e: EvidenceCopy) -> Expect:
    i = e.find("figures.csv", lambda r: r["qualifier"] == "exact" and r["percent"] != "")
    line = e.set("figures.csv", i, "percent", "")
    return Expect("figures.csv", line, "percent", "", "is required for qualifier exact")


def missing_source(e: EvidenceCopy) -> Expect:
    line = e.set("figures.csv", 0, "source_id", "")
    return Expect("figures.csv", line, "source_id", "", "is required")


def unknown_source(e: EvidenceCopy) -> Expect:
    line = e.set("figures.csv", 0, "source_id", "nowhere2099")
    return Expect("figures.csv", line, "source_id", "nowhere2099", "not found in sources.csv")


def unknown_study(e: EvidenceCopy) -> Expect:
    line = e.set("figures.csv", 0, "study_id", "ghost2001")
    return Expect("figures.csv", line, "study_id", "ghost2001", "not found in studies.csv")


def unknown_metric(e: EvidenceCopy) -> Expect:
    line = e.set("figures.csv", 0, "metric", "vibes_changed")
    return Expect("figures.csv", line, "metric", "vibes_changed", "not found in metrics.csv")


def unknown_condition(e: EvidenceCopy) -> Expect:
    line = e.set("studies.csv", 0, "condition", "hangnail")
    return Expect("studies.csv", line, "condition", "hangnail", "not found in conditions.csv")


def blank_quote(e: EvidenceCopy) -> Expect:
    row = e.find("figures.csv", lambda r: r["quote_origin"] == "source_text")
    line = e.set("figures.csv", row, "quote", "   ")
    return Expect(
        "figures.csv", line, "quote", "   ", "a figure from a source article needs its quote"
    )


def missing_finding(e: EvidenceCopy) -> Expect:
    row = e.find("figures.csv", lambda r: r["quote_origin"] == "publication")
    line = e.set("figures.csv", row, "finding", "")
    return Expect(
        "figures.csv", line, "finding", "", "a figure from a publication needs its finding"
    )


def copied_quote_on_publication_figure(e: EvidenceCopy) -> Expect:
    row = e.find("figures.csv", lambda r: r["quote_origin"] == "publication")
    line = e.set("figures.csv", row, "quote", "Copied sentence.")
    return Expect(
        "figures.csv", line, "quote", "Copied sentence.", "stated in our own words (finding)"
    )


def two_pooled_figures(e: EvidenceCopy) -> Expect:
    row = e.find("figures.csv", lambda r: r["figure_id"] == "meyer2015-diagnosis-seed002")
    line = e.set("figures.csv", row, "pooled", "true")
    return Expect("figures.csv", line, "pooled", "true", "second pooled figure for meyer2015")


def unpooled_without_reason(e: EvidenceCopy) -> Expect:
    row = e.find("figures.csv", lambda r: r["figure_id"] == "meyer2015-diagnosis-seed002")
    line = e.set("figures.csv", row, "pooling_note", "")
    return Expect("figures.csv", line, "pooling_note", "", "must say why")


def whole_sample_figure_not_pooled(e: EvidenceCopy) -> Expect:
    row = e.find("figures.csv", lambda r: r["figure_id"] == "vansuch2017-changed-primary")
    line = e.set("figures.csv", row, "pooled", "false")
    e.set("figures.csv", row, "pooling_note", "no reason")
    return Expect("figures.csv", line, "pooled", "false", "has a whole-sample figure")


def study_missing_from_screening(e: EvidenceCopy) -> Expect:
    row = e.find("screening.csv", lambda r: r["record_id"] == "meyer2015")
    e.set("screening.csv", row, "decision", "duplicate")
    return Expect("screening.csv", None, "study_id", "meyer2015", "no included record")


def unknown_exclusion_reason(e: EvidenceCopy) -> Expect:
    row = e.find("screening.csv", lambda r: r["decision"] == "excluded")
    line = e.set("screening.csv", row, "reason", "did_not_like_it")
    return Expect("screening.csv", line, "reason", "did_not_like_it", "must be one of")


def empty_quote(e: EvidenceCopy) -> Expect:
    line = e.set("providers.csv", 0, "quote", "")
    return Expect("providers.csv", line, "quote", "", "is required")


def unknown_qualifier(e: EvidenceCopy) -> Expect:
    line = e.set("figures.csv", 0, "qualifier", "roughly")
    return Expect("figures.csv", line, "qualifier", "roughly", "must be one of")


def numerator_not_integer(e: EvidenceCopy) -> Expect:
    line = e.set("figures.csv", 0, "numerator", "ten")
    return Expect("figures.csv", line, "numerator", "ten", "is not an integer")


def duplicate_figure_id(e: EvidenceCopy) -> Expect:
    first = e.get("figures.csv", 0)["figure_id"]
    line = e.set("figures.csv", 1, "figure_id", first)
    return Expect("figures.csv", line, "figure_id", first, "duplicate key (first at line 2)")


def price_range_reversed(e: EvidenceCopy) -> Expect:
    i = e.find("providers.csv", lambda r: r["price_low_usd"] != "")
    e.set("providers.csv", i, "price_high_usd", "1")
    line = e.set("providers.csv", i, "price_low_usd", "5000")
    return Expect("providers.csv", line, "price_low_usd", "5000", "is above price_high_usd")


def price_without_partner(e: EvidenceCopy) -> Expect:
    i = e.find("providers.csv", lambda r: r["price_low_usd"] != "")
    line = e.set("providers.csv", i, "price_high_usd", "")
    return Expect("providers.csv", line, "price_high_usd", "", "go together")


def negative_price(e: EvidenceCopy) -> Expect:
    i = e.find("providers.csv", lambda r: r["price_low_usd"] != "")
    line = e.set("providers.csv", i, "price_low_usd", "-50")
    return Expect("providers.csv", line, "price_low_usd", "-50", "must be at least 0")


def unknown_provider_kind(e: EvidenceCopy) -> Expect:
    line = e.set("providers.csv", 0, "kind", "spa")
    return Expect("providers.csv", line, "kind", "spa", "must be one of")


def unknown_insurance_type(e: EvidenceCopy) -> Expect:
    line = e.set("coverage.csv", 0, "plan", "gold_plus")
    return Expect("coverage.csv", line, "plan", "gold_plus", "must be one of")


def coverage_value_not_for_aspect(e: EvidenceCopy) -> Expect:
    i = e.find("coverage.csv", lambda r: r["aspect"] == "cost_sharing")
    line = e.set("coverage.csv", i, "value", "yes")
    return Expect("coverage.csv", line, "value", "yes", "for aspect cost_sharing")


def coverage_two_primaries(e: EvidenceCopy) -> Expect:
    i = e.find("coverage.csv", lambda r: r["primary"] == "true")
    row = e.get("coverage.csv", i)
    row["rule_id"] = row["rule_id"] + "-copy"
    line = e.append("coverage.csv", row)
    return Expect("coverage.csv", line, "primary", "true", "second primary rule")


def coinsurance_without_amount(e: EvidenceCopy) -> Expect:
    i = e.find("coverage.csv", lambda r: r["aspect"] == "coinsurance_pct")
    line = e.set("coverage.csv", i, "amount", "")
    return Expect("coverage.csv", line, "amount", "", "is required for aspect coinsurance_pct")


def plan_without_rules(e: EvidenceCopy) -> Expect:
    header, rows, _ = e.read("coverage.csv")
    plan = header.index("plan")
    e.write("coverage.csv", header, [r for r in rows if r[plan] != "self_pay"])
    return Expect("coverage.csv", None, "plan", "self_pay", "has no primary rule")


def deductible_year_gap(e: EvidenceCopy) -> Expect:
    i = e.find("part_b_deductible.csv", lambda r: r["year"] == "2010")
    e.delete("part_b_deductible.csv", i)
    return Expect("part_b_deductible.csv", None, "year", "2010", "years missing from the series")


def cpi_year_in_future(e: EvidenceCopy) -> Expect:
    line = e.append(
        "cpi_u.csv",
        {
            "year": "2029",
            "cpi_u": "400",
            "months_averaged": "12",
            "source_id": e.get("cpi_u.csv", 0)["source_id"],
        },
    )
    return Expect("cpi_u.csv", line, "year", "2029", "is after the current year")


def malformed_doi(e: EvidenceCopy) -> Expect:
    i = e.find("sources.csv", lambda r: r["doi"] != "")
    line = e.set("sources.csv", i, "doi", "doi:10.1000/xyz")
    return Expect("sources.csv", line, "doi", "doi:10.1000/xyz", "does not match pattern")


def article_without_file(e: EvidenceCopy) -> Expect:
    i = e.find("sources.csv", lambda r: r["kind"] == "article")
    line = e.set("sources.csv", i, "file", "")
    return Expect("sources.csv", line, "file", "", "must name its file")


def confirmed_not_boolean(e: EvidenceCopy) -> Expect:
    line = e.set("sources.csv", 0, "confirmed", "yes")
    return Expect("sources.csv", line, "confirmed", "yes", "is not a boolean")


def bad_access_date(e: EvidenceCopy) -> Expect:
    line = e.set("sources.csv", 0, "accessed", "21/11/2026")
    return Expect("sources.csv", line, "accessed", "21/11/2026", "is not a date")


def unknown_design(e: EvidenceCopy) -> Expect:
    line = e.set("studies.csv", 0, "design", "horoscope")
    return Expect("studies.csv", line, "design", "horoscope", "must be one of")


def model_as_observed_rate(e: EvidenceCopy) -> Expect:
    _, studies, _ = e.read("studies.csv")
    header = e.read("studies.csv")[0]
    modelling = {r[0] for r in studies if r[header.index("evidence_type")] == "modelling"}
    i = e.find("figures.csv", lambda r: r["study_id"] in modelling)
    line = e.set("figures.csv", i, "metric", "diagnosis_changed")
    return Expect("figures.csv", line, "metric", "diagnosis_changed", "never present a model")


def denominator_exceeds_study(e: EvidenceCopy) -> Expect:
    header, studies, _ = e.read("studies.csv")
    sized = {
        r[0]: int(r[header.index("n")])
        for r in studies
        if r[header.index("n")] and r[header.index("n_unit")] != "studies"
    }
    i = e.find(
        "figures.csv",
        lambda r: r["study_id"] in sized and r["denominator"] != "" and not r["numerator"],
    )
    big = str(sized[e.get("figures.csv", i)["study_id"]] + 1000)
    line = e.set("figures.csv", i, "denominator", big)
    return Expect("figures.csv", line, "denominator", big, "exceeds the study's n")


def missing_column(e: EvidenceCopy) -> Expect:
    header, rows, _ = e.read("guidance.csv")
    k = header.index("text")
    e.write("guidance.csv", header[:k] + header[k + 1 :], [r[:k] + r[k + 1 :] for r in rows])
    return Expect("guidance.csv", 1, None, None, "header missing ['text']")


def missing_file(e: EvidenceCopy) -> Expect:
    (e.folder / "guidance.csv").unlink()
    return Expect("guidance.csv", None, None, None, "file is missing")


def extra_cell(e: EvidenceCopy) -> Expect:
    header, rows, lines = e.read("conditions.csv")
    rows[2] = [*rows[2], "surplus"]
    e.write("conditions.csv", header, rows)
    return Expect("conditions.csv", lines[2], None, None, "row has 5 cells, header has 4")


FAULTS: list[Callable[[EvidenceCopy], Expect]] = [
    percent_over_100,
    negative_percent,
    numerator_above_denominator,
    percent_disagrees_with_counts,
    range_reversed,
    range_without_high,
    exact_without_percent,
    missing_source,
    unknown_source,
    unknown_study,
    unknown_metric,
    unknown_condition,
    blank_quote,
    missing_finding,
    copied_quote_on_publication_figure,
    two_pooled_figures,
    unpooled_without_reason,
    whole_sample_figure_not_pooled,
    study_missing_from_screening,
    unknown_exclusion_reason,
    empty_quote,
    unknown_qualifier,
    numerator_not_integer,
    duplicate_figure_id,
    price_range_reversed,
    price_without_partner,
    negative_price,
    unknown_provider_kind,
    unknown_insurance_type,
    coverage_value_not_for_aspect,
    coverage_two_primaries,
    coinsurance_without_amount,
    plan_without_rules,
    deductible_year_gap,
    cpi_year_in_future,
    malformed_doi,
    article_without_file,
    confirmed_not_boolean,
    bad_access_date,
    unknown_design,
    model_as_observed_rate,
    denominator_exceeds_study,
    missing_column,
    missing_file,
    extra_cell,
]


def _expected_fragment(x: Expect) -> str:
    parts = [x.file]
    if x.line is not None:
        parts.append(f"line {x.line}")
    if x.column is not None:
        parts.append(f"column {x.column}")
    if x.value is not None:
        parts.append(f"value {x.value!r}")
    return ", ".join(parts)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__)
def test_fault_is_refused_with_its_place(broken: EvidenceCopy, fault) -> None:
    expect = fault(broken)
    with pytest.raises(EvidenceError) as info:
        load_evidence(broken.folder)
    message = str(info.value)
    matching = [line for line in message.splitlines() if _expected_fragment(expect) in line]
    assert matching, f"no line names {_expected_fragment(expect)!r} in:\n{message}"
    assert any(expect.rule in line for line in matching), message
    assert any(
        v.file == expect.file and v.line == expect.line and v.column == expect.column
        for v in info.value.violations
    )


def test_every_violation_is_reported_at_once(broken: EvidenceCopy) -> None:
    expects = [percent_over_100(broken), unknown_insurance_type(broken), negative_price(broken)]
    with pytest.raises(EvidenceError) as info:
        load_evidence(broken.folder)
    message = str(info.value)
    for x in expects:
        assert _expected_fragment(x) in message
    assert message.startswith(f"{len(info.value.violations)} problem(s) in the evidence")


def test_shipped_evidence_is_valid(evidence) -> None:
    assert len(evidence.figures) > 0
    assert len(evidence.data_hash) == 64


def test_validate_command_reports_and_exits_nonzero(broken: EvidenceCopy, capsys) -> None:
    x = unknown_source(broken)
    assert main(["validate", str(broken.folder)]) == 1
    err = capsys.readouterr().err
    assert _expected_fragment(x) in err


def test_validate_command_clean_is_one_line(capsys) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("evidence OK:")


def test_validate_command_missing_folder(tmp_path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "datapackage.json" in capsys.readouterr().err
