"""Download buttons whose files are made in the kernel when clicked.

A file is made only when someone asks for it: the page then carries a few button labels instead
of every export of every view (the explorer's CSV, BibTeX, CSL-JSON and chart files came to
about 0.7 MB of page state, re-sent on each filter change). Clicking a button sends a request to
the kernel, which answers with the file's bytes; the page saves them under the file's name.
The same buttons work in Voilà and JupyterLab (a small anywidget). Outside a browser,
:meth:`FileDownloads.content` gives the bytes a click would save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  const bar = document.createElement("div");
  bar.className = "so-download";
  const status = document.createElement("span");
  status.className = "so-download-status";
  status.setAttribute("role", "status");
  const draw = () => {
    bar.replaceChildren();
    for (const file of model.get("files")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "so-download-button";
      button.textContent = file.label;
      button.dataset.filename = file.filename;
      button.addEventListener("click", () => {
        status.textContent = " Preparing " + file.filename + "…";
        model.send({ want: file.key });
      });
      bar.append(button);
    }
    bar.append(status);
  };
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || !msg.filename || !buffers || !buffers.length) { return; }
    const blob = new Blob([buffers[0]], { type: msg.mime });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = msg.filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.textContent = " Saved " + msg.filename + ".";
  });
  model.on("change:files", draw);
  draw();
  el.append(bar);
}
export default { render };
"""


@dataclass(frozen=True)
class DownloadFile:
    """One file offered for download, made by ``make`` when asked for."""

    key: str
    label: str
    filename: str
    mime: str
    make: Callable[[], str | bytes]


class FileDownloads(anywidget.AnyWidget):
    """A row of download buttons; each file is made when its button is clicked."""

    _esm = _ESM
    files = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, files: Iterable[DownloadFile] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._offered: dict[str, DownloadFile] = {}
        self.offer(files)
        self.on_msg(self._on_request)

    def offer(self, files: Iterable[DownloadFile]) -> None:
        """Offer ``files`` (replacing what was offered); nothing is made yet."""
        self._offered = {f.key: f for f in files}
        self.files = [
            {"key": f.key, "label": f.label, "filename": f.filename} for f in self._offered.values()
        ]

    def content(self, key: str) -> bytes:
        """The bytes a click on ``key``'s button saves (text is UTF-8)."""
        return self._made(key)[0]

    def _made(self, key: str) -> tuple[bytes, str]:
        """The file's bytes and MIME type (text files say they are UTF-8)."""
        offered = self._offered[key]
        made = offered.make()
        if isinstance(made, str):
            return made.encode("utf-8"), f"{offered.mime};charset=utf-8"
        return bytes(made), offered.mime

    def _on_request(self, _widget: object, message: dict, _buffers: list) -> None:
        key = message.get("want") if isinstance(message, dict) else None
        if key not in self._offered:
            return
        data, mime = self._made(key)
        self.send({"filename": self._offered[key].filename, "mime": mime}, buffers=[data])
