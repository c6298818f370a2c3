"""Where a report may be written: the output rule (:mod:`secondop_stats.output_rule`) applied to
a report's files, checked before any kernel starts.

A report writes the file the user named (``-o``), its executed notebook and, for HTML, a
manifest beside it. The output's format follows its extension: ``.html``, or ``.pdf`` (the HTML
report printed by Chromium; the HTML itself is built in a temporary folder and not kept). Every
file besides the named one is replaced only when secondop wrote it, which each file shows in
its own way:

- an executed notebook carries a marker in its metadata (:data:`MARKER`);
- a manifest is JSON with ``"generator": "secondop"``;
- a report page or index has ``<meta name="generator" content="secondop">`` in its head;
- a PDF printed by a batch is recorded by its SHA-256 in the report's manifest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..output_rule import OutputRefused, Protected, companion_output, named_output
from .stamp import manifest_path, read_manifest, sha256_file

#: Output formats by extension.
FORMATS = {".html": "html", ".pdf": "pdf"}
#: Metadata key that marks an executed notebook written by ``secondop report``.
MARKER = "secondop_report"
#: What a page secondop wrote carries in its head.
GENERATOR_META = '<meta name="generator" content="secondop">'
#: The same tag with its attributes in either order (nbconvert reorders them).
_GENERATOR = re.compile(
    r'<meta(?=[^>]*\bname="generator")(?=[^>]*\bcontent="secondop")[^>]*>', re.IGNORECASE
)
#: Markers of pages written before the generator tag existed.
_LEGACY_PAGE_MARKS = ('class="so-stamp"', 'class="generated">Index generated')


@dataclass(frozen=True)
class OutputPlan:
    """The checked paths of one report: the output, its executed notebook, its format."""

    output: Path
    executed: Path
    format: str


def written_by_us(path: Path) -> bool:
    """Whether ``path`` is an executed notebook that ``secondop report`` wrote."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return False
    return isinstance(meta, dict) and MARKER in meta


def manifest_is_ours(path: Path) -> bool:
    """Whether ``path`` is a report manifest secondop wrote."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    return data.get("generator") == "secondop" or {"inputs_key", "code_sha256"} <= set(data)


def page_is_ours(path: Path) -> bool:
    """Whether ``path`` is a report page or batch index secondop wrote."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
            if _GENERATOR.search(head):
                return True
            fh.seek(0)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return False
    return any(mark in text for mark in _LEGACY_PAGE_MARKS)


def pdf_is_ours(pdf: Path, html: Path) -> bool:
    """Whether ``pdf`` is the PDF a batch printed of the report ``html`` (its SHA-256 is in the
    report's manifest)."""
    manifest = read_manifest(html)
    if manifest is None or not manifest_is_ours(manifest_path(html)):
        return False
    recorded = manifest.get("pdf_sha256")
    try:
        return recorded is not None and recorded == sha256_file(pdf)
    except OSError:
        return False


def plan_outputs(
    output: Path | str,
    *,
    executed: Path | None = None,
    evidence_dir: Path | None = None,
    template: Path | None = None,
) -> OutputPlan:
    """Check where a report will be written; raise
    :class:`~secondop_stats.output_rule.OutputRefused` (a ParameterError) naming the path.

    ``executed`` defaults to the output's name with ``.ipynb``. The output is the user's to
    replace; its executed notebook, failed notebook and manifest only when secondop wrote them.
    """
    protected = Protected.of(evidence_dir=evidence_dir, template=template)
    out = named_output(output, extensions=tuple(FORMATS), protected=protected)
    fmt = FORMATS[out.suffix.lower()]
    protected = protected.with_place("the report output", out)
    executed_path = Path(executed) if executed is not None else out.with_suffix(".ipynb")
    if executed_path.suffix.lower() != ".ipynb":
        raise OutputRefused(f"executed notebook {executed_path}: must end in .ipynb")
    hint = "name another file with --executed FILE, or move it"
    done = companion_output(
        executed_path,
        owned=written_by_us,
        protected=protected,
        what="the executed notebook",
        hint=hint,
    )
    companion_output(
        done.with_suffix(".failed.ipynb"),
        owned=written_by_us,
        protected=protected,
        what="the failed notebook",
        hint="move it first",
    )
    if fmt == "html":
        companion_output(
            manifest_path(out),
            owned=manifest_is_ours,
            protected=protected,
            what="the manifest",
            hint="move it, or name another output",
        )
    return OutputPlan(out, done, fmt)


def batch_files(html: Path, *, pdf: bool) -> dict[Path, Callable[[Path], bool]]:
    """The files a batch writes for one report, each with its ownership test."""
    from .pdf import pdf_path

    files: dict[Path, Callable[[Path], bool]] = {
        html: page_is_ours,
        html.with_suffix(".ipynb"): written_by_us,
        html.with_suffix(".failed.ipynb"): written_by_us,
        manifest_path(html): manifest_is_ours,
    }
    if pdf:
        files[pdf_path(html)] = lambda p, h=html: pdf_is_ours(p, h)
    return files


def foreign_files(html: Path, *, pdf: bool, protected: Protected) -> list[str]:
    """Why a batch may not write the report ``html``: one line per file of the same name that
    secondop did not write, link or protected place (empty when it may)."""
    problems = []
    for path, owned in batch_files(html, pdf=pdf).items():
        try:
            companion_output(
                path,
                owned=owned,
                protected=protected,
                what="a report file",
                hint="move it, or choose another --output-dir",
            )
        except OutputRefused as exc:
            problems.append(str(exc))
    return problems
