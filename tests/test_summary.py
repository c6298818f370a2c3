"""`secondop summary`: what the evidence holds, including rows with missing counts."""

from __future__ import annotations

from secondop_stats.cli import main

from .conftest import EvidenceCopy


def test_summary_lists_tables_and_headline_figures(capsys) -> None:
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "figures" in out and "guidance" in out
    assert "Meyer 2015" in out and "of 6,791" in out


def test_summary_survives_missing_denominator(broken: EvidenceCopy, capsys) -> None:
    i = broken.find(
        "figures.csv",
        lambda r: (
            r["study_id"] == "meyer2015"
            and r["source_id"] == "meyer2015"
            and r["metric"] == "diagnosis_changed"
        ),
    )
    broken.set("figures.csv", i, "denominator", "")
    assert main(["summary", str(broken.folder)]) == 0
    assert "Meyer 2015" in capsys.readouterr().out


def test_summary_missing_folder_is_a_clear_error(tmp_path, capsys) -> None:
    assert main(["summary", str(tmp_path / "nowhere")]) == 2
    assert "datapackage.json" in capsys.readouterr().err
