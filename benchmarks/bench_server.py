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

from tests.server_support import running_server

VIEWERS = 10
NOTEBOOK = "03_decision_guide.ipynb"


def timed_open(server) -> float:
    start = time.perf_counter()
    page = server.open_page(NOTEBOOK)
    if page.status != 200:
        raise RuntimeError(f"page answered {page.status}")
    return time.perf_counter() - start


def main() -> None:
    with running_server(max_kernels=VIEWERS + 2, preheat=False) as server:
        timed_open(server)  # warm the server's caches and the file system
        single = timed_open(server)
        with ThreadPoolExecutor(VIEWERS) as pool:
            times = list(pool.map(lambda _: timed_open(server), range(VIEWERS)))
        server.wait_for_kernels(VIEWERS + 2, timeout=30)
        rss = [k.memory_info().rss for k in server.kernels()]
    median = statistics.median(times)
    print(f"server_kernel_memory_mb: {statistics.median(rss) / 1024**2:.0f}")
    print(f"server_render_single_s: {single:.2f}")
    print(f"server_render_10_concurrent_median_s: {median:.2f}")
    print(f"server_render_10_concurrent_vs_single: {median / single:.2f}")


if __name__ == "__main__":
    main()
