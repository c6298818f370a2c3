"""One-click downloads that work in JupyterLab and in Voilà: links carrying a data: URI.

The link holds the file's bytes (base64), so no server route or file on disk is needed; the apps
regenerate the link whenever the selection changes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from .html import Safe, esc


def data_uri(content: str | bytes, mime: str) -> str:
    """``data:<mime>;base64,...`` for the given text (UTF-8) or bytes."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    charset = ";charset=utf-8" if isinstance(content, str) else ""
    return f"data:{mime}{charset};base64,{base64.b64encode(raw).decode('ascii')}"


def decode_data_uri(uri: str) -> bytes:
    """The bytes inside a base64 data: URI (used by tests and by anyone checking an export)."""
    header, _, payload = uri.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise ValueError("not a base64 data: URI")
    return base64.b64decode(payload)


def download_link(filename: str, content: str | bytes, mime: str, label: str) -> Safe:
    """An ``<a download>`` link that saves ``content`` as ``filename``."""
    return Safe(
        f'<a download="{esc(filename)}" href="{data_uri(content, mime)}" '
        f'data-filename="{esc(filename)}">{esc(label)}</a>'
    )


def download_bar(links: Iterable[Safe]) -> Safe:
    """The links side by side, in the style the apps share."""
    return Safe('<div class="so-download">' + "".join(links) + "</div>")
