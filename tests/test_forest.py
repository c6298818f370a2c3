"""Forest plot: one implementation for the explorer and the reports, readable from 3 to 60 rows."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from secondop_stats.forest import ForestCanvas
from secondop_stats.plots import OKABE_ITO, forest
from secondop_stats.stats import pool_figures, pool_proportions
from tests.stats_fixtures import figure_table, study_rows


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def random_table(k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    totals = rng.integers(5, 8000, k)
    events = rng.binomial(totals, 1 / (1 + np.exp(-rng.normal(-1, 0.8, k))))
    return figure_table(study_rows(events, totals, seed=seed))


def shown_texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in shown_texts(fig)]


def test_returns_a_figure_not_managed_by_pyplot() -> None:
    before = set(plt.get_fignums())
    fig = forest(random_table(8))
    assert isinstance(fig, Figure)
    assert set(plt.get_fignums()) == before  # nothing left open in pyplot


def test_one_implementation_serves_explorer_and_reports() -> None:
    """The figure comes from the same canvas class the explorer and the reports draw with."""
    fig = forest(random_table(4))
    assert isinstance(fig, Figure)
    canvas = ForestCanvas()
    assert type(canvas.figure) is type(fig)


def test_labels_carry_year_and_n() -> None:
    rows = study_rows([1412, 20, 33], [6791, 100, 120])
    rows[0].update(label="Meyer", study_year=2015)
    fig = forest(figure_table(rows))
    assert "Meyer 2015 (n = 6,791)" in texts(fig)


def test_summary_line_and_title() -> None:
    table = random_table(6)
    fig = forest(table)
    result_line = next(t for t in texts(fig) if t.startswith("k = 6"))
    assert "I² = " in result_line and "τ² = " in result_line
    assert "prediction interval" in result_line
    assert "Diagnosis changed · any · retrospective cohort" in texts(fig)
    assert "Custom" in texts(forest(table, title="Custom"))


def test_accepts_a_pooled_result() -> None:
    result = pool_proportions([3, 9, 20], [10, 40, 50], labels=["A", "B", "C"])
    fig = forest(result)
    assert {"A", "B", "C"} <= set(texts(fig))
    assert any(t.startswith("31.4% [20.0, 45.7]") for t in texts(fig))


def test_accepts_a_pool_figures_row_with_its_table() -> None:
    rows = study_rows([10, 20, 30], [100, 100, 100]) + study_rows(
        [5, 9, 11], [50, 60, 70], condition="cancer", seed=2
    )
    for i, row in enumerate(rows):
        row["study_id"] = f"S{i}"
    table = figure_table(rows)
    pooled = pool_figures(table)
    fig = forest(table, pooled.iloc[1])
    pooled_text = next(t for t in texts(fig) if t.startswith(f"{100 * pooled.estimate[1]:.1f}%"))
    assert pooled_text
    assert sum("(n = " in t for t in texts(fig)) == 3
    # matching on the shared columns works without figure_ids too
    fig = forest(table, {"condition": "cancer"})
    assert sum("(n = " in t for t in texts(fig)) == 3


def test_single_study() -> None:
    fig = forest(figure_table(study_rows([12], [80])))
    assert any(t.startswith("k = 1") for t in texts(fig))


def test_refuses_what_pool_figures_refuses() -> None:
    rows = study_rows([10, 20], [100, 100])
    rows[0]["evidence_type"] = "modelling"
    with pytest.raises(ValueError, match="non-observed"):
        forest(figure_table(rows))
    assert forest(figure_table(rows), exclude_nonobserved=True)


def test_colour_blind_safe_palette() -> None:
    fig = forest(random_table(5))
    ax = fig.axes[0]
    palette = set(OKABE_ITO.values())
    colours = {to_hex(line.get_color()).upper() for line in ax.get_lines() if len(line.get_xdata())}
    colours |= {
        to_hex(c).upper()
        for collection in ax.collections
        for c in collection.get_edgecolors()
        if len(collection.get_paths())
    }
    assert colours - {"#52606D", "#E4E7EB", "#7B8794"} <= palette  # axis greys aside


@pytest.mark.parametrize("k", [3, 8, 40, 60])
def test_readable_from_3_to_60_rows(k: int) -> None:
    fig = forest(random_table(k, seed=k))
    # height grows with the rows at a constant row height, so text size never shrinks
    assert fig.get_figheight() == pytest.approx(0.55 + 1.1 + 0.26 * (k + 1))
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    shown = shown_texts(fig)
    boxes: list[Bbox] = [t.get_window_extent(renderer) for t in shown]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    canvas = fig.bbox
    assert all(canvas.contains(b.x0, b.y0) and canvas.contains(b.x1, b.y1) for b in boxes)
    plot_left = fig.axes[0].get_window_extent(renderer).x0
    labels = [t for t in shown if "(n = " in t.get_text()]
    assert len(labels) == k
    assert all(t.get_window_extent(renderer).x1 < plot_left for t in labels)


def test_long_labels_stay_left_of_the_plot() -> None:
    rows = study_rows([10, 20, 30], [100, 200, 12345])
    rows[2]["label"] = "WWWWWWWWWWWWWWWWWWWWWWWWWWWW et al."
    rows[1]["label"] = "A consortium registry"
    fig = forest(figure_table(rows))
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    plot_left = fig.axes[0].get_window_extent(renderer).x0
    labels = [t for t in shown_texts(fig) if "(n = " in t.get_text()]
    assert len(labels) == 3
    assert any(t.get_text().endswith("(n = 12,345)") for t in labels)
    assert all(t.get_window_extent(renderer).x1 < plot_left for t in labels)


def test_reconstructed_counts_are_marked() -> None:
    """A study whose count was rebuilt from its percent carries † and the footnote explains it."""
    from secondop_stats.stats import RECONSTRUCTED_MARK, pool_table

    table = figure_table(
        [
            {"study_id": "a", "label": "Alpha 2015", "denominator": 200, "percent": 25.0},
            {
                "study_id": "b",
                "label": "Beta 2016",
                "numerator": 30,
                "denominator": 100,
                "percent": 30.0,
            },
        ]
    )
    result = pool_table(table)
    assert result.labels[0].startswith(f"Alpha 2015{RECONSTRUCTED_MARK} (n = 200")
    assert RECONSTRUCTED_MARK not in result.labels[1]
    fig = forest(table)
    assert any("count reconstructed from the reported percent" in t for t in texts(fig))
