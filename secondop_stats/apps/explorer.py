"""Evidence explorer: filter the reported figures, see them in a table and a forest plot with
pooled estimates per subgroup, read any figure's provenance, and export the selection.

``build_explorer()`` returns an :class:`EvidenceExplorer`; display its ``.widget``. Its state
(``selection``, ``pool``, ``selected_figure``, ``exports``) follows the widgets, so tests and
notebooks can set a widget's value and read the result.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import ipywidgets as w
import pandas as pd

from ..errors import ParameterError
from ..evidence import Evidence
from ..forest import ForestCanvas, forest_rows
from ..query.figures import SOURCE_CLASSES, PreparedEvidence, prepared_evidence
from ..query.pooling import SHARED_POOLS, PoolOutcome
from ..query.selection import (
    ALL,
    CONDITION_PREFIX,
    GROUP_PREFIX,
    GROUPS,
    Filters,
    apply_filters,
    condition_choice,
    condition_options,
)
from ..query.state import as_bool, many_of, one_of, parse_state, to_query
from ..text import interval, percent
from .address import AddressBar
from .chart_downloads import ChartDownloads
from .controls import (
    Html,
    YearRange,
    checkbox,
    fitted,
    image_html,
    legible_width,
    scroll_region,
)
from .exports import ExportFile, ReferenceExporter, export_downloads, export_files
from .file_download import FileDownloads
from .html import STYLE, Safe, esc, html_table, tag
from .provenance import provenance_card

#: Subgroups the pooled estimate can be split by (a column of the figure table, or none).
POOL_BY: dict[str, str] = {
    "condition_group": "Condition group",
    "condition": "Condition",
    "design": "Study design",
    "": "No subgroups",
}

_TABLE_COLUMNS = {
    "Study": "label",
    "Metric": "metric_label",
    "Condition": "condition_label",
    "Year": "year",
    "n": lambda r: "" if pd.isna(r["n_used"]) else f"{int(r['n_used']):,}",
    "Reported": "percent_text",
    "95% interval": "interval_text",
    "Source": lambda r: SOURCE_CLASSES.get(r["source_class"], r["source_class"]),
}
_WIDE = {"description_width": "110px"}


class EvidenceExplorer:
    """The explorer's widgets, its current state and its root container ``widget``."""

    def __init__(self, data: PreparedEvidence) -> None:
        self.data = data
        figures = data.figures
        self._pools = SHARED_POOLS
        self._canvas = ForestCanvas()
        # Row labels are matplotlib's default 10 pt: the width that keeps them at 10 px.
        self._legible_px = legible_width(self._canvas.figure.get_figwidth(), 10)
        self._references = ReferenceExporter(data.evidence.sources)
        self._updating = False
        self._setting = False
        metrics = data.evidence.metrics
        self._definitions = {
            m: (label, text)
            for m, label, text in zip(
                metrics["metric"], metrics["label"], metrics["description"], strict=True
            )
        }

        metrics = figures.groupby("metric").size()
        by_label = sorted(
            ((f"{data.label('metric', m)} ({n})", m) for m, n in metrics.items()),
            key=lambda o: o[0],
        )
        metric_options = [("All metrics", ALL), *by_label]
        self.metric = w.Dropdown(
            options=metric_options,
            value=ALL,
            description="Metric",
            style=_WIDE,
            layout=fitted("420px"),
        )
        self.condition = w.Dropdown(
            options=condition_options(
                data.evidence.conditions,
                figures["condition"].unique(),
                lambda g: data.label("condition_group", g),
            ),
            value=ALL,
            description="Condition",
            style=_WIDE,
            layout=fitted("420px"),
        )
        designs = sorted(figures["design"].dropna().unique(), key=lambda d: data.label("design", d))
        self.design = w.Dropdown(
            options=[("All designs", ALL)] + [(data.label("design", d), d) for d in designs],
            value=ALL,
            description="Study design",
            style=_WIDE,
            layout=fitted("420px"),
        )
        years = figures["year"].dropna()
        first, last = int(years.min()), int(years.max())
        self.years = YearRange(first, last, style=_WIDE, layout=fitted("290px"))
        present = set(figures["source_class"])
        self.source_classes = {
            key: w.Checkbox(
                value=True,
                description=label,
                indent=False,
                layout=w.Layout(width="auto", margin="0 12px 0 0"),
            )
            for key, label in SOURCE_CLASSES.items()
            if key in present
        }
        self.primary_only = checkbox("Primary publications only", value=False)
        self.observed = checkbox("Observed studies only", value=False)
        self.pool_by = w.Dropdown(
            options=[(v, k) for k, v in POOL_BY.items()],
            value="condition_group",
            description="Pool by",
            style=_WIDE,
            layout=fitted("420px"),
        )
        self.observed_only = checkbox("Pool observed studies only", value=True)
        self.figure = w.Select(
            options=[], rows=9, description="Figure", style=_WIDE, layout=w.Layout(width="100%")
        )

        self.status = Html()
        self.table_view = Html(layout=w.Layout(width="100%"))
        self.plot = Html(layout=w.Layout(width="100%", max_width="1000px"))
        self.pool_view = Html()
        self.provenance = Html(layout=w.Layout(width="100%"))
        self.downloads = FileDownloads(export_downloads(lambda: self.rows, self._references))
        self.metric.add_class("so-explorer-metric")
        self.condition.add_class("so-explorer-condition")
        self.figure.add_class("so-explorer-figure")
        for view, name in (
            (self.table_view, "table"),
            (self.plot, "plot"),
            (self.status, "status"),
            (self.provenance, "provenance"),
            (self.pool_view, "pooling"),
            (self.downloads, "downloads"),
        ):
            view.add_class(f"so-explorer-{name}")

        self.selection: pd.DataFrame = figures.iloc[0:0]
        self.rows: list[dict] = []
        self.pool = PoolOutcome(None, "")
        self.selected_figure: str | None = None
        self.svg: bytes = b""

        self.address = AddressBar()
        self.plot_downloads = ChartDownloads(
            "secondop_forest_plot", lambda: self.svg, self._canvas.png
        )
        self.plot_downloads.add_class("so-explorer-plot-downloads")
        self.widget = self._layout()
        self.widget.add_class("so-app")
        filters = [
            self.metric,
            self.condition,
            self.design,
            self.years,
            self.primary_only,
            self.observed,
            *self.source_classes.values(),
        ]
        for control in filters:
            control.observe(self._on_filter, names="value")
        for control in (self.pool_by, self.observed_only):
            control.observe(self._on_pooling, names="value")
        self.figure.observe(self._on_figure, names="value")
        self._defaults: dict[str, str] | None = None
        self.update()
        self._defaults = self.query()
        self._show_address()

    # --- layout ------------------------------------------------------------------------

    def _layout(self) -> w.VBox:
        header = Html(
            STYLE + "<h2>How often does a second opinion change the diagnosis or treatment?</h2>"
            "<p class='so-lead'>Every published figure in the evidence, with its study, sample "
            "size and source. Filter the figures, compare them in the forest plot (pooled "
            "estimates appear when one metric is selected), and open any figure to read the "
            "quote it comes from.</p>"
        )
        kinds = w.HBox(
            [
                w.Label("Kind of source:", layout=w.Layout(width="110px")),
                *self.source_classes.values(),
                self.primary_only,
                self.observed,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        filters = w.VBox(
            [
                w.HBox([self.metric, self.condition], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([self.design, self.years], layout=w.Layout(flex_flow="row wrap")),
                kinds,
            ]
        )
        pooling = w.HBox(
            [self.pool_by, self.observed_only],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        table_box = self.table_view
        return w.VBox(
            [
                header,
                self.address,
                filters,
                self.status,
                Html("<h3>Matching figures</h3>"),
                table_box,
                Html("<h3>Forest plot</h3>"),
                pooling,
                self.pool_view,
                self.plot,
                self.plot_downloads,
                Html("<h3>Where a figure comes from</h3>"),
                self.figure,
                self.provenance,
                Html("<h3>Download the selection</h3>"),
                self.downloads,
            ]
        )

    # --- state -------------------------------------------------------------------------

    def filters(self) -> Filters:
        """The current filter settings as a :class:`Filters` value."""
        first, last = self.years.value
        return Filters(
            metric=self.metric.value,
            condition=self.condition.value,
            design=self.design.value,
            years=(first, last),
            full_years=(first, last) == (self.years.min, self.years.max),
            source_classes=frozenset(k for k, box in self.source_classes.items() if box.value),
            primary_only=self.primary_only.value,
            observed_only=self.observed.value,
        )

    @property
    def pool_columns(self) -> tuple[str, ...]:
        """Columns the pooled estimate is split by."""
        return (self.pool_by.value,) if self.pool_by.value else ()

    # --- URL state ---------------------------------------------------------------------

    def _parsers(self) -> dict[str, Any]:
        figures = self.data.figures
        conditions = ["", *GROUPS, *sorted(figures["condition"].unique())]
        return {
            "metric": one_of(["", *sorted(figures["metric"].unique())]),
            "condition": one_of(conditions),
            "design": one_of(["", *sorted(figures["design"].dropna().unique())]),
            "years": _years,
            "sources": many_of(self.source_classes),
            "primary": as_bool,
            "observed": as_bool,
            "pool_by": one_of(POOL_BY),
            "pool_observed": as_bool,
            "figure": one_of(figures["figure_id"]),
        }

    @property
    def state(self) -> dict[str, Any]:
        """The view as URL-query keys with the data's own ids (metric id, condition group or
        condition id, design, ...)."""
        condition = self.condition.value
        for prefix in (GROUP_PREFIX, CONDITION_PREFIX):
            condition = condition.removeprefix(prefix)
        return {
            "metric": self.metric.value,
            "condition": condition,
            "design": self.design.value,
            "years": f"{self.years.value[0]}-{self.years.value[1]}",
            "sources": tuple(k for k, box in self.source_classes.items() if box.value),
            "primary": self.primary_only.value,
            "observed": self.observed.value,
            "pool_by": self.pool_by.value,
            "pool_observed": self.observed_only.value,
            "figure": self.selected_figure,
        }

    def query(self) -> dict[str, str]:
        """The state as URL query strings."""
        return to_query(self.state)

    def set_state(self, state: dict[str, Any] | None) -> None:
        """Set the widgets from ``state`` (checked first; unknown keys or values are refused
        with the valid ones) and update once."""
        values = parse_state(state, self._parsers())
        self._setting = True
        try:
            simple = {
                "metric": self.metric,
                "design": self.design,
                "primary": self.primary_only,
                "observed": self.observed,
                "pool_by": self.pool_by,
                "pool_observed": self.observed_only,
            }
            for key, value in values.items():
                if key in simple:
                    simple[key].value = value
                elif key == "condition":
                    self.condition.value = condition_choice(value)
                elif key == "years":
                    first, last = value
                    self.years.value = (
                        max(first, self.years.min),
                        min(last, self.years.max),
                    )
                elif key == "sources":
                    for k, box in self.source_classes.items():
                        box.value = k in value
        finally:
            self._setting = False
        self.update()
        if values.get("figure") in {v for _, v in self.figure.options}:
            self.figure.value = values["figure"]

    @property
    def exports(self) -> dict[str, ExportFile]:
        """The selection's exports (CSV, BibTeX, CSL-JSON), made now."""
        return export_files(self.rows, self._references)

    def table(self) -> pd.DataFrame:
        """The figures the table shows, as data."""
        return self.selection.copy()

    def update(self) -> None:
        """Recompute everything from the widgets: selection, table, pooling, plot, exports."""
        if self._setting:
            return
        self.selection = apply_filters(self.data.figures, self.filters())
        self.rows = self.data.rows(self.selection)
        self._render_status()
        self.table_view.value = scroll_region(
            html_table(
                self.rows,
                _TABLE_COLUMNS,
                numeric=("n", "Reported", "95% interval", "Year"),
                empty="No figure matches these filters.",
                table_id="so-figures",
            ),
            "Matching figures",
            "420px",
        )
        self._update_pooling()
        self._update_figure_choices()
        self._show_address()

    def _show_address(self) -> None:
        """The view's state (what differs from the default) in the address bar, and a title."""
        if self._defaults is None:  # still building the default view
            return
        query = self.query()
        query.pop("figure", None)
        metric = self.data.label("metric", self.metric.value) if self.metric.value else ""
        title = "Evidence explorer" + (f": {metric}" if metric else "")
        condition = self.state["condition"]
        if condition:
            label_column = "condition_group" if condition in GROUPS else "condition"
            title += f" · {self.data.label(label_column, condition)}"
        self.address.show(query, title, self._defaults)

    def _render_status(self) -> None:
        sel = self.selection
        studies = sel["study_id"].nunique()
        counts = tag(
            "p",
            f"{len(sel)} of {len(self.data.figures)} figures match, from {studies} "
            f"{'study' if studies == 1 else 'studies'}.",
            class_="so-status",
        )
        self.status.value = Safe(counts + self._definition_html())

    def _definition_html(self) -> Safe | str:
        """What the chosen metric counts, as the protocol defines it."""
        metric = self.metric.value
        if not metric:
            return ""
        if metric not in self._definitions:
            return ""
        label, description = self._definitions[metric]
        return tag("p", Safe(tag("b", f"{label}: ") + esc(description)), class_="so-definition")

    def _update_pooling(self) -> None:
        by = self.pool_columns
        self.pool = self._pools.pool(self.selection, by, self.observed_only.value)
        self.pool_view.value = self._pool_html(self.pool)
        # Several metrics cannot be pooled together: then the plot groups figures by metric.
        groups = ("metric",) if self.selection["metric"].nunique() > 1 else by
        rows = forest_rows(
            self.rows,
            self.pool.records,
            groups,
            group_label=lambda v: self.data.label(groups[0], v) if groups else str(v),
        )
        title = self._plot_title()
        message = "No figure matches these filters." if self.selection.empty else ""
        self.svg = self._canvas.draw(rows, title=title, message=message)
        self.plot.value = image_html(
            self.svg,
            "image/svg+xml",
            self._plot_alt(title),
            "so-explorer-plot",
            legible_px=self._legible_px,
            label="Forest plot",
        )

    def _plot_alt(self, title: str) -> str:
        """The plot in words, with its numbers."""
        if self.selection.empty:
            return "Forest plot: no figure matches these filters."
        text = f"Forest plot: {title}. {len(self.selection)} figures, each with its 95% interval."
        pooled = [
            f"{self.data.label(self.pool.by[0], r[self.pool.by[0]]) if self.pool.by else 'all'}: "
            f"{percent(r['estimate'])} (95% CI {interval(r['ci_low'], r['ci_high'])})"
            for r in self.pool.records
            if not pd.isna(r["estimate"])
        ]
        if pooled:
            text += " Pooled: " + "; ".join(pooled) + "."
        return text

    def _plot_title(self) -> str:
        metrics = self.selection["metric"].unique()
        if len(metrics) == 1:
            return self.data.label("metric", metrics[0])
        return f"{len(metrics)} metrics (pooling needs one)" if len(metrics) else ""

    def _pool_html(self, outcome: PoolOutcome) -> Safe:
        if not outcome.pooled:
            return tag("div", f"Not pooled: {outcome.message}.", class_="so-warn")
        assert outcome.table is not None
        by = outcome.by
        items = []
        for r in outcome.records:
            if pd.isna(r["estimate"]):
                continue
            name = self.data.label(by[0], r[by[0]]) if by else "All selected studies"
            text = (
                f"{name}: {percent(r['estimate'])} (95% CI {interval(r['ci_low'], r['ci_high'])})"
            )
            if r["k"] > 1:
                text += (
                    f", prediction interval {interval(r['pi_low'], r['pi_high'])}, "
                    f"I² {r['i2']:.0f}%, {r['k']} studies, {r['n_total']:,} cases"
                )
            else:
                text += f", a single study ({r['n_total']:,} cases): nothing pooled"
            studies_link = self._studies_link(by, r)
            certainty = r.get("certainty") or ""
            detail = (
                Safe(Safe("<br>") + tag("span", r.get("statement", ""), class_="so-statement"))
                if certainty
                else ""
            )
            items.append(Safe("<li>" + esc(text) + studies_link + detail + "</li>"))
        model = outcome.records[0].get("model") if outcome.records else ""
        notes = "; ".join(outcome.notes)
        return Safe(
            '<div class="so-ok"><b>Pooled estimates</b> '
            + esc(f"({model or 'random effects'}; certainty rated GRADE-style)")
            + f"<ul>{''.join(items)}</ul>"
            + (tag("span", notes.capitalize() + ".", class_="so-note") if notes else "")
            + "</div>"
        )

    def _studies_link(self, by: tuple[str, ...], record: dict) -> Safe:
        """A link that opens the explorer on the studies behind one pooled estimate."""
        state = {k: v for k, v in self.query().items() if k in ("metric", "condition", "design")}
        state["observed"] = "true"
        key = {"condition_group": "condition", "condition": "condition", "design": "design"}
        if by and by[0] in key:
            state[key[by[0]]] = str(record[by[0]])
        href = "?" + urlencode({k: v for k, v in state.items() if v})
        return Safe(" " + tag("a", "see the studies behind it", href=href, target="_top"))

    def _update_figure_choices(self) -> None:
        options = [
            (
                f"{r['label']} — {r['metric_label']} {r['percent_text']}"
                f" ({SOURCE_CLASSES.get(r['source_class'], r['source_class'])})",
                r["figure_id"],
            )
            for r in self.rows
        ]
        current = self.figure.value
        self._updating = True
        try:
            self.figure.options = options
            ids = [v for _, v in options]
            self.figure.value = current if current in ids else (ids[0] if ids else None)
        finally:
            self._updating = False
        self._show_figure(self.figure.value)

    def _show_figure(self, figure_id: str | None) -> None:
        self.selected_figure = figure_id
        row = self.figure_row(figure_id)
        self.provenance.value = provenance_card(row, self.data.sources)

    def figure_row(self, figure_id: str | None) -> dict[str, Any] | None:
        """The prepared row of one figure, or None."""
        if figure_id is None:
            return None
        return self.data.by_id.get(figure_id)

    # --- observers ---------------------------------------------------------------------

    def _on_filter(self, change: dict) -> None:
        self.update()

    def _on_pooling(self, change: dict) -> None:
        if not self._setting:
            self._update_pooling()

    def _on_figure(self, change: dict) -> None:
        if not self._updating:
            self._show_figure(change["new"])


def _years(key: str, value: Any) -> tuple[int, int]:
    """A year range "2001-2020" (or a single year, or a pair)."""
    if isinstance(value, tuple | list) and len(value) == 2:
        first, last = value
    else:
        first, _, last = str(value).partition("-")
        last = last or first
    try:
        pair = (int(first), int(last))
    except (TypeError, ValueError):
        raise ParameterError(f"{key}={value!r}: must be a year range such as 2001-2020") from None
    if pair[0] > pair[1]:
        raise ParameterError(f"{key}={value!r}: the first year is after the last")
    return pair


def build_explorer(
    evidence: Evidence | None = None, state: dict[str, Any] | None = None
) -> EvidenceExplorer:
    """Build the evidence explorer over ``evidence`` (default: the shipped evidence), opened on
    ``state`` (URL-query keys, see :attr:`EvidenceExplorer.state`)."""
    explorer = EvidenceExplorer(prepared_evidence(evidence))
    if state:
        explorer.set_state(state)
    return explorer


__all__ = ["POOL_BY", "EvidenceExplorer", "build_explorer"]
