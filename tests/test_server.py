"""``secondop serve`` releases what it takes: bounded kernels, a busy page beyond the limit,
kernels freed when a page closes or idles, and only local Host headers served."""

from __future__ import annotations

import pytest

from secondop_stats.apps.serve import MAX_KERNELS_CAP, default_max_kernels
from tests.server_support import running_server

pytestmark = pytest.mark.slow


def test_default_kernel_limit_follows_memory() -> None:
    assert default_max_kernels(0) == 1
    assert default_max_kernels(2 * 300 * 1024**2) == 1
    assert default_max_kernels(8 * 300 * 1024**2) == 4
    assert default_max_kernels(10**13) == MAX_KERNELS_CAP


@pytest.mark.parametrize("preheat", [False, True], ids=["plain", "preheated"])
def test_never_more_kernels_than_the_limit_and_closing_frees_one(preheat: bool) -> None:
    with running_server(max_kernels=2, preheat=preheat) as server:
        first = server.open_page("03_decision_guide.ipynb")
        second = server.open_page("01_evidence_explorer.ipynb")
        assert first.status == second.status == 200
        assert server.wait_for_kernels(2) == 2
        busy = server.open_page("02_providers_and_costs.ipynb")
        assert busy.status == 503
        assert "The dashboard is busy" in busy.html and "try again" in busy.html.lower()
        assert len(server.kernels()) == 2  # no kernel started for the refused visitor
        # closing a page (the request the browser sends on unload) frees its kernel
        assert server.close_page(first) == 204
        assert server.wait_for_kernel_gone(first.kernel_id)
        if not preheat:  # (pre-heated, the freed place is refilled at once)
            assert server.wait_for_kernels(1) == 1
        again = server.open_page("02_providers_and_costs.ipynb")
        assert again.status == 200
        assert server.wait_for_kernels(2) == 2
        assert len(server.kernels()) == 2


def test_preheated_kernels_fill_only_the_room_there_is() -> None:
    with running_server(max_kernels=3) as server:
        assert server.wait_until_idle(3)
        samples = []
        for notebook in ("index.ipynb", "01_evidence_explorer.ipynb", "03_decision_guide.ipynb"):
            assert server.open_page(notebook).status == 200
            samples.append(len(server.kernels()))
        assert server.open_page("02_providers_and_costs.ipynb").status == 503
        samples.append(len(server.kernels()))
        assert max(samples) <= 3, samples


@pytest.mark.parametrize("preheat", [False, True], ids=["plain", "preheated"])
def test_idle_kernels_are_culled(preheat: bool) -> None:
    with running_server(max_kernels=2, idle_timeout=10, preheat=preheat) as server:
        page = server.open_page()
        assert page.status == 200 and page.kernel_id
        assert server.wait_for_kernel_gone(page.kernel_id, timeout=60)
        if not preheat:  # (pre-heated kernels wait for visitors and are not culled)
            assert server.wait_for_kernels(0, timeout=60) == 0
        assert len(server.kernels()) <= 2


@pytest.mark.parametrize(
    ("host", "status"),
    [("evil.example.com", 403), ("attacker.test:8866", 403), ("localhost", 200)],
)
def test_only_local_host_headers_are_served(host: str, status: int) -> None:
    with running_server(max_kernels=1) as server:
        page = server.open_page("index.ipynb", Host=host)
        assert page.status == status
