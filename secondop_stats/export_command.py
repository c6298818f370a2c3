"""``secondop export``: the explorer's downloads from the command line.

The figures of a selection as spreadsheet-safe CSV, or their references as BibTeX or CSL-JSON,
chosen with the explorer's filters (the same query as the dashboard) and written atomically to
``-o FILE`` or printed. Filter values are checked against the data before anything is written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .atomic import write_atomic
from .csvsafe import to_csv
from .errors import ParameterError
from .evidence import load_evidence
from .output_rule import Protected, named_output
from .query.figures import prepared_evidence, select_figures
from .query.references import CSV_COLUMNS, ReferenceExporter, cited_source_ids
from .query.selection import GROUPS, Filters, condition_choice
from .query.state import one_of

#: What each format may be written as: the extensions a file of that format must end in.
FORMATS = {"csv": (".csv",), "bibtex": (".bib", ".bibtex"), "csl-json": (".json",)}


def _filters(args: argparse.Namespace, figures) -> Filters:
    """The explorer's filters from the command line, each value checked against the data."""
    metric = design = condition = ""
    if args.metric is not None:
        metric = one_of(sorted(figures["metric"].unique()))("--metric", args.metric)
    if args.design is not None:
        design = one_of(sorted(figures["design"].dropna().unique()))("--design", args.design)
    if args.condition is not None:
        valid = [*GROUPS, *sorted(figures["condition"].unique())]
        condition = condition_choice(one_of(valid)("--condition", args.condition))
    return Filters(
        metric=metric,
        condition=condition,
        design=design,
        primary_only=args.primary,
        observed_only=args.observed,
    )


def run_export(args: argparse.Namespace) -> int:
    """Export the selection; exit 2 for a bad parameter, 1 for bad data."""
    folder = args.evidence or os.environ.get("SECONDOP_EVIDENCE") or None
    evidence = load_evidence(Path(folder) if folder else None)
    data = prepared_evidence(evidence)
    try:
        filters = _filters(args, data.figures)
        output = None
        if args.output is not None:
            output = named_output(
                args.output,
                extensions=FORMATS[args.format],
                protected=Protected.of(evidence_dir=evidence.path),
                format_name=args.format,
            )
    except ParameterError as exc:
        print(f"secondop export: error: {exc}", file=sys.stderr)
        return 2
    rows = data.rows(select_figures(data, filters))
    if args.format == "csv":
        text = to_csv(rows, CSV_COLUMNS)
    else:
        exporter = ReferenceExporter(evidence.sources)
        cited = cited_source_ids(rows)
        text = exporter.bibtex(cited) if args.format == "bibtex" else exporter.csl_json(cited)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text.encode("utf-8"))
        print(f"{output} ({len(rows)} figures)", file=sys.stderr)
    return 0


def add_export_command(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export`` to the ``secondop`` command."""
    p = subparsers.add_parser(
        "export",
        help="export the figures of a selection (CSV) or their references (BibTeX, CSL-JSON)",
        description="The explorer's downloads from the command line, with its filters.",
    )
    p.add_argument("--format", required=True, choices=tuple(FORMATS), help="what to write")
    p.add_argument("--evidence", metavar="DIR", help="evidence folder (default: the shipped one)")
    p.add_argument("--metric", help="a metric id, e.g. diagnosis_changed")
    p.add_argument("--condition", help="a condition group (cancer, ...) or a condition id")
    p.add_argument("--design", help="a study design, e.g. pathology_review")
    p.add_argument("--primary", action="store_true", help="primary publications only")
    p.add_argument("--observed", action="store_true", help="observed studies only")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="file to write, ending in .csv, .bib or .json as the format says (default: print)",
    )
    p.set_defaults(func=run_export)
