"""Hostile or broken evidence folders are refused with an EvidenceError naming the place,
never accepted and never a raw traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secondop_stats import EvidenceError, load_evidence
from secondop_stats.cli import main
from tests.conftest import EvidenceCopy


def refused(folder: Path) -> str:
    with pytest.raises(EvidenceError) as info:
        load_evidence(folder)
    return str(info.value)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999", "Infinity"])
def test_non_finite_numbers_are_refused(broken: EvidenceCopy, value: str) -> None:
    row = broken.find("cpi_u.csv")
    line = broken.set("cpi_u.csv", row, "cpi_u", value)
    message = refused(broken.folder)
    assert f"cpi_u.csv, line {line}, column cpi_u, value '{value}': is not a finite number" in (
        message
    )


def test_integers_too_large_are_refused(broken: EvidenceCopy) -> None:
    row = broken.find("figures.csv", lambda r: r["numerator"] != "")
    line = broken.set("figures.csv", row, "numerator", str(2**63))
    assert f"figures.csv, line {line}, column numerator" in refused(broken.folder)
    assert "too large" in refused(broken.folder)


@pytest.mark.parametrize("file", ["cpi_u.csv", "figures.csv", "studies.csv"])
def test_header_only_tables_are_refused(broken: EvidenceCopy, file: str) -> None:
    header, _, _ = broken.read(file)
    broken.write(file, header, [])
    assert f"{file}: has no rows" in refused(broken.folder)


def test_non_utf8_bytes_name_file_and_line(broken: EvidenceCopy) -> None:
    path = broken.folder / "guidance.csv"
    data = path.read_bytes().split(b"\n")
    data[3] = data[3] + b" caf\xe9"
    path.write_bytes(b"\n".join(data))
    assert "guidance.csv, line 4: is not valid UTF-8 (byte 0xe9" in refused(broken.folder)


def test_long_text_cells_are_read(broken: EvidenceCopy) -> None:
    row = broken.find("figures.csv")
    broken.set("figures.csv", row, "notes", "long note " * 30_000)  # 300 kB
    ev = load_evidence(broken.folder)
    assert ev.figures["notes"].str.len().max() >= 300_000


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "/etc/passwd", "../outside.csv", "sub/../../x.csv"]
)
def test_resource_paths_must_stay_inside_the_folder(broken: EvidenceCopy, path: str) -> None:
    descriptor = broken.folder / "datapackage.json"
    raw = json.loads(descriptor.read_text(encoding="utf-8"))
    raw["resources"][0]["path"] = path
    descriptor.write_text(json.dumps(raw), encoding="utf-8")
    message = refused(broken.folder)
    assert "datapackage.json" in message and "leads outside the evidence folder" in message
    assert "root:" not in message


def test_symlinks_out_of_the_folder_are_refused(broken: EvidenceCopy, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text((broken.folder / "cpi_u.csv").read_text(encoding="utf-8"))
    (broken.folder / "cpi_u.csv").unlink()
    (broken.folder / "cpi_u.csv").symlink_to(outside)
    assert "leads outside the evidence folder" in refused(broken.folder)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"resources": [', "is not valid JSON"),
        ("[1, 2]", "must be a JSON object with a list of resources"),
        ('{"name": "x"}', "must be a JSON object with a list of resources"),
        ('{"resources": [{"name": "sources"}]}', "needs a name, a path and a schema"),
        ('{"resources": []}', "has no resource 'sources'"),
    ],
)
def test_malformed_descriptors_are_refused(broken: EvidenceCopy, text: str, expected: str) -> None:
    (broken.folder / "datapackage.json").write_text(text, encoding="utf-8")
    message = refused(broken.folder)
    assert "datapackage.json" in message and expected in message


def test_validate_command_never_shows_a_traceback(
    broken: EvidenceCopy, capsys: pytest.CaptureFixture[str]
) -> None:
    (broken.folder / "datapackage.json").write_text("{oops", encoding="utf-8")
    assert main(["validate", str(broken.folder)]) == 1
    err = capsys.readouterr().err
    assert "datapackage.json" in err and "Traceback" not in err


def test_validate_command_in_a_fresh_process(broken: EvidenceCopy) -> None:
    path = broken.folder / "studies.csv"
    path.write_bytes(path.read_bytes() + b"\xff\xfe broken\n")
    run = subprocess.run(
        [sys.executable, "-m", "secondop_stats.cli", "validate", str(broken.folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "studies.csv, line" in run.stderr and "Traceback" not in run.stderr
