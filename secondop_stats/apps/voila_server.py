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

Run as ``python -m secondop_stats.apps.voila_server`` with Voilà's own arguments.
"""

from __future__ import annotations

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

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        """Start a kernel, or refuse with HTTP 503 when ``max_kernels`` are running."""
        if len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(503, BUSY_MESSAGE.format(n=self.max_kernels))
        return await super().start_kernel(*args, **kwargs)


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


def main() -> None:
    """Start Voilà with the safeguards in place."""
    _patch_voila()
    from voila.app import main as voila_main

    voila_main()


if __name__ == "__main__":
    main()
