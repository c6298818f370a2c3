"""Report content without a kernel: what each section selects, computes and escapes."""

from __future__ import annotations

import re

import pytest

from secondop_stats import load_evidence
from secondop_stats.reports import content, fragments
from secondop_stats.reports.content import HEADLINE_METRICS

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def ctx() -> content.ReportContext:
    return content.prepare(condition="cancer", plan="medicare_part_b", audience="researchers")


def test_key_figures_are_primary_observed_reports_of_the_group(ctx) -> None:
    kf = ctx.key_figures
    assert len(kf)
    assert kf["is_primary_report"].all()
    assert kf["evidence_type"].eq("observed").all()
    assert kf["condition_group"].eq("cancer").all()
    assert {"ci_low", "ci_high"} <= set(kf.columns)
    every = content.key_figures(ctx.evidence, "all")
    assert len(every) >= len(kf)
    assert set(every["condition_group"]) > {"cancer"}


def test_pooled_shows_headline_metrics_and_others_with_two_studies(ctx) -> None:
    pooled = ctx.pooled
    assert tuple(pooled["metric"][:2]) == HEADLINE_METRICS
    others = pooled[~pooled["metric"].isin(HEADLINE_METRICS)]
    assert (others["k"] >= 2).all()
    assert not pooled["metric"].isin(["diagnostic_error_reduction", "modelled_error_rate"]).any()


def test_pooled_section_embeds_static_png_forest_plots(ctx) -> None:
    html = content.pooled_html(ctx)
    forests = sum(1 for r in ctx.pooled.to_dict("records") if r["k"] >= 2)
    assert html.count('<img src="data:image/png;base64,') == forests
    assert "<script" not in html


def test_figures_render_to_the_same_png_bytes() -> None:
    from matplotlib.figure import Figure

    def draw() -> bytes:
        fig = Figure(figsize=(3, 2))
        fig.add_subplot().plot([0, 1], [1, 0])
        return fragments.png_bytes(fig)

    assert draw() == draw()


def test_provider_costs_use_the_plan_and_latest_dollars(ctx) -> None:
    table = ctx.providers
    assert table["price_low_usd"].notna().all()
    today = table.attrs["today_year"]
    assert today == int(ctx.evidence.cpi_u["year"].max())
    shown = content.provider_frame(ctx)
    assert f"Price in {today} dollars" in shown.columns
    assert f"You pay, estimate (Original Medicare Part B, {today} $)" in shown.columns
    assert "You pay, estimate (quoted year $)" in shown.columns
    assert len(shown) == len(table)
    assert "an estimate, not a quote" in content.costs_html(ctx)


def test_provider_subset(evidence) -> None:
    ids = tuple(evidence.providers.loc[evidence.providers["price_low_usd"].notna(), "provider_id"])
    sub = content.prepare(providers=ids[:2])
    assert set(sub.providers["provider_id"]) == set(ids[:2])


def test_cost_per_change_for_payers() -> None:
    payers = content.prepare(condition="all", plan="self_pay", audience="payers")
    per = content.cost_per_change(payers)
    assert len(per)
    assert (per["per_change_low"] >= per["compare_low"]).all()
    html = content.costs_html(payers)
    assert "Spend per changed decision" in html
    assert "Good Faith Estimate" in html and "$400" in html
    patients = content.prepare(condition="all", plan="self_pay", audience="patients")
    assert "Spend per changed decision" not in content.costs_html(patients)


def test_checklist_depends_on_audience_and_plan() -> None:
    patients = content.checklist(content.prepare(audience="patients"))
    payers = content.checklist(content.prepare(audience="payers"))
    assert set(payers["kind"]) <= set(content.AUDIENCE_GUIDANCE["payers"])
    assert len(patients) > len(payers) > 0
    uninsured = content.prepare(audience="patients", plan="self_pay")
    assert "question_for_insurer" in set(patients["kind"])
    assert "question_for_insurer" not in set(content.checklist(uninsured)["kind"])
    html = content.checklist_html(uninsured)
    assert "<details open><summary>When to seek a second opinion (" in html
    assert "<details><summary>" in html


def test_references_are_numbered_in_citation_order_with_links() -> None:
    ctx = content.prepare(condition="cancer", plan="medicare_part_b")
    body = content.key_figures_html(ctx) + content.coverage_html(ctx)
    refs = content.references_html(ctx)
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", body)]
    assert cited and sorted(set(cited)) == list(range(1, max(cited) + 1))
    assert cited[0] == 1
    numbers = [int(n) for n in re.findall(r'<li value="(\d+)"', refs)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == max(cited)
    assert 'href="https://doi.org/' in refs or 'href="https://pubmed.ncbi.nlm.nih.gov/' in refs


def test_stamp_names_version_data_hash_parameters_and_date(ctx, monkeypatch) -> None:
    from secondop_stats import __version__

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    html = content.stamp_html(ctx)
    assert __version__ in html
    assert ctx.evidence.data_hash in html
    assert "&quot;condition&quot;: &quot;cancer&quot;" in html
    assert '\n<p class="so-generated">Generated 1970-01-01 00:00 UTC</p>\n' in html


def test_evidence_folder_from_environment(broken, monkeypatch) -> None:
    broken.set("conditions.csv", 0, "label", "Everything, relabelled")
    monkeypatch.setenv("SECONDOP_EVIDENCE", str(broken.folder))
    ctx = content.prepare()
    assert ctx.evidence.path == broken.folder.resolve()
    assert ctx.evidence.data_hash == load_evidence(broken.folder).data_hash


def test_data_is_escaped(broken) -> None:
    index = broken.find("providers.csv", lambda r: r["price_low_usd"] not in ("", "0"))
    broken.set("providers.csv", index, "name", SCRIPT)
    ctx = content.prepare(evidence_dir=broken.folder, title=f"Title {SCRIPT} & more")
    html = content.header_html(ctx) + content.costs_html(ctx)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Title &lt;script&gt;" in html


def test_fragments_escape_everything() -> None:
    assert fragments.heading(SCRIPT) == "<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>"
    assert SCRIPT not in fragments.bullet_list([SCRIPT])
    assert fragments.links([("x", "javascript:alert(1)")]) == ""
    assert 'href="https://a.b/?q=&quot;x&quot;"' in fragments.links([("x", 'https://a.b/?q="x"')])


def test_cache_computes_once_per_batch(tmp_path, monkeypatch) -> None:
    from secondop_stats.reports.cache import CACHE_ENV, cached

    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"value": 42}

    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert cached("thing", {"a": 1}, compute) == {"value": 42}
    assert cached("thing", {"a": 1}, compute) == {"value": 42}
    assert len(calls) == 2  # outside a batch nothing is stored
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    for _ in range(3):
        assert cached("thing", {"a": 1}, compute) == {"value": 42}
    assert len(calls) == 3
    cached("thing", {"a": 2}, compute)
    cached("other", {"a": 1}, compute)
    assert len(calls) == 5
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_cached_sections_render_the_same(tmp_path, monkeypatch) -> None:
    from secondop_stats.reports.cache import CACHE_ENV

    monkeypatch.delenv(CACHE_ENV, raising=False)
    direct = content.pooled_html(content.prepare(condition="mixed", plan="ppo"))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = content.pooled_html(content.prepare(condition="mixed", plan="hmo"))
    again = content.prepare(condition="mixed", plan="self_pay", audience="patients")
    assert content.pooled_html(again) == first == direct
    assert len(list(tmp_path.glob("*.pickle"))) == 3


@pytest.mark.parametrize(
    ("row", "text"),
    [
        ({"qualifier": "exact", "percent": 14.8}, "14.8%"),
        ({"qualifier": "approximately", "percent": 37.0}, "about 37%"),
        ({"qualifier": "more_than", "percent": 50.0}, "more than 50%"),
        ({"qualifier": "up_to", "percent": 50.0}, "up to 50%"),
        ({"qualifier": "range", "percent_low": 10.0, "percent_high": 62.0}, "10–62%"),
        ({"qualifier": "exact", "percent": None, "numerator": 36, "denominator": 286}, "12.6%"),
    ],
)
def test_figures_are_shown_as_reported(row, text) -> None:
    from secondop_stats.reports.formatting import reported_percent

    assert reported_percent(row) == text


def test_money_and_percent_formats() -> None:
    from secondop_stats.reports.formatting import money, money_range, pct, pct_interval

    assert money(9.95) == "$9.95" and money(1500) == "$1,500" and money(float("nan")) == "—"
    assert money_range(450, 800) == "$450–$800" and money_range(700, 700) == "$700"
    assert pct(0.148) == "14.8%" and pct_interval(0.051, 0.086) == "5.1–8.6%"


def test_every_pooled_rate_shows_its_interval_certainty_and_words() -> None:
    ctx = content.prepare(condition="cancer", audience="patients")
    frame = content.pooled_frame(ctx)
    assert {"Range in a new setting (95% PI)", "Certainty"} <= set(frame.columns)
    pooled = frame[frame["Studies"] > 1]
    assert len(pooled) and pooled["Certainty"].isin(["high", "moderate", "low", "very low"]).all()
    statements = content.pooled_statements(ctx)
    assert statements and all("certainty:" in s for s in statements)
    html = content.pooled_html(ctx)
    assert "random-intercept logistic model (GLMM)" in html
    assert "How the numbers are computed" in content.methods_section_html(ctx)


def test_researchers_get_sensitivity_analyses() -> None:
    from secondop_stats.query.sensitivity import sensitivity_table, without_high_risk

    ctx = content.prepare(condition="neurology", audience="researchers")
    table = sensitivity_table(ctx.key_figures, ctx.pooled)
    assert len(table) and (table["loo_min"] <= table["estimate"] + 1e-9).all()
    assert (table["loo_max"] >= table["estimate"] - 1e-9).all()
    assert len(without_high_risk(ctx.key_figures)) < len(ctx.key_figures)
    html = content.sensitivity_html(ctx)
    assert "Sensitivity analyses" in html and "Leave one out" in html
    patients = content.prepare(condition="neurology", audience="patients")
    assert content.sensitivity_html(patients) == ""


@pytest.mark.parametrize("audience", ["patients", "researchers"])
def test_a_group_with_nothing_to_pool_says_so_without_nan(audience: str) -> None:
    heart = content.prepare(condition="heart", plan="ppo", audience=audience)
    assert (heart.pooled["k"].fillna(0) == 0).any(), "heart has an outcome with no study"
    sections = [
        content.key_figures_html(heart),
        content.pooled_html(heart),
        content.sensitivity_html(heart) if audience == "researchers" else "",
    ]
    text = re.sub(r"<[^>]+>", " ", " ".join(sections))
    assert not re.search(r"\bnan\b|\bNaN\b|\bNone\b", text), text
    assert "(random-intercept logistic model (GLMM), t interval)" in text
