"""The apps, driven by setting widget values (no browser): state follows the widgets."""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from secondop_stats import ParameterError
from secondop_stats.apps import build_explorer, build_guide, build_providers
from secondop_stats.apps.exports import CSV_COLUMNS
from secondop_stats.apps.html import html_table
from secondop_stats.apps.serve import add_serve_command, landing_url, voila_command, voila_env
from secondop_stats.query.pooling import MIXED_METRICS
from secondop_stats.query.selection import GROUP_PREFIX


class _Links(HTMLParser):
    """Collects the href and download name of every link."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))


def links(html: str) -> list[dict[str, str | None]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def body_rows(html: str) -> int:
    return html.split("<tbody>", 1)[1].count("<tr>") if "<tbody>" in html else 0


@pytest.fixture
def explorer():
    return build_explorer()


def most_common_poolable_metric(app) -> str:
    figures = app.data.figures
    observed = figures[figures["poolable"] & (figures["evidence_type"] == "observed")]
    return observed.groupby("metric")["study_id"].nunique().idxmax()


# --- evidence explorer --------------------------------------------------------------------


def test_explorer_starts_with_every_figure(explorer) -> None:
    assert len(explorer.selection) == len(explorer.data.figures) > 0
    assert body_rows(explorer.table_view.value) == len(explorer.selection)
    assert explorer.svg.startswith(b"<?xml")
    assert base64.b64encode(explorer.svg).decode() in explorer.plot.value
    assert 'alt="Forest plot' in explorer.plot.value


def test_filtering_by_metric_narrows_the_table(explorer) -> None:
    metric = most_common_poolable_metric(explorer)
    before = len(explorer.selection)
    explorer.metric.value = metric
    assert 0 < len(explorer.selection) < before
    assert set(explorer.selection["metric"]) == {metric}
    assert body_rows(explorer.table_view.value) == len(explorer.selection)
    assert f"{len(explorer.selection)} of {before} figures" in explorer.status.value


def test_condition_group_design_years_and_source_kind_filter(explorer) -> None:
    group = explorer.data.figures["condition_group"].value_counts().idxmax()
    explorer.condition.value = f"{GROUP_PREFIX}{group}"
    assert set(explorer.selection["condition_group"]) == {group}

    explorer.condition.value = ""
    design = explorer.data.figures["design"].value_counts().idxmax()
    explorer.design.value = design
    assert set(explorer.selection["design"]) == {design}

    explorer.design.value = ""
    first, last = explorer.years.min, explorer.years.max
    explorer.years.value = (first, first + (last - first) // 2)
    years = explorer.selection["year"]
    assert years.notna().all() and (years <= first + (last - first) // 2).all()

    explorer.years.value = (first, last)
    explorer.source_classes["peer_reviewed"].value = False
    assert "peer_reviewed" not in set(explorer.selection["source_class"])
    assert len(explorer.selection) < len(explorer.data.figures)


def test_no_match_shows_a_message(explorer) -> None:
    for box in explorer.source_classes.values():
        box.value = False
    assert explorer.selection.empty
    assert "No figure matches" in explorer.table_view.value
    assert not explorer.pool.pooled
    assert explorer.figure.value is None


def test_selecting_a_figure_shows_its_provenance(explorer) -> None:
    figures = explorer.data.figures
    row = figures[figures["quote"].str.len() > 20].iloc[0]
    explorer.figure.value = row["figure_id"]
    assert explorer.selected_figure == row["figure_id"]
    card = explorer.provenance.value
    assert "<blockquote>" in card
    quote = row["quote"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert quote.replace('"', "&quot;").replace("'", "&#x27;") in card


def test_provenance_links_the_primary_publication(explorer) -> None:
    figures = explorer.data.figures
    sources = explorer.data.sources
    with_doi = set(sources.loc[sources["doi"].fillna("") != "", "source_id"])
    row = figures[figures["study_source_id"].isin(with_doi)].iloc[0]
    explorer.figure.value = row["figure_id"]
    doi = sources.loc[row["study_source_id"], "doi"]
    hrefs = [link["href"] for link in links(explorer.provenance.value)]
    assert f"https://doi.org/{doi}" in hrefs


def test_pooled_estimate_only_for_a_single_metric(explorer) -> None:
    assert explorer.selection["metric"].nunique() > 1
    assert not explorer.pool.pooled
    assert explorer.pool.message.startswith(MIXED_METRICS)
    assert "choose one metric to pool" in explorer.pool_view.value

    explorer.metric.value = most_common_poolable_metric(explorer)
    assert explorer.pool.pooled
    table = explorer.pool.table
    assert table is not None and (table["metric"] == explorer.metric.value).all()
    pooled = table.dropna(subset=["estimate"])
    assert (
        (pooled["ci_low"] <= pooled["estimate"]) & (pooled["estimate"] <= pooled["ci_high"])
    ).all()
    assert "Pooled estimates" in explorer.pool_view.value
    assert b"Pooled" in explorer.svg


def test_pooling_splits_by_the_chosen_subgroup(explorer) -> None:
    explorer.metric.value = most_common_poolable_metric(explorer)
    explorer.pool_by.value = "design"
    assert explorer.pool.by == ("design",)
    assert set(explorer.pool.table["design"]) <= set(explorer.selection["design"])
    explorer.pool_by.value = ""
    assert len(explorer.pool.table) == 1


def test_modelling_results_are_never_pooled(explorer) -> None:
    figures = explorer.data.figures
    modelled = figures.loc[~figures["poolable"], "metric"]
    if modelled.empty:
        pytest.skip("the evidence holds no non-poolable metric")
    explorer.metric.value = modelled.iloc[0]
    assert not explorer.pool.pooled
    assert "never pooled" in explorer.pool.message


def test_exports_are_valid_csv_bibtex_and_csl_json(explorer) -> None:
    explorer.metric.value = most_common_poolable_metric(explorer)
    files = explorer.exports

    assert files["csv"].content.startswith("\ufeff")  # UTF-8 BOM for spreadsheets
    rows = list(csv.DictReader(io.StringIO(files["csv"].content.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["figure_id"] for r in rows] == list(explorer.selection["figure_id"])

    cited = set(explorer.selection["source_id"]) | set(explorer.selection["study_source_id"])
    bibtex = files["bibtex"].content
    keys = re.findall(r"^@\w+\{([^,]+),$", bibtex, flags=re.MULTILINE)
    assert set(keys) == cited
    assert bibtex.count("{") == bibtex.count("}")

    items = json.loads(files["csl_json"].content)
    assert {item["id"] for item in items} == cited
    assert all(item["type"] and item["title"] for item in items)


def test_download_buttons_make_the_exports_of_the_current_selection(explorer) -> None:
    explorer.metric.value = most_common_poolable_metric(explorer)
    offered = {f["filename"]: f["key"] for f in explorer.downloads.files}
    assert set(offered) == {e.filename for e in explorer.exports.values()}
    for export in explorer.exports.values():
        assert explorer.downloads.content(offered[export.filename]).decode() == export.content
    before = explorer.downloads.content("csv")
    explorer.metric.value = explorer.metric.options[0][1]  # all metrics
    assert len(explorer.downloads.content("csv")) > len(before)  # made at the click, not before


def test_tables_escape_the_data() -> None:
    frame = pd.DataFrame({"x": ['<script>alert("x")</script>'], "y": ["a & b"]})
    html = html_table(frame, {"X": "x", "Y": "y"})
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "a &amp; b" in html


# --- providers and costs --------------------------------------------------------------------


@pytest.fixture
def providers():
    return build_providers()


def test_providers_are_listed_with_prices_in_latest_year_dollars(providers) -> None:
    costs = providers.costs
    assert len(costs) > 0 and costs["price_low_usd"].notna().all()
    adjusted = costs.dropna(subset=["price_low_today"])
    assert (adjusted["price_low_today"] > 0).any()
    assert body_rows(providers.table_view.value) == len(costs)
    assert "an estimate, not a quote" in providers.rule_view.value
    providers.show_unpriced.value = True
    assert len(providers.costs) > len(costs)


def test_a_plan_change_changes_what_the_patient_pays(providers) -> None:
    providers.amounts["visit_price"].value = "500"
    providers.plan.value = "self_pay"
    self_pay = providers.costs.set_index("provider_id")["pays_low_today"].copy()
    assert self_pay["your-consultation"] == 500

    providers.plan.value = "medicare_part_b"
    part_b = providers.costs.set_index("provider_id")["pays_low_today"]
    assert part_b["your-consultation"] == pytest.approx(326.40)
    assert "Rules applied" in providers.rule_view.value

    providers.plan.value = "medicaid"
    medicaid = providers.costs.set_index("provider_id")
    assert medicaid.loc["your-consultation", "pays_low_today"] == 0
    cash = medicaid[medicaid["payment"] == "cash_service"]
    assert (cash["status"] == "not_billed").all()  # the managed-care rule does not make it $0


def test_copay_is_an_input_never_a_silent_zero(providers) -> None:
    providers.amounts["visit_price"].value = "400"
    providers.plan.value = "hmo"
    row = providers.costs.set_index("provider_id").loc["your-consultation"]
    assert pd.isna(row["pays_low_today"]) and row["missing_input"] == "copay_usd"
    providers.amounts["copay"].value = "30"
    row = providers.costs.set_index("provider_id").loc["your-consultation"]
    assert row["pays_low_today"] == 30 and row["copay_part"] == 30
    providers.amounts["copay"].value = "thirty"
    assert "not a number" in providers.input_view.value


def test_deductible_met_applies(providers) -> None:
    providers.amounts["visit_price"].value = "500"
    providers.plan.value = "medicare_part_b"
    not_met = providers.costs.set_index("provider_id").loc["your-consultation", "pays_low_today"]
    providers.deductible_met.value = True
    met = providers.costs.set_index("provider_id").loc["your-consultation", "pays_low_today"]
    assert met < not_met and met == pytest.approx(100)


def test_providers_state_round_trips(providers) -> None:
    state = {"plan": "ppo", "year": "2025", "copay": "25", "lookups": "true"}
    app = build_providers(state=state)
    assert app.plan.value == "ppo" and app.year.value == 2025
    assert app.amounts["copay"].value == "25" and app.include_lookups.value is True
    again = build_providers(state=app.query())
    assert again.state == app.state
    assert again.table().equals(app.table())
    with pytest.raises(ParameterError, match="valid values"):
        build_providers(state={"plan": "gold"})
    with pytest.raises(ParameterError, match="valid keys"):
        build_providers(state={"colour": "red"})


def test_rate_choice_sets_the_cost_per_changed_decision(providers) -> None:
    keys = list(providers.rates)
    assert len(keys) > 1
    first = providers.costs["per_change_low"].copy()
    rate = providers.rates[providers.rate_choice.value]
    expected = providers.costs["compare_low"] / rate.rate
    assert (providers.costs["per_change_low"] - expected).abs().max() < 1e-6
    other = next(k for k in keys if abs(providers.rates[k].rate - rate.rate) > 0.01)
    providers.rate_choice.value = other
    assert not providers.costs["per_change_low"].equals(first)
    assert providers.svg.startswith(b"<?xml")


# --- decision guide ---------------------------------------------------------------------


@pytest.fixture
def guide():
    return build_guide()


def test_guide_lists_situations_and_updates_its_summary(guide) -> None:
    assert "serious_diagnosis" in guide.situations
    assert guide.chosen == ()
    guide.situations["serious_diagnosis"].value = True
    assert guide.chosen == ("serious_diagnosis",)
    reasons = guide.reasons["serious_diagnosis"]
    expected = guide.guidance[
        guide.guidance["kind"].isin(["seek_when", "consider_when"])
        & (guide.guidance["category"] == "serious_diagnosis")
    ]
    assert 0 < len(reasons) <= len(expected)
    assert all(r.source_ids for r in reasons)
    for title in (
        "Questions to ask the doctor",
        "Records to gather",
        "If the two opinions differ",
        "Sources",
    ):
        assert title in guide.summary_html
    assert guide.questions and guide.records and guide.conflicts


def test_guide_shows_the_evidence_for_the_chosen_condition_group(guide) -> None:
    groups = [v for _, v in guide.group.options if v != "all"]
    assert groups
    guide.group.value = groups[0]
    assert {r.group for r in guide.evidence} <= {groups[0], "all"}
    shown = [r for r in guide.evidence if r.group == groups[0]]
    assert shown and all(0 < r.rate < 1 for r in shown)


def test_guide_summary_is_printable_and_downloadable(guide) -> None:
    guide.situations["major_treatment"].value = True
    assert 'class="so-print' in guide.summary_html
    assert "@media print" in guide.widget.children[0].value
    assert [f["filename"] for f in guide.downloads.files] == ["second_opinion_summary.html"]
    document = guide.downloads.content("summary").decode("utf-8")
    assert document.startswith("<!DOCTYPE html>") and guide.summary_html in document


# --- serve ----------------------------------------------------------------------------------


def test_serve_command_is_added_to_a_parser() -> None:
    parser = argparse.ArgumentParser()
    add_serve_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--port", "9123"])
    assert args.port == 9123 and callable(args.func)
    assert parser.parse_args(["serve"]).port == 8866
    assert parser.parse_args(["serve"]).preheat is True
    assert parser.parse_args(["serve", "--no-preheat"]).preheat is False


def test_voila_serves_the_notebooks_on_localhost_without_code() -> None:
    command = voila_command(9123)
    assert "--Voila.ip=127.0.0.1" in command and "--Voila.port=9123" in command
    assert "--Voila.port_retries=0" in command and "--no-browser" in command
    assert "--VoilaConfiguration.strip_sources=True" in command
    assert command[3].endswith("notebooks")
    env = voila_env({"JUPYTER_PATH": "/elsewhere"})
    assert env["JUPYTER_PATH"].endswith("/elsewhere")
    assert landing_url(9123) == "http://127.0.0.1:9123/voila/render/index.ipynb"


def test_preheated_kernels_are_on_by_default_and_skip_the_report_template() -> None:
    command = voila_command(9123)
    assert "--preheat_kernel=True" in command and "--pool_size=1" in command
    assert "--VoilaKernelManager.preheat_denylist=report.ipynb" in command
    assert not any("preheat" in part for part in voila_command(9123, preheat=False))


def test_a_preheated_kernel_builds_the_app_before_waiting_for_the_page(monkeypatch) -> None:
    from secondop_stats.apps import url

    steps: list[str] = []

    def build(state=None):
        steps.append("build")
        return build_guide(state=state)

    def wait() -> None:
        steps.append("wait")
        monkeypatch.setenv("QUERY_STRING", "condition=cancer")

    monkeypatch.setattr(url, "wait_for_page_request", wait)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    guide = url.open_app(build)
    assert steps == ["build", "wait"]
    assert guide.state["condition"] == "cancer"


# --- URL state ---------------------------------------------------------------------------------


def test_explorer_opens_on_a_state_and_hands_it_back() -> None:
    state = {"metric": "diagnosis_changed", "condition": "cancer", "primary": "true"}
    explorer = build_explorer(state=state)
    assert explorer.metric.value == "diagnosis_changed"
    assert explorer.condition.value == "group:cancer"
    table = explorer.table()
    assert len(table) and (table["metric"] == "diagnosis_changed").all()
    assert (table["condition_group"] == "cancer").all() and table["is_primary_report"].all()
    again = build_explorer(state=explorer.query())
    assert again.state == explorer.state
    assert list(again.table()["figure_id"]) == list(table["figure_id"])
    with pytest.raises(ParameterError, match="valid values"):
        build_explorer(state={"metric": "happiness"})


def test_guide_opens_on_a_state_and_hands_it_back() -> None:
    guide = build_guide(state={"situations": "serious_diagnosis", "condition": "cancer"})
    assert guide.chosen == ("serious_diagnosis",) and guide.group.value == "cancer"
    assert len(guide.table()) > 0
    assert build_guide(state=guide.query()).state == guide.state
    with pytest.raises(ParameterError, match="valid values"):
        build_guide(state={"situations": "bored"})


def test_apps_open_on_the_page_address() -> None:
    from secondop_stats.apps.url import open_app, query_state

    assert query_state("?metric=diagnosis_changed&condition=cancer") == {
        "metric": "diagnosis_changed",
        "condition": "cancer",
    }
    explorer = open_app(build_explorer, "metric=diagnosis_changed&condition=cancer")
    assert explorer.metric.value == "diagnosis_changed"
    assert explorer.condition.value == "group:cancer"
    providers = open_app(build_providers, "plan=medicaid&year=2025")
    assert providers.plan.value == "medicaid" and providers.year.value == 2025
    broken = open_app(build_explorer, "metric=nonsense")
    assert broken.metric.value == "" and "valid values" in broken.url_problem
    assert "does not exist" in broken.widget.children[0].value


def test_charts_download_as_svg_and_png(explorer, providers) -> None:
    for downloads, svg in (
        (explorer.plot_downloads, lambda: explorer.svg),
        (providers.chart_downloads, lambda: providers.svg),
    ):
        assert [f["key"] for f in downloads.files] == ["svg", "png"]
        assert downloads.content("svg") == svg()
        assert downloads.content("png").startswith(b"\x89PNG")


def _texts_outside_the_figure(figure) -> list[str]:
    """Visible texts of a drawn figure that do not lie wholly inside it (they would be cut)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    width = figure.bbox.width
    outside = []
    for text in [*figure.texts, *(t for ax in figure.axes for t in ax.texts)]:
        if text.get_visible() and text.get_text():
            box = text.get_window_extent(renderer)
            if box.x0 < 0 or box.x1 > width:
                outside.append(text.get_text())
    return outside


def test_no_forest_plot_label_is_cut_for_any_metric(explorer) -> None:
    """Every figure of the evidence, under every metric and all together: each row label (the
    study, its kind of source and n) and each value lies inside the chart."""
    assert _texts_outside_the_figure(explorer._canvas.figure) == []
    for metric in [v for _, v in explorer.metric.options if v]:
        explorer.metric.value = metric
        assert _texts_outside_the_figure(explorer._canvas.figure) == [], metric
    explorer.metric.value = explorer.metric.options[0][1]


def test_the_cost_chart_has_a_phone_drawing_that_fits_a_phone() -> None:
    """Phones get the cost chart drawn for them (panels stacked, names above the bars): every
    text, tick labels included, lies inside a drawing as wide as a phone's page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from secondop_stats.apps.cost_chart import (
        NARROW_PT,
        NARROW_WIDTH_PX,
        cost_chart_narrow_figure,
    )
    from secondop_stats.apps.html import PHONE_MAX_PX

    app = build_providers()
    assert "<picture>" in app.chart.value
    assert f'<source media="(max-width: {PHONE_MAX_PX}px)" srcset="data:image/svg+xml' in (
        app.chart.value
    )
    figure = cost_chart_narrow_figure(app.costs, "PPO, 2026", app.rate.text())
    assert figure.bbox.width == NARROW_WIDTH_PX <= 340
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    texts = [*figure.texts]
    for ax in figure.axes:
        texts += [*ax.texts, *ax.get_xticklabels(), ax.title, *ax.get_legend().get_texts()]
        drawn = ax.get_tightbbox(renderer)  # the panel with its ticks, names and legend
        assert drawn.x0 >= 0 and drawn.x1 <= figure.bbox.width, drawn
    shown = [t for t in texts if t.get_visible() and t.get_text()]
    assert len(shown) > 2 * len(app.costs[app.costs["compare_low"].notna()])
    assert all(t.get_fontsize() >= NARROW_PT for t in shown)
    assert _texts_outside_the_figure(figure) == []
