"""Providers and costs: second-opinion services side by side, what a patient pays under each
kind of insurance (with the rule applied and its source), and the spend per changed diagnosis or
treatment at a rate chosen from the evidence.

``build_providers()`` returns a :class:`ProvidersApp`; display its ``.widget``. Its state
(``options``, ``rate``, ``costs``) follows the widgets.
"""

from __future__ import annotations

from collections import Counter

import ipywidgets as w
import pandas as pd

from .. import costs as cost_rules
from ..evidence import Evidence
from ..labels import MODALITY_LABELS, PLAN_LABELS
from .controls import checkbox
from .cost_chart import cost_chart_svg
from .data import AppData, app_data
from .html import STYLE, Safe, esc, html_table, is_missing, money, money_range, tag
from .provenance import citation
from .provider_costs import PlanOptions, cost_frame, patient_costs, price_table
from .rates import RateChoice, rate_choices

HOW_GIVEN = {
    "provider": "As each service gives it",
    "remote": "Remotely, from records",
    "in_person": "In person",
}
_WIDE = {"description_width": "150px"}


def _turnaround(r: dict) -> str:
    low, high = r["turnaround_days_low"], r["turnaround_days_high"]
    if is_missing(low):
        return ""
    return f"{low:g} days" if low == high else f"{low:g}–{high:g} days"


def _how(r: dict) -> str:
    how = MODALITY_LABELS.get(r["modality"], "") if not is_missing(r["modality"]) else ""
    remote = not is_missing(r["remote"]) and bool(r["remote"])
    if remote and how not in ("records review", "video visit", "doctor to doctor"):
        how = f"{how}, remote".strip(", ")
    return how


class ProvidersApp:
    """The providers-and-costs app: widgets, state (``options``, ``rate``, ``costs``) and
    ``widget``."""

    def __init__(self, data: AppData) -> None:
        self.data = data
        ev = data.evidence
        self.prices = price_table(ev)
        self._price_records = self.prices.to_dict("records")
        self.rates: dict[str, RateChoice] = rate_choices(data)
        years = sorted((int(y) for y in ev.part_b_deductible["year"]), reverse=True)

        self.plan = w.Dropdown(
            options=[(v, k) for k, v in PLAN_LABELS.items()],
            value="medicare_part_b",
            description="Insurance",
            style=_WIDE,
            layout=w.Layout(width="440px"),
        )
        self.year = w.Dropdown(
            options=years,
            value=years[0],
            description="Year",
            style=_WIDE,
            layout=w.Layout(width="260px"),
        )
        self.deductible_met = checkbox("Deductible already met", value=False)
        self.deductible_left = w.BoundedFloatText(
            value=0.0,
            min=0.0,
            max=100_000.0,
            step=50.0,
            description="Plan deductible left $",
            style=_WIDE,
            layout=w.Layout(width="300px"),
        )
        self.copay = w.BoundedFloatText(
            value=0.0,
            min=0.0,
            max=10_000.0,
            step=5.0,
            description="Your copay $",
            style=_WIDE,
            layout=w.Layout(width="300px"),
        )
        self.in_network = checkbox("Doctor is in the plan's network", value=True)
        self.referral = checkbox("Referral / prior authorisation obtained", value=True)
        self.how_given = w.Dropdown(
            options=[(v, k) for k, v in HOW_GIVEN.items()],
            value="provider",
            description="Opinion given",
            style=_WIDE,
            layout=w.Layout(width="440px"),
        )
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

        self.rule_view = w.HTML()
        self.rate_view = w.HTML()
        self.table_view = w.HTML(layout=w.Layout(width="100%"))
        self.chart = w.Image(format="svg+xml", layout=w.Layout(width="100%", max_width="1100px"))
        self.plan.add_class("so-providers-plan")
        self.how_given.add_class("so-providers-how")
        for view, name in (
            (self.rule_view, "rule"),
            (self.rate_view, "rate"),
            (self.table_view, "table"),
            (self.chart, "chart"),
        ):
            view.add_class(f"so-providers-{name}")

        self.options = PlanOptions()
        self.rate: RateChoice | None = None
        self.costs = pd.DataFrame()
        self.svg = b""
        self.widget = self._layout()
        self.widget.add_class("so-app")
        for control in (
            self.plan,
            self.year,
            self.deductible_met,
            self.deductible_left,
            self.copay,
            self.in_network,
            self.referral,
            self.how_given,
            self.rate_choice,
            self.show_unpriced,
            self.include_lookups,
        ):
            control.observe(self._on_change, names="value")
        self.update()

    def _layout(self) -> w.VBox:
        header = w.HTML(
            STYLE + "<h2>What does a second opinion cost, and what would you pay?</h2>"
            "<p class='so-lead'>Second-opinion services with the prices they were quoted at, "
            "in the year quoted and in today's dollars. Choose your insurance to see what you "
            "would pay under the rule that applies, and a rate from the evidence to see the "
            "spend per changed diagnosis or treatment.</p>"
        )
        row = dict(layout=w.Layout(flex_flow="row wrap", align_items="center"))
        return w.VBox(
            [
                header,
                w.HBox([self.plan, self.year], **row),
                w.HBox([self.deductible_met, self.in_network, self.referral], **row),
                w.HBox([self.deductible_left, self.copay], **row),
                w.HBox([self.how_given], **row),
                self.rule_view,
                w.HTML("<h3>How often does a second opinion change something?</h3>"),
                self.rate_choice,
                self.rate_view,
                w.HTML("<h3>Services side by side</h3>"),
                w.HBox([self.show_unpriced, self.include_lookups], **row),
                w.Box(
                    [self.table_view],
                    layout=w.Layout(max_height="460px", overflow="auto", width="100%"),
                ),
                self.chart,
            ]
        )

    # --- state -------------------------------------------------------------------------

    def plan_options(self) -> PlanOptions:
        """The cost options the widgets describe."""
        remote = {"provider": None, "remote": True, "in_person": False}[self.how_given.value]
        left = float(self.deductible_left.value)
        return PlanOptions(
            plan=self.plan.value,
            year=int(self.year.value),
            deductible_met=bool(self.deductible_met.value),
            in_network=bool(self.in_network.value),
            referral=bool(self.referral.value),
            remote=remote,
            deductible_left_usd=left if left > 0 else None,
            copay_usd=float(self.copay.value),
        )

    def visible_services(self) -> list[dict]:
        """Provider rows the listing shows under the current "show" options."""
        return [
            r
            for r in self._price_records
            if (r["priced"] or self.show_unpriced.value)
            and (not r["lookup"] or self.include_lookups.value)
        ]

    def update(self) -> None:
        """Recompute what the patient pays, the spend per change, the table and the chart."""
        self.options = self.plan_options()
        self._sync_inputs()
        self.rate = self.rates.get(self.rate_choice.value)
        services = self.visible_services()
        patient = patient_costs(services, self.options, self.data.evidence)
        self.costs = cost_frame(services, patient, self.rate)
        self.rule_view.value = self._rules_html()
        self.rate_view.value = self._rate_html()
        self.table_view.value = self._table_html()
        title = f"{PLAN_LABELS[self.options.plan]}, {self.options.year}"
        self.svg = cost_chart_svg(self.costs, title, self.rate.text() if self.rate else "none")
        self.chart.value = self.svg

    def _sync_inputs(self) -> None:
        """Enable the deductible and copay inputs only where the plan's rule uses them."""
        rules = cost_rules.coverage_rules(self.options.plan, self.data.evidence)
        sharing = rules.get("cost_sharing")
        value = sharing.value if sharing else ""
        self.deductible_left.disabled = not (
            value == "deductible_then_coinsurance"
            and self.options.plan != "medicare_part_b"
            and not self.options.deductible_met
        )
        self.copay.disabled = value != "copay"

    def _rules_html(self) -> Safe:
        priced = self.costs[self.costs["rule"] != ""] if len(self.costs) else self.costs
        if priced.empty:
            return tag("p", "No priced service is listed.", class_="so-note")
        items = []
        counts = Counter(zip(priced["rule"], priced["rule_source_id"], strict=True))
        for (rule, source_id), count in counts.most_common():
            source = (
                self.data.sources.loc[source_id].to_dict()
                if source_id in self.data.sources.index
                else None
            )
            items.append(
                "<li>"
                + esc(f"{rule[:1].upper()}{rule[1:]} ({count} service{'s' if count > 1 else ''}). ")
                + "Source: "
                + citation(source)
                + "</li>"
            )
        caveats = sorted({c for cs in priced["caveats"] for c in cs})
        note = tag("p", "Caveats: " + "; ".join(caveats) + ".", class_="so-note") if caveats else ""
        deductible = ""
        if self.options.plan == "medicare_part_b" and not self.options.deductible_met:
            amount = cost_rules.part_b_deductible(self.options.year, self.data.evidence)
            deductible = tag(
                "p",
                f"Part B deductible in {self.options.year}: {money(amount, 2)}.",
                class_="so-note",
            )
        return Safe(
            '<div class="so-card"><b>Rule applied for '
            + esc(PLAN_LABELS[self.options.plan])
            + "</b><ul>"
            + "".join(items)
            + "</ul>"
            + deductible
            + note
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
        latest = int(self.prices["latest_year"].iloc[0])
        columns = {
            "Service": lambda r: Safe(tag("b", r["name"]) + "<br>" + esc(r["program"])),
            "How": _how,
            "Price quoted": lambda r: (
                money_range(r["price_low_usd"], r["price_high_usd"])
                + ("" if is_missing(r["price_year"]) else f" ({int(r['price_year'])})")
            ),
            f"In {latest} $": lambda r: money_range(r["price_low_latest"], r["price_high_latest"]),
            "You pay": lambda r: money_range(r["oop_low"], r["oop_high"]),
            "Covered": lambda r: {True: "yes", False: "no"}.get(r["covered"], "—"),
            "Per changed decision": lambda r: money_range(
                r["per_change_low"], r["per_change_high"]
            ),
            "Turnaround": _turnaround,
            "Eligibility": "eligibility",
            "Insurance note": "insurance_note",
        }
        return html_table(
            self.costs,
            columns,
            numeric=("Price quoted", f"In {latest} $", "You pay", "Per changed decision"),
            empty="No service matches.",
            table_id="so-providers",
        )

    def _on_change(self, change: dict) -> None:
        self.update()


def build_providers(evidence: Evidence | None = None) -> ProvidersApp:
    """Build the providers-and-costs app over ``evidence`` (default: the shipped evidence)."""
    return ProvidersApp(app_data(evidence))
