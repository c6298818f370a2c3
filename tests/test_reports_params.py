"""Report parameters: validated against the evidence before any kernel starts."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from secondop_stats import ParameterError
from secondop_stats.costs import PLANS
from secondop_stats.reports import build
from secondop_stats.reports.batch import DEFAULT_PLANS, default_set
from secondop_stats.reports.cli import add_report_commands
from secondop_stats.reports.params import (
    ALL,
    AUDIENCES,
    ReportParams,
    condition_groups,
    resolve,
    valid_values,
)

GROUPS = ("cancer", "musculoskeletal", "heart", "internal_medicine", "neurology", "mixed")


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="secondop")
    add_report_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to execute a notebook."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(build, "execute", refuse)
    monkeypatch.setattr("papermill.execute_notebook", refuse)


def test_valid_values_come_from_the_evidence(evidence) -> None:
    valid = valid_values(evidence)
    assert valid["condition"] == (ALL, *GROUPS)
    assert condition_groups(evidence) == GROUPS
    assert valid["plan"] == PLANS
    assert valid["audience"] == AUDIENCES
    assert valid["year"] == tuple(int(y) for y in evidence.part_b_deductible["year"])
    priced = evidence.providers.loc[evidence.providers["price_low_usd"].notna(), "provider_id"]
    assert set(valid["providers"]) == set(priced)


def test_resolve_fills_defaults(evidence) -> None:
    p = resolve(ReportParams(condition="cancer", plan="ppo"), evidence)
    assert p.year == int(evidence.part_b_deductible["year"].max())
    assert p.title and "cancer" in p.title and "PPO" in p.title
    assert p.providers is None
    assert p.slug == f"cancer-ppo-{p.year}-patients"
    assert resolve(ReportParams(title="  Mine  "), evidence).title == "Mine"


def test_provider_subset_is_kept_in_order_and_named_in_slug(evidence) -> None:
    ids = valid_values(evidence)["providers"][:2]
    p = resolve(ReportParams(providers=(ids[1], ids[0], ids[1])), evidence)
    assert p.providers == (ids[1], ids[0])
    assert p.slug != resolve(ReportParams(), evidence).slug


@pytest.mark.parametrize(
    ("field", "value", "listed"),
    [
        ("condition", "cancr", "musculoskeletal"),
        ("plan", "gold_plan", "medicare_part_b"),
        ("year", 1990, "2026"),
        ("audience", "doctors", "researchers"),
        ("providers", ("no-such-provider",), None),
    ],
)
def test_unknown_value_lists_valid_ones(evidence, field, value, listed) -> None:
    with pytest.raises(ParameterError) as err:
        resolve(ReportParams(**{field: value}), evidence)
    message = str(err.value)
    assert repr(value if field != "providers" else value[0]) in message
    assert "valid values:" in message
    expected = listed or valid_values(evidence)["providers"][0]
    assert expected in message


def test_all_problems_are_reported_at_once(evidence) -> None:
    with pytest.raises(ParameterError) as err:
        resolve(ReportParams(condition="x", plan="y", audience="z"), evidence)
    assert all(f"unknown {name}" in str(err.value) for name in ("condition", "plan", "audience"))


@pytest.mark.parametrize(
    "argv",
    [
        ["--condition", "oncology"],
        ["--plan", "platinum"],
        ["--year", "1999"],
        ["--audience", "everyone"],
        ["--providers", "nobody"],
    ],
)
def test_report_command_rejects_before_any_kernel(
    argv: list[str], tmp_path: Path, no_kernel: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = run_cli(["report", *argv, "-o", str(out / "r.html")])
    assert code == 2
    err = capsys.readouterr().err
    assert "valid values:" in err
    assert not out.exists()


def test_report_command_rejects_a_missing_evidence_folder(
    tmp_path: Path, no_kernel: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(["report", "--evidence", str(tmp_path / "nowhere"), "-o", str(tmp_path / "r")])
    assert code == 2
    assert "datapackage.json" in capsys.readouterr().err


def test_default_set_covers_every_group_and_plan(evidence) -> None:
    reports = default_set(evidence)
    assert len(reports) == (len(GROUPS) + 1) * len(DEFAULT_PLANS)
    assert {(r.condition, r.plan) for r in reports} == {
        (c, p) for c in (ALL, *GROUPS) for p in DEFAULT_PLANS
    }
    assert len({r.slug for r in reports}) == len(reports)
    assert all(r.year is not None and r.title for r in reports)


def test_default_set_can_be_narrowed(evidence) -> None:
    reports = default_set(evidence, conditions=["heart", "all"], plans=["hmo"])
    assert [(r.condition, r.plan) for r in reports] == [("heart", "hmo"), ("all", "hmo")]


@pytest.mark.parametrize("argv", [["--conditions", "hearts"], ["--plans", "gold"]])
def test_reports_command_rejects_unknown_values(
    argv: list[str], tmp_path: Path, no_kernel: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["reports", *argv, "--output-dir", str(tmp_path / "out")]) == 2
    assert "valid values:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_batch_order_spreads_condition_groups(evidence) -> None:
    from secondop_stats.reports.batch import Job, spread_by_condition

    reports = default_set(evidence, conditions=["cancer", "heart"], plans=["ppo", "hmo", "hmo"])
    todo = [
        (i, Job(p, Path(f"{i}.html"), "h", Path("nb"), None, 1.0)) for i, p in enumerate(reports)
    ]
    order = [job.params.condition for _, job in spread_by_condition(todo)]
    assert order == ["cancer", "heart", "cancer", "heart"]
    assert sorted(i for i, _ in spread_by_condition(todo)) == list(range(len(todo)))


def test_invalid_evidence_from_environment_stops_before_any_kernel(
    broken, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_kernel: None, capsys
) -> None:
    broken.set("conditions.csv", 0, "group", "not_a_group")
    monkeypatch.setenv("SECONDOP_EVIDENCE", str(broken.folder))
    assert run_cli(["report", "-o", str(tmp_path / "out" / "r.html")]) == 1
    assert run_cli(["reports", "--output-dir", str(tmp_path / "out")]) == 1
    assert "conditions.csv" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
