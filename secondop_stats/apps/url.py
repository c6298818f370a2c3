"""Open an app on the view its page address asks for.

Voilà passes a page's query string to the kernel (``QUERY_STRING``), so
``…/01_evidence_explorer.ipynb?metric=diagnosis_changed&condition=cancer`` opens the explorer on
that view. A value the data do not know is not an error page: the app opens in its default view
with a note naming the problem and the valid values.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from ..errors import ParameterError
from .controls import Html
from .html import tag


def query_state(query: str | None = None) -> dict[str, str]:
    """The page's query string (default: ``$QUERY_STRING``) as state keys and values."""
    text = os.environ.get("QUERY_STRING", "") if query is None else query
    return dict(parse_qsl(text.lstrip("?"), keep_blank_values=False))


def open_app(build: Callable[..., Any], query: str | None = None) -> Any:
    """Build an app on the page's state; on a bad value, the default view with a note."""
    state = query_state(query)
    try:
        return build(state=state)
    except ParameterError as problem:
        app = build()
        note = Html(
            tag(
                "p",
                f"The link asked for a view that does not exist ({problem}); showing the "
                "default view.",
                class_="so-warn",
            )
        )
        app.widget.children = (note, *app.widget.children)
        app.url_problem = str(problem)
        return app
