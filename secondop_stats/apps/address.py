"""The page address follows the app: after every change the view's state is written into the
browser's address bar (so a copied link reproduces the view), the page title names the view,
and a "Copy link" button puts the address on the clipboard.

A small anywidget (its JavaScript runs in the page; Voilà and JupyterLab load it like any
widget). Outside a browser it simply holds ``query`` and ``title``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "so-copy-link";
  button.textContent = "Copy link to this view";
  const status = document.createElement("span");
  status.className = "so-copy-status";
  status.setAttribute("role", "status");
  const apply = () => {
    const query = model.get("query");
    const url = new URL(window.location.href);
    url.search = query ? "?" + query : "";
    if (url.href !== window.location.href) {
      window.history.replaceState(null, "", url.href);
    }
    const title = model.get("title");
    if (title) { document.title = title; }
  };
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      status.textContent = " Link copied.";
    } catch (error) {
      status.textContent = " Copy the address bar to share this view.";
    }
  });
  model.on("change:query", apply);
  model.on("change:title", apply);
  apply();
  el.append(button, status);
}
export default { render };
"""


class AddressBar(anywidget.AnyWidget):
    """Keeps the browser's address and title in step with an app's state."""

    _esm = _ESM
    query = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)

    def show(
        self, state: Mapping[str, str], title: str, defaults: Mapping[str, str] | None = None
    ) -> None:
        """Write ``state`` (URL query strings) and ``title`` to the page; with ``defaults``,
        only what differs from them, so that links stay short."""
        shown = {
            k: v
            for k, v in state.items()
            if v not in ("", None) and (defaults is None or defaults.get(k) != v)
        }
        self.query = urlencode(shown)
        self.title = title
