"""The methods page (``docs/methods.md``) as HTML, for reports and the dashboard: every
number shown links to how it was computed."""

from __future__ import annotations

from functools import lru_cache

from .paths import methods_page

METHODS_ANCHOR = "methods"


@lru_cache(maxsize=1)
def methods_html() -> str:
    """The methods page rendered to HTML (raw HTML in the source is escaped)."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["table"])
    return str(render(methods_page().read_text(encoding="utf-8")))
