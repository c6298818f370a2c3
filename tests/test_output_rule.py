"""The output rule of every command that writes: nothing but the named output changes.

A property test drives ``export -o`` and the batch's folder check with random existing files,
links, folders, pipes and modes at the destination; the cases below pin each fault class of
the rule once: symlinks, foreign files, protected places, extensions, modes, empty paths and
unwritable places.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secondop_stats import atomic
from secondop_stats.cli import main
from secondop_stats.output_rule import OutputRefused, Protected, output_folder
from secondop_stats.paths import evidence_dir
from secondop_stats.reports import batch
from secondop_stats.reports.outputs import plan_outputs
from secondop_stats.reports.params import ReportParams, resolve


def snapshot(*folders: Path) -> dict[str, tuple]:
    """Every entry under ``folders``: its kind, mode, link target or content digest."""
    state: dict[str, tuple] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            st_ = os.lstat(path)
            if stat.S_ISLNK(st_.st_mode):
                state[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISREG(st_.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                state[str(path)] = ("file", stat.S_IMODE(st_.st_mode), digest)
            else:
                state[str(path)] = ("other", stat.S_IFMT(st_.st_mode))
    return state


ENTRY = st.sampled_from(["file", "link-to-file", "link-to-missing", "folder", "fifo"])
NAMES = st.sampled_from(["out.csv", "out.bib", "notes.ipynb", "index.html", "x.json", "data"])
MODES = st.sampled_from([0o600, 0o640, 0o644, 0o664])


def make(folder: Path, outside: Path, name: str, kind: str, mode: int) -> None:
    path = folder / name
    if kind == "file":
        path.write_bytes(os.urandom(16))
        os.chmod(path, mode)
    elif kind == "link-to-file":
        target = outside / f"target-{name}"
        target.write_bytes(b"the user's file elsewhere")
        path.symlink_to(target)
    elif kind == "link-to-missing":
        path.symlink_to(outside / f"missing-{name}")
    elif kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    existing=st.dictionaries(NAMES, st.tuples(ENTRY, MODES), max_size=5),
    target=NAMES,
    fmt=st.sampled_from(["csv", "bibtex", "csl-json"]),
)
def test_export_changes_nothing_but_its_named_output(
    tmp_path_factory: pytest.TempPathFactory,
    existing: dict[str, tuple[str, int]],
    target: str,
    fmt: str,
) -> None:
    root = tmp_path_factory.mktemp("rule")
    folder, outside = root / "out", root / "outside"
    folder.mkdir()
    outside.mkdir()
    for name, (kind, mode) in existing.items():
        make(folder, outside, name, kind, mode)
    before = snapshot(folder, outside)
    status = main(["export", "--format", fmt, "--metric", "diagnosis_changed", "-o",
                   str(folder / target)])
    after = snapshot(folder, outside)
    named = str(folder / target)
    assert {k: v for k, v in after.items() if k != named} == {
        k: v for k, v in before.items() if k != named
    }, "something besides the named output changed"
    if status == 0:
        assert after[named][0] == "file"
        if named in before and before[named][0] == "file":
            assert after[named][1] == before[named][1], "the replaced file's mode is kept"
    else:
        assert status == 2 and after.get(named) == before.get(named)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    existing=st.dictionaries(
        st.sampled_from(
            [
                "index.html",
                "heart-self_pay-2026-patients.html",
                "heart-self_pay-2026-patients.ipynb",
                "heart-self_pay-2026-patients.manifest.json",
                "heart-self_pay-2026-patients.failed.ipynb",
                "heart-self_pay-2026-patients.pdf",
                ".heart.tmp",
            ]
        ),
        st.tuples(ENTRY, MODES),
        max_size=4,
    )
)
def test_a_batch_is_refused_before_it_touches_a_foreign_file(
    evidence, tmp_path_factory: pytest.TempPathFactory, existing: dict[str, tuple[str, int]]
) -> None:
    """Any file, link, folder or pipe of the user's under a name the batch writes refuses the
    batch before anything runs; names the batch does not write are left alone."""
    root = tmp_path_factory.mktemp("batch")
    folder, outside = root / "out", root / "outside"
    folder.mkdir()
    outside.mkdir()
    for name, (kind, mode) in existing.items():
        make(folder, outside, name, kind, mode)
    before = snapshot(folder, outside)
    reports = [resolve(ReportParams(condition="heart", plan="self_pay"), evidence)]
    conflicts = set(existing) - {".heart.tmp"}
    try:
        batch.check_folder_files(reports, folder, pdf=True, protected=Protected.of())
    except OutputRefused as refused:
        assert conflicts, f"refused with nothing in the way: {refused}"
        for name in conflicts:
            assert name in str(refused) or "index.html" in str(refused)
    else:
        assert not conflicts
    assert snapshot(folder, outside) == before


# --- one case per fault class --------------------------------------------------------------


def test_a_symlink_is_never_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("mine", encoding="utf-8")
    for name, argv in (
        ("out.csv", ["export", "--format", "csv"]),
        ("out.html", ["report"]),
    ):
        link = tmp_path / name
        link.symlink_to(target)
        assert main([*argv, "-o", str(link)]) == 2
        assert "symbolic link" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine"


def test_a_users_manifest_beside_the_report_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "plan.manifest.json").write_text('{"my": "notes"}', encoding="utf-8")
    with pytest.raises(OutputRefused, match=r"plan\.manifest\.json exists and was not written"):
        plan_outputs(tmp_path / "plan.html")


def test_export_refuses_an_extension_that_is_not_its_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = tmp_path / "notes.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    assert main(["export", "--format", "bibtex", "-o", str(notebook)]) == 2
    assert "unknown format .ipynb for bibtex; valid extensions: .bib, .bibtex" in (
        capsys.readouterr().err
    )
    assert notebook.read_text(encoding="utf-8") == "{}"
    assert main(["export", "--format", "csv", "-o", os.devnull]) == 2  # never a device


def test_a_private_file_stays_private_when_replaced(tmp_path: Path) -> None:
    out = tmp_path / "cancer.csv"
    out.write_text("old", encoding="utf-8")
    os.chmod(out, 0o600)
    assert main(["export", "--format", "csv", "--condition", "cancer", "-o", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text(encoding="utf-8") != "old"


def test_the_shipped_evidence_is_protected_even_when_another_copy_is_used(
    broken, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = evidence_dir()
    before = snapshot(shipped)
    assert main(["report", "--evidence", str(broken.folder), "-o", str(shipped / "x.html")]) == 2
    assert "inside the shipped evidence folder" in capsys.readouterr().err
    with pytest.raises(OutputRefused, match="evidence folder"):
        output_folder(shipped, protected=Protected.of(evidence_dir=broken.folder))
    assert snapshot(shipped) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "-o", ""], "an empty path names no file"),
        (["reports", "--output-dir", ""], "an empty path names no folder"),
        (["export", "--format", "csv", "-o", ""], "an empty path names no file"),
        (["export", "--format", "csv", "--metric", ""], "--metric=''"),
        (["report", "-o", "{file}/x.html"], "a part of the path is not a folder"),
        (["reports", "--output-dir", "{file}"], "is not a folder"),
        (["report", "-o", "/proc/x.html"], "files cannot be created in /proc"),
    ],
)
def test_meaningless_or_unwritable_places_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    assert main([a.format(file=a_file) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_must_be_one_or_more(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["reports", "--jobs", jobs])
    assert stop.value.code == 2 and "--jobs" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "no space left on the device"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_a_failed_write_replaces_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    """All or nothing: when the second file cannot be written (a full disk), the first is not
    replaced either, no temporary file is left, and the error names the place and reason."""
    first, second = tmp_path / "r.html", tmp_path / "r.ipynb"
    first.write_text("previous report", encoding="utf-8")
    real_fill = atomic._fill

    def failing(tmp: Path, target: Path, data: bytes) -> None:
        if target == second:
            raise atomic.WriteFailed(target, atomic.reason_of(OSError(code, "x")), code)
        real_fill(tmp, target, data)

    monkeypatch.setattr(atomic, "_fill", failing)
    with pytest.raises(atomic.WriteFailed) as failed:
        atomic.write_all({first: b"new report", second: b"{}"})
    assert str(failed.value) == f"cannot write {second}: {reason}"
    assert first.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_validate_honours_the_evidence_variable(
    broken, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken.set("cpi_u.csv", 0, "cpi_u", "0")
    monkeypatch.setenv("SECONDOP_EVIDENCE", str(broken.folder))
    assert main(["validate"]) == 1
    assert "cpi_u.csv" in capsys.readouterr().err
