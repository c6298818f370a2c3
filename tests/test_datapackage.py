"""The standard Frictionless tools accept the shipped package and agree on broken copies."""

from __future__ import annotations

import frictionless
import pytest

from secondop_stats.paths import evidence_dir

from .conftest import EvidenceCopy


def _report(folder):
    return frictionless.validate(str(folder / "datapackage.json"))


@pytest.mark.slow
def test_frictionless_validates_shipped_package() -> None:
    report = _report(evidence_dir())
    assert report.valid, report.flatten(["type", "note", "rowNumber", "fieldName"])


@pytest.mark.slow
def test_frictionless_agrees_on_a_broken_copy(broken: EvidenceCopy) -> None:
    broken.set("coverage.csv", 0, "plan", "gold_plus")
    report = _report(broken.folder)
    assert not report.valid
    assert any("gold_plus" in str(e) for e in report.flatten(["note", "cell"]))


def test_descriptor_lists_every_csv() -> None:
    folder = evidence_dir()
    descriptor = frictionless.Package(str(folder / "datapackage.json"))
    listed = {r.path for r in descriptor.resources}
    present = {p.name for p in folder.glob("*.csv") if not p.name.endswith("_draft.csv")}
    assert listed == present
