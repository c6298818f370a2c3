"""The dashboard and the notebooks in a real browser (headless Chromium driven by Playwright).

Voilà serves the notebooks as `secondop serve` does; each page must render its widgets, react to
its controls, show no code and log no console error. JupyterLab then runs each notebook from a
temporary copy and must render its widgets. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from secondop_stats.apps.serve import voila_command, voila_env
from secondop_stats.paths import notebooks_dir

from .browser_support import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    PAGE_SECONDS,
    Console,
    Server,
    choose_metric,
    chromium_path,
    free_port,
    running,
    screenshot,
    screenshot_on_failure,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MS = 1000
APP_NOTEBOOKS = {
    "index.ipynb": ".so-overview",
    "01_evidence_explorer.ipynb": ".so-explorer-table table",
    "02_providers_and_costs.ipynb": ".so-providers-table table",
    "03_decision_guide.ipynb": ".so-guide-summary .so-print",
}
CODE_SELECTORS = (
    ".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor, .cm-editor, .CodeMirror"
)
ERROR_OUTPUTS = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def voila(browser) -> Iterator[str]:
    port = free_port()
    # Tracebacks on: a failing cell then shows why, in the page and its screenshot.
    # Room for every page this module opens; pages also free their kernels when they close.
    command = voila_command(port, show_tracebacks=True, max_kernels=16)
    server = Server("voila", command, port, ARTIFACTS / "voila.log", env=voila_env())
    with running(server):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    context.set_default_timeout(PAGE_SECONDS * MS)
    page = context.new_page()
    yield page
    page.close(run_before_unload=True)  # as a visitor closing the tab: frees the page's kernel
    context.close()


def open_dashboard(page, base: str, notebook: str) -> Console:
    """Load a Voilà page and wait until its widgets are on screen."""
    console = Console(page)
    page.goto(f"{base}/voila/render/{notebook}", timeout=PAGE_SECONDS * MS)
    page.wait_for_selector("#loading", state="detached")
    page.wait_for_selector(APP_NOTEBOOKS[notebook.split("?")[0]], state="visible")
    return console


def download(page, button: str) -> bytes:
    """Click a download button and return the bytes the browser saves."""
    with page.expect_download() as saving:
        page.locator(button).click()
    return Path(saving.value.path()).read_bytes()


def assert_clean(page, console: Console) -> None:
    """No code, no error output, no console error."""
    assert page.locator(CODE_SELECTORS).count() == 0, "code is shown"
    text = page.inner_text("body")
    assert "from secondop_stats" not in text and "build_" not in text, "code is shown"
    assert page.locator(ERROR_OUTPUTS).count() == 0, page.locator(ERROR_OUTPUTS).all_inner_texts()
    assert "Traceback" not in text
    assert console.errors == [], console.errors


# --- Voilà dashboard ------------------------------------------------------------------------


def test_landing_page_links_the_three_apps(page, voila: str) -> None:
    with screenshot_on_failure(page, "voila-landing"):
        console = open_dashboard(page, voila, "index.ipynb")
        hrefs = page.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        for notebook in list(APP_NOTEBOOKS)[1:]:
            assert notebook in hrefs
        assert_clean(page, console)
        page.get_by_role("link", name="Evidence explorer").first.click()
        page.wait_for_selector(APP_NOTEBOOKS["01_evidence_explorer.ipynb"], state="visible")
        assert page.url.endswith("/voila/render/01_evidence_explorer.ipynb")
        screenshot(page, "voila-landing-to-explorer")


def test_explorer_filter_updates_table_and_plot(page, voila: str) -> None:
    with screenshot_on_failure(page, "voila-explorer"):
        console = open_dashboard(page, voila, "01_evidence_explorer.ipynb")
        page.wait_for_selector("img.so-explorer-plot[src]")
        screenshot(page, "voila-explorer")
        rows = page.locator(".so-explorer-table tbody tr").count()
        src = page.get_attribute("img.so-explorer-plot", "src")
        assert rows > 10 and src

        target = choose_metric(page, "Diagnosis changed")
        page.wait_for_function(
            """([rows, src]) => {
                const now = document.querySelectorAll('.so-explorer-table tbody tr').length;
                const img = document.querySelector('img.so-explorer-plot');
                return now !== rows && img !== null && img.src !== src;
            }""",
            arg=[rows, src],
        )
        expected = int(re.search(r"\((\d+)\)$", target).group(1))
        assert page.locator(".so-explorer-table tbody tr").count() == expected
        page.wait_for_selector(".so-explorer-pooling .so-ok")
        assert "Pooled estimates" in page.inner_text(".so-explorer-pooling")
        assert "Diagnosis changed" in page.inner_text(".so-explorer-provenance")
        assert page.locator(".so-explorer-downloads button").count() == 3
        csv = download(page, ".so-explorer-downloads button >> text=Figures (CSV)")
        assert csv.startswith("\ufeff".encode())
        lines = [line for line in csv.decode("utf-8-sig").splitlines() if line]
        assert len(lines) == expected + 1  # the figures shown, under a header
        png = download(page, ".so-explorer-plot-downloads button >> text=Chart (PNG)")
        assert png.startswith(b"\x89PNG")
        assert_clean(page, console)
        screenshot(page, "voila-explorer-one-metric")


def test_plan_change_changes_out_of_pocket(page, voila: str) -> None:
    with screenshot_on_failure(page, "voila-providers"):
        console = open_dashboard(page, voila, "02_providers_and_costs.ipynb")
        read_you_pay = """() => {
            const table = document.querySelector('.so-providers-table table');
            const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent);
            const col = heads.findIndex(
                h => h.startsWith('You pay, estimate (') && !h.includes('quoted'));
            return [...table.querySelectorAll('tbody tr')].map(tr => tr.cells[col].textContent);
        }"""
        before = page.evaluate(read_you_pay)
        assert before and any(value not in ("$0", "—") for value in before)
        price = page.locator(".so-providers-visit-price input")
        price.fill("500")
        price.press("Enter")
        page.wait_for_function(f"() => ({read_you_pay})()[0] === '$326'")
        chart = page.get_attribute("img.so-providers-chart", "src")
        page.locator(".so-providers-plan select").select_option(value="Medicaid")
        page.wait_for_function(f"() => ({read_you_pay})()[0] === '$0'")
        page.wait_for_function(
            "src => document.querySelector('img.so-providers-chart').src !== src", arg=chart
        )
        after = page.evaluate(read_you_pay)
        assert after != before
        assert "Medicaid" in page.inner_text(".so-providers-rule")
        assert "an estimate, not a quote" in page.inner_text(".so-providers-rule")
        assert_clean(page, console)
        screenshot(page, "voila-providers-medicaid")


def test_decision_guide_checklist_and_printable_summary(page, voila: str) -> None:
    with screenshot_on_failure(page, "voila-guide"):
        console = open_dashboard(page, voila, "03_decision_guide.ipynb")
        summary = ".so-guide-summary .so-print"
        assert "Tick the situations" in page.inner_text(summary)
        page.locator(".so-guide-serious-diagnosis input[type=checkbox]").check()
        page.wait_for_function(
            "() => document.querySelector('.so-guide-summary').textContent"
            ".includes('I have a serious diagnosis')"
        )
        assert "Records to gather" in page.inner_text(summary)
        assert_clean(page, console)
        screenshot(page, "voila-guide")

        page.emulate_media(media="print")
        assert page.locator(summary).is_visible()
        assert not page.locator(".so-guide-serious-diagnosis").is_visible()
        assert not page.locator(".so-print-button").is_visible()
        pdf = page.pdf(path=str(ARTIFACTS / "voila-guide-print.pdf"), format="A4")
        pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
        assert pages >= 2, "the summary should print over several pages, not be cut at one"
        page.emulate_media(media="screen")


# --- JupyterLab -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jupyterlab(browser, tmp_path_factory) -> Iterator[str]:
    """JupyterLab over a temporary copy of the notebooks (Lab autosaves what it runs)."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "notebooks"
    root.mkdir()
    for notebook in APP_NOTEBOOKS:
        shutil.copy(notebooks_dir() / notebook, root / notebook)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.allow_root=True",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    server = Server("jupyterlab", command, port, ARTIFACTS / "jupyterlab.log", env=env, cwd=home)
    with running(server):
        yield f"http://127.0.0.1:{port}/lab/workspaces/{{workspace}}/tree/{{notebook}}?token={token}"


def wait_for_idle_kernel(page) -> None:
    """Wait until the notebook's kernel is idle, accepting a kernel-choice dialog if asked."""
    idle_or_dialog = (
        "() => document.querySelector('.jp-Dialog') !== null || document.querySelector("
        "\".jp-Notebook-ExecutionIndicator[data-status='idle']\") !== null"
    )
    for _ in range(3):
        page.wait_for_function(idle_or_dialog)
        if page.locator(".jp-Dialog").count() == 0:
            return
        accept_kernel_dialog(page)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")


def accept_kernel_dialog(page) -> None:
    """Accept the kernel-choice dialog (the notebook's own kernel) if one is open."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        dialog.locator(".jp-mod-accept").first.click()
        dialog.wait_for(state="detached")


def run_all_cells(page, attempts: int = 3) -> None:
    """Run → Run All Cells, until every code cell has started (the menu can be clicked before
    the notebook is ready to run; then nothing starts and it is clicked again)."""
    started = (
        "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]"
        ".every(p => !/\\[\\s*\\]/.test(p.textContent))"
    )
    for attempt in range(attempts):
        accept_kernel_dialog(page)  # it can open after the kernel reported idle
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()  # make the notebook current
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            page.wait_for_function(started, timeout=30 * MS)
            return
        except Exception:
            if attempt == attempts - 1:
                raise


@pytest.mark.parametrize("notebook", list(APP_NOTEBOOKS))
def test_notebook_renders_its_widgets_in_jupyterlab(page, jupyterlab: str, notebook: str) -> None:
    name = f"lab-{Path(notebook).stem}"
    with screenshot_on_failure(page, name):
        url = jupyterlab.format(workspace=name, notebook=notebook)
        page.goto(url, timeout=PAGE_SECONDS * MS)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", state="visible")
        wait_for_idle_kernel(page)
        run_all_cells(page)
        page.wait_for_selector(f".jp-OutputArea-output {APP_NOTEBOOKS[notebook]}", state="visible")
        outputs = page.inner_text(".jp-NotebookPanel")
        assert "Error displaying widget" not in outputs
        assert page.locator(f".jp-NotebookPanel {ERROR_OUTPUTS}").count() == 0
        screenshot(page, name)


def test_closing_a_page_in_the_browser_frees_its_kernel(browser) -> None:
    """The page's own unload request (with its _xsrf cookie) shuts its kernel down."""
    from tests.server_support import running_server

    with running_server(max_kernels=3) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(PAGE_SECONDS * MS)
        page = context.new_page()
        try:
            open_dashboard(page, server.base, "03_decision_guide.ipynb")
            kernel_id = re.findall(r'"kernelId": "([0-9a-f-]+)"', page.content())[0]
            assert not server.wait_for_kernel_gone(kernel_id, timeout=2)  # the page holds it
            page.close(run_before_unload=True)
            assert server.wait_for_kernel_gone(kernel_id, timeout=30)
            assert len(server.kernels()) <= 3
        finally:
            context.close()


def test_a_link_opens_the_explorer_on_its_view(page, voila: str) -> None:
    with screenshot_on_failure(page, "voila-explorer-link"):
        console = open_dashboard(
            page, voila, "01_evidence_explorer.ipynb?metric=diagnosis_changed&condition=cancer"
        )
        page.wait_for_selector(".so-explorer-pooling .so-ok")
        chosen = page.locator(".so-explorer-metric select").evaluate("s => s.value")
        assert chosen.startswith("Diagnosis changed (")
        assert "Cancer" in page.inner_text(".so-explorer-pooling")
        assert "certainty:" in page.inner_text(".so-explorer-pooling")
        assert_clean(page, console)


def test_dollar_amounts_are_never_typeset_as_mathematics(page, voila: str) -> None:
    """MathJax must not turn "$1,000 ... $2,500" into a formula anywhere in the apps."""
    for notebook in ("02_providers_and_costs.ipynb", "01_evidence_explorer.ipynb"):
        open_dashboard(page, voila, notebook)
        page.wait_for_timeout(1500)  # let MathJax run if it is going to
        assert page.locator("mjx-container").count() == 0, notebook


def test_a_printed_report_shows_every_checklist_group(browser, tmp_path) -> None:
    from secondop_stats.cli import main

    report = tmp_path / "heart.html"
    assert main(["report", "--condition", "heart", "-o", str(report)]) == 0
    page = browser.new_page()
    try:
        page.goto(report.as_uri())
        hidden = page.locator("details:not([open]) li").first
        assert not hidden.is_visible()  # collapsed on screen
        page.emulate_media(media="print")
        assert hidden.is_visible()  # printed in full
    finally:
        page.close()


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[tuple[str, int]]:
    """axe-core (WCAG 2.0/2.1/2.2 A and AA) violations on the page: (rule, nodes)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [(v["id"], len(v["nodes"])) for v in result.response["violations"]]


def test_reports_and_their_index_pass_axe(browser, tmp_path) -> None:
    """Every report of the default batch (each condition group under each default plan), the
    other audiences and the index."""
    from secondop_stats.cli import main

    out = tmp_path / "reports"
    assert main(["reports", "--output-dir", str(out)]) == 0
    pages = [out / "index.html", *sorted(out.glob("*.html"))]
    for audience, plan in (("researchers", "self_pay"), ("payers", "medicaid")):
        target = tmp_path / f"{audience}.html"
        assert (
            main(
                [
                    "report",
                    "--condition",
                    "cancer",
                    "--audience",
                    audience,
                    "--plan",
                    plan,
                    "-o",
                    str(target),
                ]
            )
            == 0
        )
        pages.append(target)
    assert len(dict.fromkeys(pages)) == 1 + 21 + 2  # the index, the default batch, two more
    page = browser.new_page()
    try:
        for path in dict.fromkeys(pages):
            page.goto(path.as_uri())
            assert axe_violations(page) == [], path.name
    finally:
        page.close()


def test_apps_pass_axe_before_and_after_an_interaction(page, voila: str) -> None:
    open_dashboard(page, voila, "index.ipynb")
    assert axe_violations(page) == [], "index"

    open_dashboard(page, voila, "01_evidence_explorer.ipynb")
    assert axe_violations(page) == [], "explorer"
    choose_metric(page, "Diagnosis changed")
    page.wait_for_selector(".so-explorer-pooling .so-ok")
    assert axe_violations(page) == [], "explorer after choosing a metric"

    open_dashboard(page, voila, "02_providers_and_costs.ipynb")
    assert axe_violations(page) == [], "providers"
    page.locator(".so-providers-plan select").select_option(value="Medicaid")
    page.wait_for_function(
        "() => document.querySelector('.so-providers-rule').textContent.includes('Medicaid')"
    )
    assert axe_violations(page) == [], "providers after a plan change"

    open_dashboard(page, voila, "03_decision_guide.ipynb")
    assert axe_violations(page) == [], "guide"
    page.locator(".so-guide-serious-diagnosis input[type=checkbox]").check()
    page.wait_for_function(
        "() => document.querySelector('.so-guide-summary').textContent"
        ".includes('I have a serious diagnosis')"
    )
    assert axe_violations(page) == [], "guide after ticking a situation"


def test_the_address_bar_follows_the_view_and_reproduces_it(page, voila: str) -> None:
    with screenshot_on_failure(page, "voila-address"):
        console = open_dashboard(page, voila, "01_evidence_explorer.ipynb")
        choose_metric(page, "Treatment changed")
        page.wait_for_function("() => window.location.search.includes('metric=treatment_changed')")
        assert page.title().startswith("Evidence explorer: Treatment changed")
        assert page.get_by_role("button", name="Copy link to this view").count() == 1
        link = page.url
        assert_clean(page, console)
        # the copied link opens the same view
        page.goto(link, timeout=PAGE_SECONDS * MS)
        page.wait_for_selector(".so-explorer-pooling .so-ok")
        selected = page.locator(".so-explorer-metric select").evaluate("s => s.value")
        assert selected.startswith("Treatment changed (")
        assert axe_violations(page) == []


def test_a_pooled_number_leads_to_its_studies(page, voila: str) -> None:
    with screenshot_on_failure(page, "voila-pooled-to-studies"):
        open_dashboard(page, voila, "01_evidence_explorer.ipynb?metric=diagnosis_changed")
        page.wait_for_selector(".so-explorer-pooling .so-ok")
        page.locator(".so-explorer-pooling a", has_text="see the studies behind it").first.click()
        page.wait_for_url("**condition=cancer**")
        page.wait_for_selector(".so-explorer-table tbody tr")
        conditions = page.locator(".so-explorer-table tbody tr td:nth-child(3)").all_inner_texts()
        assert conditions and all(c for c in conditions)
        assert (
            page.locator(".so-explorer-condition select").evaluate("s => s.value").endswith("(all)")
        )


def test_reports_and_index_do_not_scroll_sideways_on_a_phone(browser, tmp_path) -> None:
    from secondop_stats.cli import main

    out = tmp_path / "reports"
    assert (
        main(["reports", "--conditions", "heart", "--plans", "ppo", "--output-dir", str(out)]) == 0
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        for path in [out / "index.html", *sorted(out.glob("*.html"))]:
            page.goto(path.as_uri())
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, (path.name, width)
            page.screenshot(path=str(ARTIFACTS / f"phone-{path.stem}.png"))
    finally:
        page.close()
