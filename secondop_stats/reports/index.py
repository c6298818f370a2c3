"""The index page of a batch: every report with its parameters, its status and a link.

A static page (no script) beside the reports; failed reports are listed with their error and
no link, so that a reader never follows a link to a stale or missing report. A report's PDF is
linked when it exists and was printed from the current HTML; a PDF that could not be printed is
named with its error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..evidence import Evidence
from ..labels import PLAN_LABELS
from .build import BuildResult
from ..atomic import write_atomic
from .fragments import esc
from .params import GROUP_LABELS
from .pdf import current_pdf
from .stamp import generated_at, read_manifest

INDEX_NAME = "index.html"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933;
  max-width: 1100px; margin: 0 auto; padding: 1.5em; line-height: 1.5; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
p.lead { color: #52606d; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th { background: #f0f4f8; text-align: left; border-bottom: 2px solid #bcccdc; padding: 6px 8px; }
td { border-bottom: 1px solid #e4e7eb; padding: 5px 8px; vertical-align: top; }
td.failed { color: #8d2b0b; }
.muted { color: #616e7c; font-size: 0.9em; }
footer { margin-top: 2em; color: #52606d; font-size: 0.9em; overflow-wrap: anywhere; }
a:link, a:visited { text-decoration: underline; }
/* on a phone each report becomes a card: no sideways scrolling */
@media (max-width: 640px) {
  body { padding: 0.8em; }
  table, thead, tbody, tr, td { display: block; width: auto; }
  thead { position: absolute; left: -9999px; }
  tr { border: 1px solid #e4e7eb; border-radius: 6px; margin-bottom: 0.8em; padding: 0.3em; }
  td { border: none; padding: 3px 6px; }
  td::before { content: attr(data-label) ": "; font-weight: 600; color: #52606d; }
  td:first-child::before { content: ""; }
}
"""

_STATUS = {
    "built": "built now",
    "skipped": "up to date",
    "failed": "FAILED",
    "cancelled": "not built: the batch was stopped",
}


def _row(result: BuildResult, folder: Path) -> str:
    p = result.params
    condition = GROUP_LABELS.get(p.condition, p.condition)
    plan = PLAN_LABELS.get(p.plan, p.plan)
    providers = "all priced" if p.providers is None else ", ".join(p.providers)
    if result.ok:
        rel = result.html.relative_to(folder) if result.html.is_relative_to(folder) else result.html
        nb = rel.with_suffix(".ipynb")
        manifest = read_manifest(result.html) or {}
        built = manifest.get("generated", "")
        extras = [f'<a href="{esc(nb.as_posix())}">notebook</a>']
        if current_pdf(result.html):
            extras.append(f'<a href="{esc(rel.with_suffix(".pdf").as_posix())}">PDF</a>')
        title = (
            f'<a href="{esc(rel.as_posix())}">{esc(p.title)}</a>'
            f' <span class="muted">({", ".join(extras)})</span>'
        )
        status = f"{esc(_STATUS.get(result.status, result.status))}"
        if built:
            status += f'<br><span class="muted">{esc(built)}</span>'
        cls = ""
        if result.error:  # the report is good, its PDF could not be printed
            status += f"<br>{esc(result.error)}"
            cls = ' class="failed"'
    else:
        title = esc(p.title)
        status = (
            _STATUS["cancelled"]
            if result.status == "cancelled"
            else f"{_STATUS['failed']}: {esc(result.error or 'unknown error')}"
        )
        cls = ' class="failed"'
    cells = [title, esc(condition), esc(plan), esc(p.year), esc(p.audience), esc(providers)]
    body = "".join(
        f'<td data-label="{label}">{c}</td>' for label, c in zip(_COLUMNS, cells, strict=False)
    )
    return f'<tr>{body}<td data-label="Status"{cls}>{status}</td></tr>'


_COLUMNS = ("Report", "Condition", "Insurance", "Year", "Audience", "Providers", "Status")


def index_html(results: Sequence[BuildResult], folder: Path, *, evidence: Evidence) -> str:
    """The index page for ``results`` whose reports live in ``folder``."""
    failed = [r for r in results if not r.ok]
    summary = f"{len(results)} report{'' if len(results) == 1 else 's'}"
    if failed:
        summary += f", {len(failed)} failed"
    no_pdf = sum(r.ok and r.error is not None for r in results)
    if no_pdf:
        summary += f", {no_pdf} PDF{'' if no_pdf == 1 else 's'} not written"
    rows = "\n".join(_row(r, folder) for r in results)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="secondop">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Second-opinion evidence reports</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Second-opinion evidence reports</h1>
<p class="lead">How often a second opinion changes the diagnosis or the treatment, what it costs
and what a patient pays, by condition and insurance. {esc(summary)}.</p>
<table>
<thead><tr><th>Report</th><th>Condition</th><th>Insurance</th><th>Year</th><th>Audience</th>
<th>Providers</th><th>Status</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<footer>
<p>secondop {esc(__version__)} · evidence data hash {esc(evidence.data_hash)}</p>
<p class="generated">Index generated {esc(generated_at())}</p>
</footer>
</body>
</html>
"""


def write_index(results: Sequence[BuildResult], folder: Path, *, evidence: Evidence) -> Path:
    """Write ``folder/index.html`` atomically and return its path."""
    path = Path(folder) / INDEX_NAME
    write_atomic(path, index_html(results, Path(folder), evidence=evidence).encode("utf-8"))
    return path
