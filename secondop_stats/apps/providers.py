"""Providers and costs: second-opinion services side by side, what a patient pays under each
kind of insurance (with the rule applied and its source), and the spend per changed diagnosis or
treatment at a rate chosen from the evidence.

``build_providers()`` returns a :class:`ProvidersApp`; display its ``.widget``. Its state
(``options``, ``rate``, ``costs``) follows the widgets.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import ipywidgets as w
import pandas as pd

from .. import costs as cost_rules
from ..errors import ParameterError
from ..evidence import Evidence
from ..labels import PAYMENT_LABELS, PLAN_LABELS, STATUS_LABELS
from ..query.figures import PreparedEvidence, prepared_evidence
from ..query.providers import (
    CONSULTATION_ID,
    CostSituation,
    good_faith_estimate,
    provider_table,
    with_spend_per_change,
)
from ..query.rates import RateChoice, rate_choices
from ..query.state import as_amount, as_bool, one_of, parse_state, to_query
from ..text import is_missing, money, money_range
from .address import AddressBar
from .chart_downloads import ChartDownloads
from .controls import Html, checkbox, fitted, image_html, legible_width, scroll_region
from .cost_chart import (
    NARROW_WIDTH_PX,
    SMALL_PT,
    WIDTH_INCHES,
    cost_chart_narrow_svg,
    cost_chart_png,
    cost_chart_svg,
)
from .html import STYLE, Safe, esc, html_table, tag
from .provenance import citation

_WIDE = {"description_width": "190px"}
_CHART_LEGIBLE_PX = legible_width(WIDTH_INCHES, SMALL_PT)
ESTIMATE_NOTE = "Every amount you pay is an estimate, not a quote."
#: Text inputs for the patient's own numbers: empty means "not entered".
AMOUNT_INPUTS = {
    "deductible_left": "Plan deductible left $",
    "coinsurance": "Your coinsurance %",
    "copay": "Your copay $",
    "oop_max_left": "Out-of-pocket max left $",
    "visit_price": "Price of a consultation $",
}


def _turnaround(r: dict) -> str:
    low, high = r["turnaround_days_low"], r["turnaround_days_high"]
    if is_missing(low):
        return ""
    return f"{low:g} days" if low == high else f"{low:g}–{high:g} days"


def _quoted(r: dict) -> str:
    year = "" if is_missing(r["price_year"]) else f" ({int(r['price_year'])})"
    return money_range(r["price_low_usd"], r["price_high_usd"]) + year


def _you_pay(r: dict, low: str, high: str) -> str:
    if is_missing(r[low]):
        return STATUS_LABELS["unknown"] if r["rule"] else "—"
    return money_range(r[low], r[high])


class ProvidersApp:
    """The providers-and-costs app: widgets, ``state``, the shown ``costs`` table and
    ``widget``."""

    def __init__(self, data: PreparedEvidence, state: dict[str, Any] | None = None) -> None:
        self.data = data
        ev = data.evidence
        self.rates: dict[str, RateChoice] = rate_choices(data)
        years = sorted((int(y) for y in ev.part_b_deductible["year"]), reverse=True)
        self.parsers = {
            "plan": one_of(PLAN_LABELS),
            "year": one_of(years),
            "deductible_met": as_bool,
            **dict.fromkeys(AMOUNT_INPUTS, as_amount),
            "network": as_bool,
            "referral": as_bool,
            "rate": one_of(self.rates),
            "unpriced": as_bool,
            "lookups": as_bool,
        }
        initial = parse_state(state, self.parsers)

        self.plan = w.Dropdown(
            options=[(v, k) for k, v in PLAN_LABELS.items()],
            value="medicare_part_b",
            description="Insurance",
            style=_WIDE,
            layout=fitted("460px"),
        )
        self.year = w.Dropdown(
            options=years,
            value=years[0],
            description="Year",
            style=_WIDE,
            layout=fitted("300px"),
        )
        self.deductible_met = checkbox("Deductible already met", value=False)
        self.amounts = {
            key: w.Text(
                value="",
                placeholder="not entered",
                description=label,
                style=_WIDE,
                layout=fitted("330px"),
                continuous_update=False,
            )
            for key, label in AMOUNT_INPUTS.items()
        }
        for key, box in self.amounts.items():
            box.add_class(f"so-providers-{key.replace('_', '-')}")
        self.in_network = checkbox("Doctor is in the plan's network", value=True)
        self.referral = checkbox("Referral / prior authorisation obtained", value=True)
        rate_options = [(c.label, key) for key, c in self.rates.items()]
        default_rate = "pooled:treatment_changed:all"
        self.rate_choice = w.Dropdown(
            options=rate_options,
            value=default_rate
            if default_rate in self.rates
            else (rate_options[0][1] if rate_options else None),
            description="Chance of a change",
            style=_WIDE,
            layout=w.Layout(width="100%"),
        )
        self.show_unpriced = checkbox("Also list services without a known price", value=False)
        self.include_lookups = checkbox("Include doctor look-up services", value=False)

        self.input_view = Html()
        self.rule_view = Html()
        self.rate_view = Html()
        self.table_view = Html(layout=w.Layout(width="100%"))
        self.chart = Html(layout=w.Layout(width="100%", max_width="1100px"))
        self.plan.add_class("so-providers-plan")
        for view, name in (
            (self.input_view, "inputs"),
            (self.rule_view, "rule"),
            (self.rate_view, "rate"),
            (self.table_view, "table"),
            (self.chart, "chart"),
        ):
            view.add_class(f"so-providers-{name}")

        self.situation = CostSituation()
        self.consultation_price: float | None = None
        self.rate: RateChoice | None = None
        self.costs = pd.DataFrame()
        self.svg = b""
        self.address = AddressBar()
        self._defaults: dict[str, str] = {}
        self.chart_downloads = ChartDownloads("secondop_costs", lambda: self.svg, self._chart_png)
        self.chart_downloads.add_class("so-providers-chart-downloads")
        self.widget = self._layout()
        self.widget.add_class("so-app")
        self._controls = (
            self.plan,
            self.year,
            self.deductible_met,
            *self.amounts.values(),
            self.in_network,
            self.referral,
            self.rate_choice,
            self.show_unpriced,
            self.include_lookups,
        )
        self._updating = False
        self._defaults = self.query()  # the default view, before the page state
        self.set_state(initial)
        for control in self._controls:
            control.observe(self._on_change, names="value")
        self.update()

    def _layout(self) -> w.VBox:
        header = Html(
            STYLE + "<h2>What does a second opinion cost, and what would you pay?</h2>"
            "<p class='so-lead'>Second-opinion services with the prices they were quoted at, "
            "in the year quoted and in today's dollars, and how each is paid for. Choose your "
            "insurance and enter your plan's own numbers to estimate what you would pay. "
            f"{ESTIMATE_NOTE}</p>"
        )
        row = dict(layout=w.Layout(flex_flow="row wrap", align_items="center"))
        a = self.amounts
        return w.VBox(
            [
                header,
                self.address,
                w.HBox([self.plan, self.year], **row),
                w.HBox([self.deductible_met, self.in_network, self.referral], **row),
                w.HBox([a["deductible_left"], a["coinsurance"], a["copay"]], **row),
                w.HBox([a["oop_max_left"], a["visit_price"]], **row),
                self.input_view,
                self.rule_view,
                Html("<h3>How often does a second opinion change something?</h3>"),
                self.rate_choice,
                self.rate_view,
                Html("<h3>Services side by side</h3>"),
                w.HBox([self.show_unpriced, self.include_lookups], **row),
                self.table_view,
                self.chart,
                self.chart_downloads,
            ]
        )

    # --- state -------------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any]:
        """The view as URL-query keys (only what differs from the defaults is needed)."""
        out: dict[str, Any] = {
            "plan": self.plan.value,
            "year": self.year.value,
            "deductible_met": self.deductible_met.value,
            "network": self.in_network.value,
            "referral": self.referral.value,
            "rate": self.rate_choice.value,
            "unpriced": self.show_unpriced.value,
            "lookups": self.include_lookups.value,
        }
        for key, box in self.amounts.items():
            if box.value.strip():
                out[key] = box.value.strip()
        return out

    def query(self) -> dict[str, str]:
        """The state as URL query strings."""
        return to_query(self.state)

    def set_state(self, state: dict[str, Any]) -> None:
        """Set the widgets from a state (checked with the app's parsers first)."""
        state = parse_state(state, self.parsers)
        self._updating = True
        try:
            simple = {
                "plan": self.plan,
                "year": self.year,
                "deductible_met": self.deductible_met,
                "network": self.in_network,
                "referral": self.referral,
                "rate": self.rate_choice,
                "unpriced": self.show_unpriced,
                "lookups": self.include_lookups,
            }
            for key, value in state.items():
                if key in simple:
                    simple[key].value = value
                elif key in self.amounts:
                    self.amounts[key].value = "" if value is None else f"{value:g}"
        finally:
            self._updating = False
        if hasattr(self, "_controls") and state:
            self.update()

    def _amount(self, key: str) -> float | None:
        """The number typed into an amount input, None when empty; bad text is refused."""
        return as_amount(key, self.amounts[key].value)

    def cost_situation(self) -> tuple[CostSituation, float | None, list[str]]:
        """The situation the widgets describe, the consultation price, and input problems."""
        problems = []
        values: dict[str, float | None] = {}
        for key in AMOUNT_INPUTS:
            try:
                values[key] = self._amount(key)
            except ParameterError:
                problems.append(f"{AMOUNT_INPUTS[key]} is not a number: left out")
                values[key] = None
        year = int(self.year.value)
        left = values["deductible_left"]
        if left is not None and self.plan.value == "medicare_part_b":
            limit = cost_rules.part_b_deductible(year, self.data.evidence)
            if left > limit:
                problems.append(f"deductible left is more than the {year} deductible: left out")
                left = None
        coins = values["coinsurance"]
        if coins is not None and coins > 100:
            problems.append("coinsurance above 100%: left out")
            coins = None
        situation = CostSituation(
            plan=self.plan.value,
            year=year,
            deductible_met=bool(self.deductible_met.value),
            deductible_remaining_usd=left,
            coinsurance_pct=coins,
            copay_usd=values["copay"],
            oop_max_remaining_usd=values["oop_max_left"],
            in_network=bool(self.in_network.value),
            referral=bool(self.referral.value),
        )
        return situation, values["visit_price"], problems

    def update(self) -> None:
        """Recompute what the patient pays, the spend per change, the table and the chart."""
        self.situation, self.consultation_price, problems = self.cost_situation()
        self.rate = self.rates.get(self.rate_choice.value)
        table = provider_table(
            self.data.evidence,
            self.situation,
            include_unpriced=bool(self.show_unpriced.value),
            include_lookups=bool(self.include_lookups.value),
            consultation_price_usd=self.consultation_price,
        )
        rate = self.rate.rate if self.rate else None
        self.costs = with_spend_per_change(table, rate, self.rate.interval if self.rate else None)
        self.input_view.value = (
            tag("p", "; ".join(problems) + ".", class_="so-warn") if problems else ""
        )
        self.rule_view.value = self._rules_html()
        self.rate_view.value = self._rate_html()
        self.table_view.value = self._table_html()
        title = f"{PLAN_LABELS[self.situation.plan]}, {self.situation.year}"
        rate_text = self.rate.text() if self.rate else "none"
        self.svg = cost_chart_svg(self.costs, title, rate_text)
        self._show_address(title)
        self.chart.value = image_html(
            self.svg,
            "image/svg+xml",
            self._chart_alt(title),
            "so-providers-chart",
            legible_px=_CHART_LEGIBLE_PX,
            label="Cost chart",
            narrow=(cost_chart_narrow_svg(self.costs, title, rate_text), NARROW_WIDTH_PX),
        )

    def _chart_png(self) -> bytes:
        """The chart shown, as PNG."""
        title = f"{PLAN_LABELS[self.situation.plan]}, {self.situation.year}"
        return cost_chart_png(self.costs, title, self.rate.text() if self.rate else "none")

    def _show_address(self, title: str) -> None:
        """The view's state (what differs from the default) in the address bar, and a title."""
        self.address.show(self.query(), f"Costs: {title}", self._defaults)

    def _chart_alt(self, title: str) -> str:
        """The chart in words, with its numbers."""
        priced = self.costs[self.costs["compare_low"].notna()]
        if priced.empty:
            return f"Chart for {title}: no priced service to show."
        low, high = priced["compare_low"].min(), priced["compare_high"].max()
        rate = self.rate.text() if self.rate else "no rate"
        return (
            f"Chart for {title}: price and estimated share you pay for {len(priced)} services, "
            f"from {money(low)} to {money(high)}, and the spend per changed decision at {rate}."
        )

    def table(self) -> pd.DataFrame:
        """The table the app shows, as data."""
        return self.costs.copy()

    def _rules_html(self) -> Safe:
        shown = self.costs[self.costs["rule"] != ""] if len(self.costs) else self.costs
        if shown.empty:
            return tag("p", "No priced service is listed.", class_="so-note")
        items = []
        counts = Counter(
            (rule, ids) for rule, ids in zip(shown["rule"], shown["rule_source_ids"], strict=True)
        )
        for (rule, source_ids), count in counts.most_common():
            sources = [
                citation(self.data.sources.loc[s].to_dict())
                for s in source_ids
                if s in self.data.sources.index
            ]
            where = Safe(" Source: " + "; ".join(sources)) if sources else ""
            items.append(
                "<li>"
                + esc(f"{rule[:1].upper()}{rule[1:]} ({count} service{'s' if count > 1 else ''}).")
                + where
                + "</li>"
            )
        caveats = sorted({c for cs in shown["caveats"] for c in cs})
        note = tag("p", "Caveats: " + "; ".join(caveats) + ".", class_="so-note") if caveats else ""
        extra = []
        if self.situation.plan == "medicare_part_b" and not self.situation.deductible_met:
            amount = cost_rules.part_b_deductible(self.situation.year, self.data.evidence)
            extra.append(f"Part B deductible in {self.situation.year}: {money(amount, 2)}.")
        if self.situation.plan == "self_pay":
            gfe = good_faith_estimate(self.data.evidence)
            if gfe is not None and gfe.amount is not None:
                source = self.data.sources.loc[gfe.source_id].to_dict()
                extra.append(
                    Safe(
                        esc(
                            "Paying yourself, you have a right to a written Good Faith Estimate "
                            "before scheduled care (No Surprises Act); a bill at least "
                            f"{money(gfe.amount)} above it can be disputed. Source: "
                        )
                        + citation(source)
                    )
                )
        extra_html = "".join(tag("p", e, class_="so-note") for e in extra)
        return Safe(
            '<div class="so-card"><b>Rules applied for '
            + esc(PLAN_LABELS[self.situation.plan])
            + "</b><ul>"
            + "".join(items)
            + "</ul>"
            + extra_html
            + note
            + tag("p", ESTIMATE_NOTE, class_="so-note")
            + "</div>"
        )

    def _rate_html(self) -> Safe:
        if self.rate is None:
            return tag("p", "No rate in the evidence to use.", class_="so-note")
        figures = [self.data.by_id[f] for f in self.rate.figure_ids if f in self.data.by_id]
        studies = ", ".join(dict.fromkeys(f"{r['label']}" for r in figures))
        return tag(
            "p",
            f"Using {self.rate.text()}: {self.rate.detail}. Studies: {studies}. A second "
            "opinion costing $X therefore costs about $X ÷ rate per changed decision.",
            class_="so-note",
        )

    def _table_html(self) -> Safe:
        today = int(self.costs["today_year"].iloc[0]) if len(self.costs) else ""
        sources = self.data.sources

        def source(r: dict) -> Safe | str:
            if r["provider_id"] == CONSULTATION_ID or r["source_id"] not in sources.index:
                return "price you entered" if r["provider_id"] == CONSULTATION_ID else ""
            return citation(sources.loc[r["source_id"]].to_dict())

        columns = {
            "Service": lambda r: Safe(tag("b", r["name"]) + "<br>" + esc(r["program"])),
            "Paid as": lambda r: PAYMENT_LABELS.get(r["payment"], "not known"),
            "Price quoted": _quoted,
            f"In {today} $": lambda r: money_range(r["price_low_today"], r["price_high_today"]),
            f"You pay, estimate ({today} $)": lambda r: _you_pay(
                r, "pays_low_today", "pays_high_today"
            ),
            "You pay, estimate (quoted year $)": lambda r: _you_pay(
                r, "pays_low_quoted", "pays_high_quoted"
            ),
            "Coverage": lambda r: STATUS_LABELS.get(r["status"], r["status"]),
            "Why": "rule",
            "Per changed decision": lambda r: money_range(
                r["per_change_low"], r["per_change_high"]
            ),
            "Turnaround": _turnaround,
            "Price source": source,
        }
        table = html_table(
            self.costs,
            columns,
            numeric=(
                "Price quoted",
                f"In {today} $",
                f"You pay, estimate ({today} $)",
                "You pay, estimate (quoted year $)",
                "Per changed decision",
            ),
            empty="No service matches.",
            table_id="so-providers",
        )
        return Safe(scroll_region(table, "Services side by side", "460px"))

    def _on_change(self, change: dict) -> None:
        if not self._updating:
            self.update()


def build_providers(
    evidence: Evidence | None = None, state: dict[str, Any] | None = None
) -> ProvidersApp:
    """Build the providers-and-costs app over ``evidence`` (default: the shipped evidence),
    starting from ``state`` (URL-query keys, see :attr:`ProvidersApp.state`)."""
    return ProvidersApp(prepared_evidence(evidence), state)
