"""Time from opening a dashboard page to live widgets, against a bare kernel start.

A real ``secondop serve`` process (pre-heated kernels on) serves the landing page and the three
apps; headless Chromium opens each page and the clock stops when the app's widgets are on
screen. Between pages the server is given time to refill its pool, as it would between
visitors. The baseline, measured in the same run on the same machine, is the time an ipykernel
takes to start and answer (``jupyter_client.start_new_kernel``).

Prints ``dashboard_ready_median_s``, ``kernel_start_median_s``,
``dashboard_ready_vs_kernel_start`` and, for comparison, the ready time of a server without
pre-heated kernels (``dashboard_ready_cold_median_s``) and of the smallest possible page, a
pre-heated notebook showing one button (``dashboard_floor_median_s``), and of the apps served
with Voilà's own page script instead of the project's (``dashboard_voila_page_median_s``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import run
from jupyter_client.manager import start_new_kernel

from secondop_stats.apps.serve import TEMPLATE
from tests.browser_support import CHROMIUM_ARGS
from tests.server_support import running_server

#: Each page and the element that shows its widgets are live.
PAGES = {
    "index.ipynb": ".so-overview",
    "01_evidence_explorer.ipynb": ".so-explorer-table table",
    "02_providers_and_costs.ipynb": ".so-providers-table table",
    "03_decision_guide.ipynb": ".so-guide-summary .so-print",
}
ROUNDS = 3
KERNEL_STARTS = 5
FLOOR_NOTEBOOK = "one_button.ipynb"
#: Voilà's own page (its lab template and JupyterLab application) in place of the project's.
VOILA_PAGE = "lab"
FLOOR_CODE = (
    "import ipywidgets as w\n"
    "button = w.Button(description='Ready')\n"
    "button.add_class('so-floor')\n"
    "button"
)


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).is_file():
            return candidate
    raise SystemExit("bench_dashboard: Chromium is missing (apt-get install chromium)")


def kernel_start_s() -> float:
    """Seconds for a bare ipykernel to start and reply to kernel_info."""
    start = time.perf_counter()
    manager, client = start_new_kernel(
        kernel_name="python3", startup_timeout=120, stderr=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - start
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return elapsed


def ready_s(browser, url: str, selector: str) -> float:
    """Seconds from asking for ``url`` to ``selector`` being visible (live widgets)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url, timeout=240_000)
        page.wait_for_selector(selector, state="visible", timeout=240_000)
        return time.perf_counter() - start
    finally:
        page.close(run_before_unload=True)
        context.close()


def page_times(
    browser,
    *,
    preheat: bool,
    rounds: int,
    pages: dict[str, str] = PAGES,
    folder: Path | None = None,
    template: str = TEMPLATE,
) -> list[float]:
    pooled = len(pages) if preheat else 0
    times = []
    with running_server(
        max_kernels=len(pages) + 2, preheat=preheat, folder=folder, template=template
    ) as server:
        server.wait_until_idle(pooled)
        for _ in range(rounds):
            for notebook, selector in pages.items():
                times.append(ready_s(browser, f"{server.base}/voila/render/{notebook}", selector))
                server.wait_until_idle(pooled)  # the pool refills between visitors
    return times


def floor_times(browser, rounds: int) -> list[float]:
    """Ready times of a pre-heated page that shows one button."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "floor",
                "metadata": {},
                "outputs": [],
                "source": FLOOR_CODE,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with tempfile.TemporaryDirectory(prefix="secondop-bench-") as folder:
        (Path(folder) / FLOOR_NOTEBOOK).write_text(json.dumps(notebook), encoding="utf-8")
        return page_times(
            browser,
            preheat=True,
            rounds=rounds,
            pages={FLOOR_NOTEBOOK: ".so-floor"},
            folder=Path(folder),
        )


def main() -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            kernel_start_s()  # warm the file system cache
            kernel = statistics.median(kernel_start_s() for _ in range(KERNEL_STARTS))
            warm = statistics.median(page_times(browser, preheat=True, rounds=ROUNDS))
            cold = statistics.median(page_times(browser, preheat=False, rounds=1))
            floor = statistics.median(floor_times(browser, rounds=ROUNDS * len(PAGES)))
            voila_page = statistics.median(
                page_times(browser, preheat=True, rounds=1, template=VOILA_PAGE)
            )
        finally:
            browser.close()
    print(f"dashboard_ready_median_s: {warm:.2f}")
    print(f"kernel_start_median_s: {kernel:.2f}")
    print(f"dashboard_ready_vs_kernel_start: {warm / kernel:.2f}")
    print(f"dashboard_ready_cold_median_s: {cold:.2f}")
    print(f"dashboard_floor_median_s: {floor:.2f}")
    print(f"dashboard_voila_page_median_s: {voila_page:.2f}")


if __name__ == "__main__":
    run(main, "bench_dashboard", limit_s=900)
