"""Fuzzing ``secondop validate``: random bytes and random mutations of the evidence files get a
clean answer (exit 0, 1 or 2, messages that name the file) and never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secondop_stats.cli import main
from secondop_stats.paths import evidence_dir

CSVS = sorted(p.name for p in evidence_dir().glob("*.csv"))

MUTATION = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 10**6), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 200)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(b"")),
    st.tuples(st.just("noise"), st.just(0), st.binary(max_size=400)),
)


def mutate(data: bytes, mutation: tuple) -> bytes:
    kind, where, what = mutation
    at = where % (len(data) + 1)
    if kind == "replace":
        return data[:at] + what + data[at + len(what) :]
    if kind == "insert":
        return data[:at] + what + data[at:]
    if kind == "delete":
        return data[:at] + data[at + what :]
    if kind == "truncate":
        return data[:at]
    return what


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pristine") / "evidence"
    shutil.copytree(evidence_dir(), folder)
    return folder


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=st.sampled_from([*CSVS, "datapackage.json"]), mutations=st.lists(MUTATION, max_size=3))
def test_validate_answers_any_mutation_cleanly(
    pristine: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    file: str,
    mutations: list[tuple],
) -> None:
    folder = tmp_path_factory.mktemp("fuzz") / "evidence"
    shutil.copytree(pristine, folder)
    data = (folder / file).read_bytes()
    for mutation in mutations:
        data = mutate(data, mutation)
    (folder / file).write_bytes(data)
    status = main(["validate", str(folder)])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert status in (0, 1, 2), text
    assert "Traceback" not in text and "internal error" not in text, text
    if status:
        lines = captured.err.strip().splitlines()
        assert lines, "a refusal says why"
        assert len(lines) <= 60, f"{len(lines)} lines for one mutated file"
