"""Layout in a real browser: the dashboard and the reports on a phone (390 px wide), a visible
keyboard focus with enough contrast, and screenshots of every page at two widths.

On a phone no page may scroll sideways and no control may stick out of the screen; tables turn
into one card per row (each value under its column name) and charts keep their labels at a
readable size, scrolling sideways inside their own region if they must. Screenshots go to
tests/artifacts/screen-<page>-<width>.png.
"""

from __future__ import annotations

import base64
import re
import struct
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .browser_support import (
    ARTIFACTS,
    PAGE_SECONDS,
    choose_metric,
    chromium,
    screenshot_on_failure,
    voila_dashboard,
)
from .test_browser import APP_NOTEBOOKS, axe_violations, open_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MS = 1000
PHONE = {"width": 390, "height": 844}
#: A phone as Chromium emulates one, beyond its screen size: a mobile browser that honours the
#: page's viewport tag (a page without one is laid out 980 px wide and shrunk), touch input and a
#: 3x pixel density.
PHONE_DEVICE = {
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
}
DESKTOP = {"width": 1366, "height": 900}
#: Short page names (for screenshots and messages) of the dashboard's notebooks.
PAGES = {
    "index": "index.ipynb",
    "explorer": "01_evidence_explorer.ipynb",
    "providers": "02_providers_and_costs.ipynb",
    "guide": "03_decision_guide.ipynb",
}
#: Apps whose data table must become cards on a phone, and their charts.
TABLES = {"explorer": ".so-explorer-table", "providers": ".so-providers-table"}
CHARTS = {"explorer": "img.so-explorer-plot", "providers": "img.so-providers-chart"}
#: Charts drawn anew for phones (the others keep their labels legible by panning).
NARROW_CHARTS = {"providers"}
#: Smallest size (CSS px) a chart's labels may be shown at, and a focus ring's least contrast.
MIN_CHART_TEXT_PX = 10
MIN_FOCUS_CONTRAST = 3.0
FOCUS_STOPS = 15


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def voila(browser) -> Iterator[str]:
    with voila_dashboard("voila-layout.log") as base:
        yield base


@contextmanager
def viewing(browser, viewport: dict[str, int]) -> Iterator[object]:
    """A page in its own browser context of the given viewport (the phone's is an emulated
    phone), closed as a visitor would."""
    context = browser.new_context(viewport=viewport, **(PHONE_DEVICE if viewport == PHONE else {}))
    context.set_default_timeout(PAGE_SECONDS * MS)
    page = context.new_page()
    try:
        yield page
    finally:
        page.close(run_before_unload=True)  # frees the page's kernel
        context.close()


# --- one interaction per page ----------------------------------------------------------------


def _open_methods(page) -> None:
    page.locator("details.so-methods > summary").click()
    page.wait_for_selector("details.so-methods[open]")


def _choose_metric(page) -> None:
    choose_metric(page, "Diagnosis changed")
    page.wait_for_selector(".so-explorer-pooling .so-ok")


def _choose_plan(page) -> None:
    page.locator(".so-providers-plan select").select_option(value="Medicaid")
    page.wait_for_function(
        "() => document.querySelector('.so-providers-rule').textContent.includes('Medicaid')"
    )


def _tick_situation(page) -> None:
    page.locator(".so-guide-serious-diagnosis input[type=checkbox]").check()
    page.wait_for_function(
        "() => document.querySelector('.so-guide-summary').textContent"
        ".includes('I have a serious diagnosis')"
    )


INTERACTIONS: dict[str, Callable[[object], None]] = {
    "index": _open_methods,
    "explorer": _choose_metric,
    "providers": _choose_plan,
    "guide": _tick_situation,
}


def open_page(page, base: str, name: str) -> None:
    """Open a dashboard page and wait for its widgets and its chart, if it has one."""
    open_dashboard(page, base, PAGES[name])
    if name in CHARTS:
        page.wait_for_selector(f"{CHARTS[name]}[src]")


# --- measurements in the page ------------------------------------------------------------------

#: What sticks out of a ``width``-wide screen: the page's own scroll width, elements that
#: scroll sideways (chart regions excepted: a chart pans rather than shrink its labels) and
#: visible controls not wholly on screen.
LAYOUT_PROBLEMS = """width => {
  const problems = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) problems.push(`page scrolls sideways: scrollWidth ${page}`);
  const describe = el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
  for (const el of document.querySelectorAll('body, body *')) {
    const style = getComputedStyle(el);
    const scrolls = ['auto', 'scroll'].includes(style.overflowX);
    if (scrolls && el.scrollWidth > el.clientWidth + 1 && !el.matches('.so-chart')) {
      problems.push(`${describe(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  const controls = 'input, select, button, textarea, [role=slider], .widget-slider';
  for (const el of document.querySelectorAll(controls)) {
    if (!el.checkVisibility({checkVisibilityCSS: true})) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.left < -0.5 || box.right > width + 0.5) {
      const name = el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30);
      problems.push(`${describe(el)} "${name}" is clipped: ${box.left}..${box.right}`);
    }
  }
  return problems;
}"""

#: Per table: whether its rows are cards, and each cell's label against its column header.
TABLE_CARDS = """root => [...root.querySelectorAll('table.so-table')].map(table => {
  const headers = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  const rows = [...table.querySelectorAll('tbody tr')];
  const mislabelled = [];
  for (const row of rows.slice(0, 25)) {
    [...row.cells].forEach((cell, i) => {
      const label = cell.getAttribute('data-label');
      const shown = getComputedStyle(cell, '::before').content;
      if (label !== headers[i] || shown !== JSON.stringify(label)) {
        mislabelled.push([i, headers[i], label, shown]);
      }
    });
  }
  const box = table.getBoundingClientRect();
  return {
    rows: rows.length,
    display: [...new Set(rows.map(r => getComputedStyle(r).display))],
    headerShown: table.querySelector('thead').getBoundingClientRect().height > 2,
    right: box.right,
    mislabelled,
  };
})"""


def svg_text_px(src: str) -> tuple[float, float]:
    """(width of the drawing in its own units, its most common text size) of an SVG data URI."""
    svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
    view_width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', svg).group(1))
    sizes = Counter(float(s) for s in re.findall(r"font-size: ?([\d.]+)px", svg))
    return view_width, sizes.most_common(1)[0][0]


def chart_legibility(page, selector: str) -> tuple[float, float]:
    """(rendered width in CSS px, rendered size of the chart's usual text in CSS px)."""
    chart = page.locator(selector)
    width = chart.evaluate("img => img.getBoundingClientRect().width")
    view_width, text = svg_text_px(chart.evaluate("img => img.currentSrc"))  # the one shown
    return width, text * width / view_width


def check_phone_layout(page, name: str, when: str) -> None:
    """The page fits a phone: nothing sticks out, tables are cards, charts are legible."""
    problems = page.evaluate(LAYOUT_PROBLEMS, PHONE["width"])
    assert problems == [], (name, when, problems)
    if name in TABLES:
        tables = page.locator(TABLES[name]).evaluate(TABLE_CARDS)
        assert tables, (name, when, "no table")
        for table in tables:
            assert table["rows"] > 0 and table["display"] == ["block"], (name, when, table)
            assert not table["headerShown"] and table["mislabelled"] == [], (name, when, table)
            assert table["right"] <= PHONE["width"], (name, when, table)
    if name in CHARTS:
        width, text = chart_legibility(page, CHARTS[name])
        assert width >= 300, (name, when, f"chart only {width:.0f} px wide")
        assert text >= MIN_CHART_TEXT_PX - 0.05, (name, when, f"chart text {text:.1f} px")
    if name in NARROW_CHARTS:  # a drawing made for phones: it fits, nothing to pan
        region = page.locator(CHARTS[name]).locator("xpath=ancestor::div[@role='region'][1]")
        scroll, client = region.evaluate("r => [r.scrollWidth, r.clientWidth]")
        assert scroll <= client + 1, (name, when, f"chart pans: {scroll} > {client}")


# --- the dashboard on a phone ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
def test_dashboard_pages_fit_a_phone_before_and_after_an_interaction(
    browser, voila: str, name: str
) -> None:
    with viewing(browser, PHONE) as page, screenshot_on_failure(page, f"phone-{name}"):
        open_page(page, voila, name)
        check_phone_layout(page, name, "as opened")
        INTERACTIONS[name](page)
        check_phone_layout(page, name, "after an interaction")
        assert axe_violations(page) == [], name


# --- keyboard focus ------------------------------------------------------------------------------

#: The focused element: its outline and shadow, the colour behind it and its accessible name
#: (aria-labelledby, aria-label, its labels, alt, title, then its text), as browsers compute
#: it for these controls.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  let background = 'rgb(255, 255, 255)';
  for (let node = el.parentElement; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && !/^rgba\\(.*, 0\\)$/.test(colour) && colour !== 'transparent') {
      background = colour;
      break;
    }
  }
  const path = node => node.parentElement
    ? `${path(node.parentElement)}/${[...node.parentElement.children].indexOf(node)}` : '';
  const text = node => (node ? node.textContent.replace(/\\s+/g, ' ').trim() : '');
  const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => text(document.getElementById(id))).join(' ');
  const labels = el.labels ? [...el.labels].map(text).join(' ') : '';
  const name = byIds || el.getAttribute('aria-label') || labels || el.getAttribute('alt')
    || el.getAttribute('title') || text(el);
  return {
    tag: el.tagName.toLowerCase(),
    classes: el.className.toString(),
    name: name.trim(),
    focusVisible: el.matches(':focus-visible'),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
    background,
    key: path(el),
  };
}"""


def css_rgba(colour: str) -> tuple[float, float, float, float]:
    """A computed CSS colour ("rgb(r, g, b)" or "rgba(r, g, b, a)") as (r, g, b, alpha)."""
    parts = [float(p) for p in re.findall(r"[\d.]+", colour)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)  # type: ignore[return-value]


def over(colour: tuple[float, float, float, float], background: str) -> tuple[float, ...]:
    """``colour`` composited over an opaque ``background``, as (r, g, b)."""
    r, g, b, alpha = colour
    back = css_rgba(background)
    return tuple(alpha * c + (1 - alpha) * k for c, k in zip((r, g, b), back[:3], strict=True))


def relative_luminance(rgb: tuple[float, ...]) -> float:
    """WCAG 2 relative luminance of an sRGB colour with 0-255 channels."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    """WCAG contrast ratio (1 to 21) of two opaque colours."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_ratio_matches_wcag() -> None:
    white, black = (255, 255, 255), (0, 0, 0)
    assert contrast_ratio(white, black) == pytest.approx(21)
    assert contrast_ratio((118, 118, 118), white) == pytest.approx(4.54, abs=0.01)
    assert over((0, 0, 0, 0.5), "rgb(255, 255, 255)") == (127.5, 127.5, 127.5)


def focus_ring_problem(focused: dict) -> str | None:
    """Why the focused element's indicator falls short, or None when it is clear."""
    if not focused["name"]:
        return "has no accessible name"
    if not focused["focusVisible"]:
        return "does not match :focus-visible after a Tab"
    has_outline = focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2
    if not has_outline:
        return None if focused["boxShadow"] != "none" else "shows no outline or shadow"
    colour = over(css_rgba(focused["outlineColor"]), focused["background"])
    background = css_rgba(focused["background"])[:3]
    ratio = contrast_ratio(colour, background)
    focused["contrast"] = round(ratio, 2)
    return None if ratio >= MIN_FOCUS_CONTRAST else f"outline contrast {ratio:.2f} < 3"


@pytest.mark.parametrize("name", list(PAGES))
def test_keyboard_focus_is_visible_and_named(browser, voila: str, name: str) -> None:
    with viewing(browser, DESKTOP) as page, screenshot_on_failure(page, f"focus-{name}"):
        open_page(page, voila, name)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        seen: list[dict] = []
        for _ in range(FOCUS_STOPS):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused is None or (seen and focused["key"] == seen[-1]["key"]):
                break  # focus left the page
            seen.append(focused)
            problem = focus_ring_problem(focused)
            assert problem is None, (name, focused["tag"], focused["classes"], problem, focused)
        assert len(seen) >= min(3, FOCUS_STOPS), (name, "too few focusable controls", seen)
        ratios = sorted({f["contrast"] for f in seen if "contrast" in f})
        print(f"{name}: {len(seen)} focus stops, outline contrast {ratios}")


# --- reports on a phone ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """A batch of one report (heart, PPO) with its index."""
    from secondop_stats.cli import main

    out = tmp_path_factory.mktemp("layout-reports")
    args = ["reports", "--conditions", "heart", "--plans", "ppo", "--output-dir", str(out)]
    assert main(args) == 0
    return out


def _report(reports: Path) -> Path:
    return next(p for p in sorted(reports.glob("*.html")) if p.name != "index.html")


def test_report_tables_become_cards_on_a_phone_and_print_as_tables(browser, reports) -> None:
    with viewing(browser, PHONE) as page:
        page.goto(_report(reports).as_uri())
        assert page.evaluate(LAYOUT_PROBLEMS, PHONE["width"]) == []
        tables = page.locator("body").evaluate(TABLE_CARDS)
        assert len(tables) >= 3
        for table in tables:
            assert table["display"] == ["block"] and table["mislabelled"] == [], table
            assert not table["headerShown"] and table["right"] <= PHONE["width"], table
        assert axe_violations(page) == []

        page.emulate_media(media="print")
        printed = page.evaluate(
            """() => [...document.querySelectorAll('table.so-table')].map(t => [
                getComputedStyle(t).display,
                getComputedStyle(t.querySelector('thead')).display,
                getComputedStyle(t.querySelector('tbody tr')).display,
                getComputedStyle(t.querySelector('tbody td'), '::before').content])"""
        )
        assert printed and all(
            row == ["table", "table-header-group", "table-row", "none"] for row in printed
        ), printed


# --- screenshots ---------------------------------------------------------------------------------


def png_width(path: Path) -> int:
    """Width in pixels of a PNG file (from its IHDR chunk)."""
    with path.open("rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">I", head[16:20])[0]


#: Voilà scrolls its cells inside a box as high as the window: the height of everything in it.
CELLS_HEIGHT = """() => {
  const cells = document.querySelector('#rendered_cells');
  return cells ? cells.scrollHeight : 0;
}"""
#: The tallest screenshot taken (Chromium's limit for one capture is 16,384 px).
MAX_SHOT_PX = 16000


def save_screen(page, name: str, width: int) -> Path:
    """Save ``screen-<name>-<width>.png`` (the whole page) and check it is no wider than the
    screen: a wider full-page shot means the page scrolls sideways."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"screen-{name}-{width}.png"
    viewport = page.viewport_size
    cells = page.evaluate(CELLS_HEIGHT)
    if cells > viewport["height"]:  # a window as tall as the dashboard's content shows it all
        page.set_viewport_size({"width": width, "height": min(cells, MAX_SHOT_PX)})
        page.wait_for_timeout(300)
    try:
        page.screenshot(path=str(path), full_page=True, scale="css", timeout=60 * MS)
    finally:
        page.set_viewport_size(viewport)
    assert png_width(path) == width, (path.name, png_width(path))
    return path


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_screenshots_of_every_page(browser, voila: str, reports: Path, viewport) -> None:
    width = viewport["width"]
    with viewing(browser, viewport) as page:
        for name in PAGES:
            with screenshot_on_failure(page, f"screen-{name}-{width}"):
                open_page(page, voila, name)
                page.wait_for_selector(APP_NOTEBOOKS[PAGES[name]], state="visible")
                save_screen(page, name, width)
        page.goto(_report(reports).as_uri())
        save_screen(page, "report", width)
        page.goto((reports / "index.html").as_uri())
        save_screen(page, "report-index", width)


@pytest.mark.parametrize("name", list(TABLES))
def test_printing_an_app_prints_its_whole_table(browser, voila: str, name: str) -> None:
    """On screen the table scrolls inside a fixed height; on paper every row is there."""
    from io import BytesIO

    from pypdf import PdfReader

    with viewing(browser, DESKTOP) as page, screenshot_on_failure(page, f"print-{name}"):
        open_page(page, voila, name)
        rows = page.locator(f"{TABLES[name]} tbody tr")
        last_row = rows.nth(rows.count() - 1).locator("td").first.inner_text().strip()
        page.emulate_media(media="print")
        assert not page.locator(".so-copy-link").is_visible()
        pdf = page.pdf(path=str(ARTIFACTS / f"voila-{name}-print.pdf"), format="A4")
        page.emulate_media(media="screen")
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert len(PdfReader(BytesIO(pdf)).pages) >= 2
    assert re.sub(r"\s+", " ", last_row)[:30] in flat, (last_row, flat[-500:])


#: Visible control labels whose text does not fit (shown cut, with an ellipsis).
CUT_LABELS = """() => [...document.querySelectorAll('.widget-label, .widget-label-basic')]
  .filter(label => label.offsetParent !== null && label.scrollWidth > label.clientWidth + 1)
  .map(label => label.textContent)"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_no_control_label_is_cut(browser, voila: str, viewport) -> None:
    with viewing(browser, viewport) as page:
        for name in PAGES:
            open_page(page, voila, name)
            assert page.evaluate(CUT_LABELS) == [], name
