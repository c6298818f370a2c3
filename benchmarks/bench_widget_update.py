"""Time from a filter change in the evidence explorer to its updated table and forest plot.

Builds the explorer once, then sets the metric dropdown N times, cycling through its values.
Each timing runs from setting the value until the observers have returned: the selection, the
table, the pooled estimates, the provenance, the exports and the redrawn plot are all updated
(checked after each change). Prints ``widget_update_median_ms: <number>``.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time

from harness import run

from secondop_stats.apps import build_explorer


def measure(changes: int) -> list[float]:
    """Milliseconds per metric change, for ``changes`` changes."""
    app = build_explorer()
    values = [value for _, value in app.metric.options]
    app.metric.value = values[1]  # warm caches that are not per selection (fonts, imports)
    app.metric.value = values[0]
    timings = []
    for i in range(changes):
        value = values[(i + 1) % len(values)]
        svg_before = app.svg
        start = time.perf_counter()
        app.metric.value = value
        timings.append((time.perf_counter() - start) * 1000)
        if value and set(app.selection["metric"]) != {value}:
            raise RuntimeError(f"selection not updated for metric {value!r}")
        if base64.b64encode(app.svg).decode() not in app.plot.value or app.svg == svg_before:
            raise RuntimeError(f"plot not redrawn for metric {value!r}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--changes", type=int, default=50, help="filter changes to time")
    args = parser.parse_args()
    timings = measure(args.changes)
    print(f"widget_update_median_ms: {statistics.median(timings):.1f}")


if __name__ == "__main__":
    run(main, "bench_widget_update", limit_s=300)
