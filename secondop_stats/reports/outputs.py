"""Where a report may be written: checked before any kernel starts, so nothing is ever lost.

A report writes the file the user named (``-o``), its executed notebook and (for HTML) a
manifest beside it. The output's format follows its extension: ``.html``, or ``.pdf`` (the HTML
report printed by Chromium; the HTML itself is built in a temporary folder and not kept). The
command refuses a folder, a path inside the evidence folder, the report template itself, and an
executed-notebook path that holds a file this command did not write. Executed notebooks carry a
marker in their metadata so that a re-run may replace its own earlier output and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError

#: Output formats by extension.
FORMATS = {".html": "html", ".pdf": "pdf"}
#: Metadata key that marks an executed notebook written by ``secondop report``.
MARKER = "secondop_report"


@dataclass(frozen=True)
class OutputPlan:
    """The checked paths of one report: the output, its executed notebook, its format."""

    output: Path
    executed: Path
    format: str


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def written_by_us(path: Path) -> bool:
    """Whether ``path`` is an executed notebook that ``secondop report`` wrote."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return False
    return isinstance(meta, dict) and MARKER in meta


def _check_place(path: Path, what: str, protected: dict[str, Path]) -> Path:
    """``path`` resolved (symlinks followed), refused when it is a folder or protected."""
    resolved = path.expanduser().resolve()
    if resolved.is_dir():
        raise ParameterError(f"{what} {path} is a folder; name a file")
    for name, place in protected.items():
        place = place.resolve()
        if resolved == place or (place.is_dir() and _inside(resolved, place)):
            raise ParameterError(f"refusing to write {what} {path}: it is {name} ({place})")
    return resolved


def plan_outputs(
    output: Path,
    *,
    executed: Path | None = None,
    evidence_dir: Path | None = None,
    template: Path | None = None,
) -> OutputPlan:
    """Check where a report will be written; raise :class:`ParameterError` naming the path.

    ``executed`` defaults to the output's name with ``.ipynb``. An existing executed notebook is
    replaced only if this command wrote it; an existing output is the user's to replace.
    """
    output = Path(output)
    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise ParameterError(
            f"output {output}: unknown format {output.suffix or '(no extension)'}; "
            f"valid extensions: {', '.join(FORMATS)}"
        )
    protected = {}
    if evidence_dir is not None:
        protected["inside the evidence folder"] = Path(evidence_dir)
    if template is not None:
        protected["the report template"] = Path(template)
    out = _check_place(output, "output", protected)
    executed = Path(executed) if executed is not None else out.with_suffix(".ipynb")
    if executed.suffix.lower() != ".ipynb":
        raise ParameterError(f"executed notebook {executed}: must end in .ipynb")
    protected["the report output"] = out
    done = _check_place(executed, "the executed notebook", protected)
    if done.exists() and not written_by_us(done):
        raise ParameterError(
            f"{done} exists and was not written by secondop report; "
            "name another file with --executed FILE, or move it"
        )
    failed = done.with_suffix(".failed.ipynb")
    if failed.exists() and not written_by_us(failed):
        raise ParameterError(
            f"{failed} exists and was not written by secondop report; move it first"
        )
    return OutputPlan(out, done, fmt)
