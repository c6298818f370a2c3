"""Open an app on the view its page address asks for.

Voilà passes a page's query string to the kernel (``QUERY_STRING``), so
``…/01_evidence_explorer.ipynb?metric=diagnosis_changed&condition=cancer`` opens the explorer on
that view. A value the data do not know is not an error page: the app opens in its default view
with a note naming the problem and the valid values.

A pre-heated kernel (``secondop serve``) builds the default view before anyone asks for the
page, then waits for the page's request and only applies its state, so a page opens at once.
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
    """The page's query string (default: ``$QUERY_STRING``, waiting for the page's request
    first in a pre-heated kernel) as state keys and values."""
    if query is None:
        wait_for_page_request()
        query = os.environ.get("QUERY_STRING", "")
    return dict(parse_qsl(query.lstrip("?"), keep_blank_values=False))


def wait_for_page_request() -> None:
    """In a pre-heated kernel, block until Voilà hands over the page's request (its query
    string included); elsewhere return at once."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()


def open_app(build: Callable[..., Any], query: str | None = None) -> Any:
    """Build an app, then show the page's state; on a bad value, the default view with a
    note."""
    app = build()  # the slow part: in a pre-heated kernel it runs before the page is asked for
    state = query_state(query)
    if not state:
        return app
    try:
        app.set_state(state)
    except ParameterError as problem:
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
