"""Validation of the evidence folder: the descriptor's contract plus the rules a schema cannot say.

Every check reports a :class:`Violation` naming file, line, column, value and rule; all checks
run to the end so that one report lists every problem at once.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .schema import Package, Resource, read_package

#: Cells may hold long text (a quote, a note): up to 16 MB each, far beyond csv's 128 kB default.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return ", ".join(where) + f": {self.rule}"


@dataclass
class Table:
    """A table read from CSV: raw cells, parsed values (None where missing) and line numbers."""

    resource: Resource
    raw: list[dict[str, str]]
    rows: list[dict[str, Any]]
    lines: list[int]

    @property
    def file(self) -> str:
        return self.resource.path

    def records(self) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
        """(line, parsed row, raw row) for every row."""
        yield from zip(self.lines, self.rows, self.raw, strict=True)

    def violation(self, line: int | None, column: str | None, value: Any, rule: str) -> Violation:
        """A violation at ``line``/``column``; the value is shown as written in the file."""
        if value is not None and not isinstance(value, str) and line in self.lines and column:
            value = self.raw[self.lines.index(line)].get(column, value)
        shown = None if value is None else str(value)
        return Violation(self.file, line, column, shown, rule)


def read_table(folder: Path, resource: Resource) -> tuple[Table, list[Violation]]:
    """Read one CSV and check header, types and per-cell constraints."""
    path = folder / resource.path
    table = Table(resource, [], [], [])
    problems: list[Violation] = []
    if not path.is_file():
        return table, [Violation(resource.path, None, None, None, "file is missing")]
    expected = list(resource.field_names)
    bad = _first_undecodable(path)
    if bad is not None:
        line, column, byte = bad
        return table, [
            Violation(
                resource.path,
                line,
                None,
                None,
                f"is not valid UTF-8 (byte 0x{byte:02x} at "
                f"character {column}); save the file as UTF-8",
            )
        ]
    # utf-8-sig: a byte-order mark (Excel writes one, and so does our CSV export) is dropped
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return table, [Violation(resource.path, 1, None, None, "file is empty (no header)")]
        if header != expected:
            missing = [c for c in expected if c not in header]
            extra = [c for c in header if c not in expected]
            detail = []
            if missing:
                detail.append(f"missing {missing}")
            if extra:
                detail.append(f"unexpected {extra}")
            if not detail:
                detail.append(f"columns out of order; expected {expected}")
            problems.append(Violation(resource.path, 1, None, None, "header " + "; ".join(detail)))
            if missing:
                return table, problems
        start = reader.line_num + 1
        try:
            _read_rows(reader, resource, header, start, table, problems)
        except csv.Error as exc:
            problems.append(
                Violation(resource.path, reader.line_num, None, None, f"is not valid CSV: {exc}")
            )
    if not table.rows and not any(v.line == 1 for v in problems):
        problems.append(
            Violation(resource.path, None, None, None, "has no rows; every table needs data")
        )
    return table, problems


def _first_undecodable(path: Path) -> tuple[int, int, int] | None:
    """(line, character, byte) of the first byte that is not UTF-8, or None."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        return line, column, data[exc.start]
    return None


def _read_rows(
    reader: Any,
    resource: Resource,
    header: list[str],
    start: int,
    table: Table,
    problems: list[Violation],
) -> None:
    """Parse and check every data row of an open CSV reader into ``table``."""
    for cells in reader:
        line = start
        start = reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Violation(
                    resource.path,
                    line,
                    None,
                    None,
                    f"row has {len(cells)} cells, header has {len(header)}",
                )
            )
            continue
        raw = dict(zip(header, cells, strict=True))
        parsed: dict[str, Any] = {}
        for f in resource.fields:
            text = raw.get(f.name, "")
            if text in resource.missing_values or (not text.strip() and f.type != "string"):
                parsed[f.name] = None
                if f.required:
                    problems.append(Violation(resource.path, line, f.name, text, "is required"))
                continue
            if f.required and f.type == "string" and not text.strip():
                problems.append(Violation(resource.path, line, f.name, text, "must not be blank"))
            try:
                value = f.parse(text)
            except ValueError as exc:
                problems.append(Violation(resource.path, line, f.name, text, str(exc)))
                parsed[f.name] = None
                continue
            parsed[f.name] = value
            problems.extend(
                Violation(resource.path, line, f.name, text, rule)
                for rule in _constraint_failures(f, value, text)
            )
        table.raw.append(raw)
        table.rows.append(parsed)
        table.lines.append(line)


def _constraint_failures(f: Any, value: Any, text: str) -> Iterator[str]:
    if f.enum is not None and text not in f.enum:
        yield f"must be one of {', '.join(f.enum)}"
    if f.minimum is not None and value < f.minimum:
        yield f"must be at least {f.minimum:g}"
    if f.maximum is not None and value > f.maximum:
        yield f"must be at most {f.maximum:g}"
    if f.pattern is not None and not f.pattern.fullmatch(text):
        yield f"does not match pattern {f.pattern.pattern}"


def check_keys(tables: dict[str, Table]) -> Iterator[Violation]:
    """Primary keys and unique fields are unique; every foreign key resolves."""
    for table in tables.values():
        res = table.resource
        unique_sets = [res.primary_key] if res.primary_key else []
        unique_sets += [(f.name,) for f in res.fields if f.unique and (f.name,) != res.primary_key]
        for cols in unique_sets:
            seen: dict[tuple[Any, ...], int] = {}
            for line, row, _ in table.records():
                key = tuple(row.get(c) for c in cols)
                if any(k is None for k in key):
                    continue
                if key in seen:
                    yield table.violation(
                        line,
                        ",".join(cols),
                        ",".join(map(str, key)),
                        f"duplicate key (first at line {seen[key]})",
                    )
                else:
                    seen[key] = line
        for fk in res.foreign_keys:
            target = tables.get(fk.resource)
            if target is None:
                continue
            known = {tuple(r.get(c) for c in fk.reference_fields) for r in target.rows}
            for line, row, _ in table.records():
                key = tuple(row.get(c) for c in fk.fields)
                if any(k is None for k in key):
                    continue
                if key not in known:
                    yield table.violation(
                        line,
                        ",".join(fk.fields),
                        ",".join(map(str, key)),
                        f"not found in {target.file} ({','.join(fk.reference_fields)})",
                    )


# --- rules a schema cannot say -------------------------------------------------------------

Rule = Callable[[dict[str, Table]], Iterator[Violation]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    """Register a cross-field or cross-table check."""
    RULES.append(fn)
    return fn


def _decimals(text: str) -> int:
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


@rule
def figure_counts(tables: dict[str, Table]) -> Iterator[Violation]:
    """Numerator ≤ denominator, and percent agrees with them within the reported rounding."""
    t = tables["figures"]
    for line, row, raw in t.records():
        num, den, pct = row.get("numerator"), row.get("denominator"), row.get("percent")
        if num is not None and den is not None and num > den:
            yield t.violation(line, "numerator", num, f"is larger than the denominator ({den})")
            continue
        if num is not None and den is None:
            yield t.violation(line, "denominator", "", "is required when a numerator is given")
        if num is not None and den and pct is not None:
            exact = 100.0 * num / den
            unit = 10.0 ** -_decimals(raw["percent"])
            if abs(pct - exact) >= unit:
                yield t.violation(
                    line,
                    "percent",
                    raw["percent"],
                    f"disagrees with numerator/denominator {num}/{den} = {exact:.2f}% by more than "
                    f"one unit in the last reported decimal ({unit:g})",
                )


@rule
def figure_qualifiers(tables: dict[str, Table]) -> Iterator[Violation]:
    """Ranges need both ends in order; every other qualifier needs a percent."""
    t = tables["figures"]
    for line, row, _ in t.records():
        low, high, pct, q = (
            row["percent_low"],
            row["percent_high"],
            row["percent"],
            row["qualifier"],
        )
        if low is not None and high is not None and low > high:
            yield t.violation(line, "percent_low", low, f"is above percent_high ({high:g})")
        if q == "range":
            if low is None or high is None:
                yield t.violation(line, "qualifier", q, "range needs percent_low and percent_high")
        elif q is not None and pct is None:
            yield t.violation(line, "percent", "", f"is required for qualifier {q}")


@rule
def figures_match_studies(tables: dict[str, Table]) -> Iterator[Violation]:
    """Modelling studies report only non-poolable metrics; denominators do not exceed study n."""
    t, studies, metrics = tables["figures"], tables["studies"], tables["metrics"]
    study_by_id = {r["study_id"]: r for r in studies.rows}
    poolable = {r["metric"]: r["poolable"] for r in metrics.rows}
    for line, row, _ in t.records():
        study = study_by_id.get(row["study_id"])
        if study is None:
            continue
        kind = study.get("evidence_type")
        if kind in ("modelling", "industry_claim") and poolable.get(row["metric"]):
            yield t.violation(
                line,
                "metric",
                row["metric"],
                f"is an observed-rate metric, but study {row['study_id']} is {kind}: "
                "use a modelling metric (never present a model as an observed rate)",
            )
        n, den = study.get("n"), row.get("denominator")
        if n is not None and den is not None and study.get("n_unit") != "studies" and den > n:
            yield t.violation(
                line, "denominator", den, f"exceeds the study's n ({n}) in studies.csv"
            )


@rule
def provider_ranges(tables: dict[str, Table]) -> Iterator[Violation]:
    """Prices and turnaround come as ordered pairs; a priced row gives its year or says why not."""
    t = tables["providers"]
    for line, row, _ in t.records():
        for low_col, high_col in (
            ("price_low_usd", "price_high_usd"),
            ("turnaround_days_low", "turnaround_days_high"),
        ):
            low, high = row[low_col], row[high_col]
            if (low is None) != (high is None):
                yield t.violation(
                    line,
                    high_col if high is None else low_col,
                    "",
                    f"{low_col} and {high_col} go together",
                )
            elif low is not None and low > high:
                yield t.violation(line, low_col, low, f"is above {high_col} ({high:g})")
        if row["price_low_usd"] is not None and row["price_year"] is None and not row["price_note"]:
            yield t.violation(
                line,
                "price_year",
                "",
                "a price needs its year, or a price_note saying why the year is unknown",
            )
        if row["price_low_usd"] is not None and row["payment"] is None:
            yield t.violation(
                line, "payment", "", "a priced service must say how it is paid for (payment)"
            )


YES_NO = frozenset({"yes", "no", "usually", "usually_not", "varies", "may"})
COVERAGE_VALUES: dict[str, frozenset[str]] = {
    "cost_sharing": frozenset(
        {"deductible_then_coinsurance", "copay", "no_cost", "full_price", "plan_specific"}
    ),
    "coinsurance_pct": frozenset({"percent"}),
    "good_faith_estimate": frozenset({"yes", "no"}),
}
REQUIRED_PRIMARY_ASPECTS = ("second_opinion_covered", "cost_sharing")


@rule
def coverage_rules(tables: dict[str, Table]) -> Iterator[Violation]:
    """Values fit their aspect; one primary rule per plan and aspect; every plan is covered."""
    t = tables["coverage"]
    primaries: dict[tuple[str, str], list[int]] = defaultdict(list)
    for line, row, _ in t.records():
        aspect, value = row["aspect"], row["value"]
        allowed = COVERAGE_VALUES.get(aspect, YES_NO)
        if aspect and value is not None and value not in allowed:
            yield t.violation(
                line,
                "value",
                value,
                f"must be one of {', '.join(sorted(allowed))} for aspect {aspect}",
            )
        if aspect == "coinsurance_pct":
            amount = row["amount"]
            if amount is None:
                yield t.violation(line, "amount", "", "is required for aspect coinsurance_pct")
            elif amount > 100:
                yield t.violation(line, "amount", amount, "a percentage must be at most 100")
        if row["primary"] and row["plan"] and aspect:
            primaries[(row["plan"], aspect)].append(line)
    for (plan, aspect), lines in primaries.items():
        if len(lines) > 1:
            yield t.violation(
                lines[1],
                "primary",
                "true",
                f"second primary rule for {plan}/{aspect} (first at line {lines[0]})",
            )
    plan_field = t.resource.field("plan")
    for plan in plan_field.enum or ():
        for aspect in REQUIRED_PRIMARY_ASPECTS:
            if (plan, aspect) not in primaries:
                yield t.violation(None, "plan", plan, f"has no primary rule for {aspect}")
    cost = {
        p: t.rows[t.lines.index(ls[0])]["value"]
        for (p, a), ls in primaries.items()
        if a == "cost_sharing"
    }
    for plan, value in cost.items():
        if value == "deductible_then_coinsurance" and (plan, "coinsurance_pct") not in primaries:
            yield t.violation(
                None,
                "plan",
                plan,
                "cost_sharing deductible_then_coinsurance needs a coinsurance_pct rule",
            )


@rule
def years_not_in_future(tables: dict[str, Table]) -> Iterator[Violation]:
    """No publication, price or data year after the current year; no access date in the future."""
    today = date.today()
    checks = [
        ("sources", "year"),
        ("studies", "year"),
        ("providers", "price_year"),
        ("part_b_deductible", "year"),
        ("cpi_u", "year"),
    ]
    for name, col in checks:
        t = tables[name]
        for line, row, _ in t.records():
            year = row.get(col)
            if year is not None and year > today.year:
                yield t.violation(line, col, year, f"is after the current year ({today.year})")
    t = tables["sources"]
    for line, row, _ in t.records():
        accessed = row.get("accessed")
        if accessed is not None and accessed > today:
            yield t.violation(line, "accessed", accessed, "is in the future")


@rule
def yearly_series_complete(tables: dict[str, Table]) -> Iterator[Violation]:
    """Yearly series have no gaps, so every year in their range can be looked up."""
    for name in ("part_b_deductible", "cpi_u"):
        t = tables[name]
        years = sorted(r["year"] for r in t.rows if r.get("year") is not None)
        missing = sorted(set(range(years[0], years[-1] + 1)) - set(years)) if years else []
        if missing:
            yield t.violation(
                None, "year", ",".join(map(str, missing)), "years missing from the series"
            )


@rule
def articles_name_their_file(tables: dict[str, Table]) -> Iterator[Violation]:
    """Articles name their file; journals carry an identifier; unconfirmed sources say why."""
    t = tables["sources"]
    for line, row, _ in t.records():
        if row["kind"] == "article" and not row.get("file"):
            yield t.violation(
                line, "file", "", "an article source must name its file in shared/seeds"
            )
        if row["kind"] == "journal" and not (row.get("doi") or row.get("pmid") or row.get("url")):
            yield t.violation(line, "doi", "", "a journal source needs a DOI, PMID or URL")
        if not row["confirmed"] and not row.get("confirmation_note"):
            yield t.violation(
                line, "confirmation_note", "", "an unconfirmed source must say what is unconfirmed"
            )


# --- the review's rules (PROTOCOL.md) -------------------------------------------------------------

TREATMENT_OUTCOMES = frozenset({"treatment", "diagnosis_and_treatment", "diagnosis_or_treatment"})


@rule
def figures_have_provenance(tables: dict[str, Table]) -> Iterator[Violation]:
    """An article figure quotes the article verbatim; a publication figure gives a locator and
    the finding in our own words, and no quote."""
    t = tables["figures"]
    for line, row, raw in t.records():
        origin = row.get("quote_origin")
        if origin == "source_text" and not str(row.get("quote") or "").strip():
            yield t.violation(
                line,
                "quote",
                raw.get("quote", ""),
                "a figure from a source article needs its quote",
            )
        if origin == "publication":
            for column in ("locator", "finding"):
                if not row.get(column):
                    yield t.violation(
                        line, column, "", f"a figure from a publication needs its {column}"
                    )
            if row.get("quote"):
                yield t.violation(
                    line,
                    "quote",
                    row["quote"],
                    "a publication's figure is stated in our own words (finding), not quoted",
                )


@rule
def one_pooled_figure_per_study_and_metric(tables: dict[str, Table]) -> Iterator[Violation]:
    """At most one figure per observed study and poolable metric is pooled (the whole-sample
    figure of the primary publication); every other figure says why not (a subset, a share of
    discordant cases, a re-report); figures of non-observed studies are never pooled."""
    t, studies, metrics = tables["figures"], tables["studies"], tables["metrics"]
    evidence_type = {r["study_id"]: r.get("evidence_type") for r in studies.rows}
    poolable = {r["metric"]: r.get("poolable") for r in metrics.rows}
    study_n = {r["study_id"]: r.get("n") for r in studies.rows}
    primary_source = {r["study_id"]: r.get("source_id") for r in studies.rows}
    groups: dict[tuple[str, str], list[tuple[int, bool]]] = defaultdict(list)
    whole_sample: dict[tuple[str, str], int] = {}
    ceded = {(s, m) for s, m, _ in _ceded_to_overlap(tables)}
    for line, row, _ in t.records():
        pooled = bool(row.get("pooled"))
        if not pooled and not row.get("pooling_note"):
            yield t.violation(line, "pooling_note", "", "a figure that is not pooled must say why")
        if pooled and row.get("sample_scope") == "subset":
            yield t.violation(
                line, "pooled", "true", "a figure measured in a subset of the sample is not pooled"
            )
        kind = evidence_type.get(row.get("study_id"))
        if pooled and (kind != "observed" or not poolable.get(row.get("metric"))):
            yield t.violation(
                line,
                "pooled",
                "true",
                "only figures of observed studies with a poolable metric can be pooled",
            )
            continue
        if kind == "observed" and poolable.get(row.get("metric")):
            key = (row["study_id"], row["metric"])
            groups[key].append((line, pooled))
            n = study_n.get(row["study_id"])
            if (
                row.get("source_id") == primary_source.get(row["study_id"])
                and n is not None
                and row.get("denominator") == n
            ):
                whole_sample.setdefault(key, line)
    for (study, metric), rows in groups.items():
        pooled_lines = [line for line, pooled in rows if pooled]
        if not pooled_lines and (study, metric) in whole_sample and (study, metric) not in ceded:
            yield t.violation(
                whole_sample[(study, metric)],
                "pooled",
                "false",
                f"{study}/{metric} has a whole-sample figure of its primary publication: pool it",
            )
        if len(pooled_lines) > 1:
            yield t.violation(
                pooled_lines[1],
                "pooled",
                "true",
                f"second pooled figure for {study}/{metric} (first at line {pooled_lines[0]})",
            )


@rule
def screening_log_matches_studies(tables: dict[str, Table]) -> Iterator[Violation]:
    """Every study is an included record of the screening log and every included record a
    study; an exclusion gives one of the protocol's reason codes."""
    t = tables.get("screening")
    if t is None:
        return
    studies = {r["study_id"] for r in tables["studies"].rows}
    included: set[str] = set()
    for line, row, _ in t.records():
        decision, study = row.get("decision"), row.get("study_id")
        if decision == "included":
            if study not in studies:
                yield t.violation(
                    line, "study_id", study or "", "an included record needs its study"
                )
            included.add(study or "")
        elif decision == "excluded" and row.get("reason") not in EXCLUSION_REASONS:
            yield t.violation(
                line,
                "reason",
                row.get("reason") or "",
                f"must be one of {', '.join(sorted(EXCLUSION_REASONS))}",
            )
    for study in sorted(studies - included):
        yield t.violation(None, "study_id", study, "study has no included record in screening.csv")


OVERLAP_DECISIONS = frozenset({"same_cohort", "distinct_cohorts"})


def _overlap_pairs(tables: dict[str, Table]) -> Iterator[tuple[int, str, str, str, str]]:
    """(line, study, other study, decision, reason) for every pair recorded in screening.csv's
    ' | '-separated overlap columns (PROTOCOL 5)."""
    t = tables.get("screening")
    if t is None:
        return
    for line, row, _ in t.records():
        others = [s.strip() for s in (row.get("overlap_with") or "").split(" | ") if s.strip()]
        decisions = [s.strip() for s in (row.get("overlap_decision") or "").split(" | ")]
        reasons = [s.strip() for s in (row.get("overlap_reason") or "").split(" | ")]
        for i, other in enumerate(others):
            decision = decisions[i] if i < len(decisions) else ""
            reason = reasons[i] if i < len(reasons) else ""
            yield line, row.get("study_id") or "", other, decision, reason


def _ceded_to_overlap(tables: dict[str, Table]) -> Iterator[tuple[str, str, str]]:
    """(study, metric, kept study): metrics a study leaves to the study it shares a cohort with,
    because that study pools a figure for the metric."""
    pooled_by: dict[str, set[str]] = defaultdict(set)
    for row in tables["figures"].rows:
        if row.get("pooled"):
            pooled_by[row["study_id"]].add(row["metric"])
    for _, study, other, decision, _ in _overlap_pairs(tables):
        if decision == "same_cohort":
            for metric in pooled_by.get(other, ()):
                yield study, metric, other


@rule
def overlap_decisions(tables: dict[str, Table]) -> Iterator[Violation]:
    """Every overlap pair names an included study, a decision and a reason; a study that shares
    a cohort pools no metric that the study it gives way to already pools."""
    t = tables.get("screening")
    if t is None:
        return
    included = {r["study_id"] for r in t.rows if r.get("decision") == "included"}
    for line, study, other, decision, reason in _overlap_pairs(tables):
        if study not in included:
            yield t.violation(line, "overlap_with", other, "overlap pairs go on an included record")
        if other not in included:
            yield t.violation(line, "overlap_with", other, "is not an included study")
        if decision not in OVERLAP_DECISIONS:
            yield t.violation(
                line,
                "overlap_decision",
                decision,
                f"must be one of {', '.join(sorted(OVERLAP_DECISIONS))} (one per overlap_with)",
            )
        if not reason:
            yield t.violation(line, "overlap_reason", "", f"the decision on {other} needs a reason")
    f = tables["figures"]
    ceded = {(s, m): kept for s, m, kept in _ceded_to_overlap(tables)}
    for line, row, _ in f.records():
        kept = ceded.get((row["study_id"], row["metric"]))
        if row.get("pooled") and kept:
            yield f.violation(
                line,
                "pooled",
                "true",
                f"{row['study_id']} shares its cohort with {kept}, which pools {row['metric']}",
            )


EXCLUSION_REASONS = frozenset(
    {
        "not_second_opinion",
        "no_extractable_rate",
        "overlapping_cohort",
        "review_or_commentary",
        "record_unavailable",
        "modelling_only",
    }
)


def read_tables(folder: Path, package: Package) -> tuple[dict[str, Table], list[Violation]]:
    """Read every resource of the package; collect per-cell problems."""
    tables: dict[str, Table] = {}
    problems: list[Violation] = []
    for res in package.resources:
        table, found = read_table(folder, res)
        tables[res.name] = table
        problems.extend(found)
    return tables, problems


def validate_tables(tables: dict[str, Table]) -> list[Violation]:
    """Keys and the cross-field rules over already-read tables."""
    problems = list(check_keys(tables))
    for check in RULES:
        problems.extend(check(tables))
    return problems


def validate_folder(folder: Path) -> tuple[dict[str, Table], list[Violation]]:
    """Read and validate an evidence folder; return the tables and every violation found."""
    folder = Path(folder)
    if not (folder / "datapackage.json").is_file():
        return {}, [
            Violation(str(folder / "datapackage.json"), None, None, None, "file is missing")
        ]
    package = read_package(folder)
    from .evidence import Evidence

    names = {r.name for r in package.resources}
    absent = [n for n in Evidence.table_names() if n not in names]
    if absent:
        return {}, [
            Violation("datapackage.json", None, None, None, f"has no resource {n!r}")
            for n in absent
        ]
    tables, problems = read_tables(folder, package)
    if any(_unreadable(v) for v in problems):
        # a table that could not be read would make every rule that reads it report
        # follow-on problems (hundreds of them for one bad byte): report the cause alone
        return tables, [v for v in problems if _unreadable(v)]
    problems += validate_tables(tables)
    return tables, problems


def _unreadable(v: Violation) -> bool:
    """Whether ``v`` says a whole table could not be read (missing, not UTF-8, not CSV, no
    header)."""
    return v.column is None and (
        v.rule == "file is missing"
        or v.rule.startswith(("header missing", "is not valid UTF-8", "is not valid CSV"))
        or v.rule.startswith(("file is empty", "has no rows"))
    )


def count_by_file(violations: list[Violation]) -> Counter[str]:
    """How many violations each file has."""
    return Counter(v.file for v in violations)


# Rules of the tables added in release 2.1 register themselves on import.
from . import data_rules  # noqa: E402, F401
