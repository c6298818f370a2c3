"""Dashboard server under load: memory per kernel, and page render time for one viewer and
for ten viewers at once (each a real Voilà page whose kernel runs the app).

Ready kernels are off here: every page starts its own kernel, as pages do once the ready ones
are taken, so the numbers measure the server under load.

Prints ``server_kernel_memory_mb``, ``server_render_single_s``,
``server_render_10_concurrent_median_s`` and their ratio to the single render, measured in the
same run.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import run

from tests.server_support import running_server

VIEWERS = 10
#: Seconds one page may take to render before the benchmark gives up on it.
PAGE_TIMEOUT_S = 120
NOTEBOOK = "03_decision_guide.ipynb"


def timed_open(server) -> tuple[float, object]:
    """Seconds to render one app page (its kernel started and the app built), and the page."""
    start = time.perf_counter()
    page = server.open_page(NOTEBOOK, timeout=PAGE_TIMEOUT_S)
    if page.status != 200:
        raise RuntimeError(f"page answered {page.status}")
    return time.perf_counter() - start, page


def close(server, page) -> None:
    """Close a page as its browser would, and wait until its kernel is gone."""
    server.close_page(page)
    if not server.wait_for_kernel_gone(page.kernel_id, timeout=30):
        raise RuntimeError("a closed page's kernel did not stop within 30 s")


def main() -> None:
    # room for every page open at once, and never more pages than that
    with running_server(max_kernels=VIEWERS, preheat=False) as server:
        close(server, timed_open(server)[1])  # warm the server's caches and the file system
        single, page = timed_open(server)
        close(server, page)
        with ThreadPoolExecutor(VIEWERS) as pool:
            opened = list(pool.map(lambda _: timed_open(server), range(VIEWERS)))
        times = [seconds for seconds, _ in opened]
        server.wait_for_kernels(VIEWERS, timeout=30)
        rss = [k.memory_info().rss for k in server.kernels()]
        for _, page in opened:
            server.close_page(page)
    median = statistics.median(times)
    print(f"server_kernel_memory_mb: {statistics.median(rss) / 1024**2:.0f}")
    print(f"server_render_single_s: {single:.2f}")
    print(f"server_render_10_concurrent_median_s: {median:.2f}")
    print(f"server_render_10_concurrent_vs_single: {median / single:.2f}")


if __name__ == "__main__":
    run(main, "bench_server", limit_s=600)
