"""The Voilà process behind ``secondop serve``, with three safeguards Voilà lacks.

- **Bounded kernels.** :class:`BoundedKernelManager` never runs more than ``max_kernels``
  kernels; a visitor over the limit gets a clear "busy, try again" page (HTTP 503) instead of
  a new kernel. Idle kernels are culled by jupyter_server's culler (``cull_idle_timeout``).
- **Closing a page frees its kernel.** Voilà's page sends a shutdown request when it closes,
  with the ``_xsrf`` cookie as its token; Voilà never sets that cookie, so the request was
  refused. The page handler now sets it.
- **Only local Host headers.** Voilà serves any Host header (it hard-codes
  ``allow_remote_access``); here only ``localhost`` and loopback addresses are served, which
  closes the door to DNS rebinding.
- **Pre-heated kernels within the limit.** With ``--preheat_kernel``, Voilà keeps a kernel per
  notebook that has already run the app, so a page opens without waiting for a kernel to start
  and the app to load. Those kernels count against ``max_kernels``: a visitor to a notebook
  with no pre-heated kernel left takes the place of an idle pre-heated kernel of another
  notebook instead of being turned away, and the pools refill as kernels are freed.

Run as ``python -m secondop_stats.apps.voila_server`` with Voilà's own arguments.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

BUSY_MESSAGE = (
    "The dashboard is busy: {n} people are using it, the most this computer serves at once. "
    "Please try again in a few minutes."
)


class BoundedKernelManager(AsyncMappingKernelManager):
    """A kernel manager that starts no kernel beyond ``max_kernels``."""

    max_kernels = Integer(
        4, config=True, help="Most kernels alive at once (each open page holds one)."
    ).tag(config=True)

    _starting = 0

    def kernels_held(self) -> int:
        """Kernels running or being started (starts run concurrently, so both count)."""
        return len(self.list_kernel_ids()) + self._starting

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        """Start a kernel, or refuse with HTTP 503 when ``max_kernels`` are held."""
        if self.kernels_held() >= self.max_kernels:
            raise web.HTTPError(503, BUSY_MESSAGE.format(n=self.max_kernels))
        self._starting += 1
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1


def bounded_pool(pooled: type) -> type:
    """Voilà's pre-heating kernel manager ``pooled`` (built on :class:`BoundedKernelManager`)
    with its pools held within ``max_kernels``."""

    class BoundedPoolKernelManager(pooled):
        _closing = False
        _evicting = False

        def _pooled_ids(self) -> dict[str, str]:
            """Kernel id -> notebook of every pre-heated kernel ready and not yet given out."""
            ready = {}
            for notebook, pool in self._pools.items():
                for task in pool:
                    if task.done() and not task.cancelled() and task.exception() is None:
                        ready[task.result()["kernel_id"]] = notebook
            return ready

        def _drop_failed(self, notebook: str) -> None:
            """Forget pool entries whose kernel could not start (no room when they tried)."""
            pool = self._pools.get(notebook, [])
            pool[:] = [
                t for t in pool if not (t.done() and (t.cancelled() or t.exception() is not None))
            ]

        def get_pool_size(self, notebook_name: str) -> int:
            self._drop_failed(notebook_name)
            return super().get_pool_size(notebook_name)

        async def _make_room(self, keep: str | None = None) -> None:
            """At the limit, shut down one idle pre-heated kernel (not of ``keep``)."""
            if self.kernels_held() < self.max_kernels:
                return
            starting = [
                task
                for notebook, pool in self._pools.items()
                if notebook != keep
                for task in pool
                if not task.done()
            ]
            if starting:  # pre-heated kernels still starting: wait, then pick among them
                await asyncio.wait(starting)
            for kernel_id, notebook in self._pooled_ids().items():
                if notebook != keep:
                    self._evicting = True
                    try:
                        await self.shutdown_kernel(kernel_id)
                    finally:
                        self._evicting = False
                    return

        async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
            """A visitor's kernel (its notebook's pool was empty): make room first."""
            await self._make_room()
            return await super().start_kernel(*args, **kwargs)

        async def get_rendered_notebook(self, notebook_name: str, *args: Any, **kwargs: Any):
            """Hand out a pre-heated kernel; when the pool's kernel could not start, start one
            now (making room) rather than fail the page."""
            pool = self._pools.setdefault(notebook_name, [])
            while pool:
                try:
                    await asyncio.shield(pool[0])
                    break
                except Exception:
                    pool.pop(0)
            if not pool:
                await self._make_room(keep=notebook_name)
                self.fill_if_needed(delay=0, notebook_name=notebook_name)
            return await super().get_rendered_notebook(notebook_name, *args, **kwargs)

        async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
            """Shut a kernel down, then refill the pools into the room it leaves."""
            _request_info_cache().pop(kernel_id, None)
            for notebook in self._pools:  # Voilà reads every pool entry's result: drop failures
                self._drop_failed(notebook)
            await super().shutdown_kernel(kernel_id, *args, **kwargs)
            if not (self._closing or self._evicting):
                for notebook in list(self._pools):
                    self._drop_failed(notebook)
                    if not self._pools[notebook]:
                        self.fill_if_needed(notebook_name=notebook)
                        break  # one freed kernel, one refill

        async def shutdown_all(self, *args: Any, **kwargs: Any) -> None:
            self._closing = True
            await super().shutdown_all(*args, **kwargs)

    return BoundedPoolKernelManager


def _request_info_cache() -> dict:
    """Voilà's per-kernel store of request details (emptied here when a kernel ends)."""
    from voila.request_info_handler import RequestInfoSocketHandler

    return RequestInfoSocketHandler._cache


def _patch_voila() -> None:
    """Set the ``_xsrf`` cookie on every page and check Host headers."""
    from voila import app as voila_app
    from voila.tornado import handler as page_handler

    original_get = page_handler.TornadoVoilaHandler.get

    @web.authenticated
    async def get(self: Any, path: str | None = None) -> None:
        self.xsrf_token  # noqa: B018 - reading it sets the cookie the page's close request sends
        await original_get(self, path)

    page_handler.TornadoVoilaHandler.get = get

    original_settings = voila_app.Voila.init_settings

    def init_settings(self: Any) -> dict:
        settings = original_settings(self)
        settings["allow_remote_access"] = False
        settings["local_hostnames"] = ["localhost"]
        return settings

    voila_app.Voila.init_settings = init_settings

    original_factory = voila_app.voila_kernel_manager_factory

    def factory(base_class: type, preheat_kernel: bool, *args: Any, **kwargs: Any) -> type:
        made = original_factory(base_class, preheat_kernel, *args, **kwargs)
        return bounded_pool(made) if preheat_kernel else made

    voila_app.voila_kernel_manager_factory = factory


def main() -> None:
    """Start Voilà with the safeguards in place."""
    _patch_voila()
    from voila.app import main as voila_main

    voila_main()


if __name__ == "__main__":
    main()
