"""App state as a URL query would carry it: plain keys and the data's own ids.

Each app is built from a state (``build_providers(state={"plan": "ppo", "year": 2026})``) and
hands its state back, so that a view can be saved, shared as a link and restored. Values may be
given typed (``2026``, ``True``) or as URL strings (``"2026"``, ``"true"``); anything else is
refused with a :class:`~secondop_stats.errors.ParameterError` that names the key and the valid
values, before an app is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import ParameterError

Parser = Callable[[str, Any], Any]

TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off"})


def as_bool(key: str, value: Any) -> bool:
    """``True``/``False`` or their URL spellings."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ParameterError(f"{key}={value!r}: must be true or false")


def as_int(key: str, value: Any) -> int:
    """An integer, or its URL spelling."""
    if isinstance(value, bool):
        raise ParameterError(f"{key}={value!r}: must be a whole number")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ParameterError(f"{key}={value!r}: must be a whole number") from None


def as_amount(key: str, value: Any) -> float | None:
    """A non-negative, finite number of dollars or percent; empty means "not entered"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ParameterError(f"{key}={value!r}: must be a number")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ParameterError(f"{key}={value!r}: must be a number") from None
    if not math.isfinite(number) or number < 0:
        raise ParameterError(f"{key}={value!r}: must be a finite number, 0 or more")
    return number


def one_of(valid: Iterable[Any]) -> Parser:
    """A parser that accepts one of ``valid`` (compared as strings) and returns it typed."""
    choices = list(valid)

    def parse(key: str, value: Any) -> Any:
        for choice in choices:
            if str(choice) == str(value).strip():
                return choice
        shown = ", ".join(str(c) for c in choices) or "(none)"
        raise ParameterError(f"{key}={value!r}: unknown value; valid values: {shown}")

    return parse


def many_of(valid: Iterable[Any]) -> Parser:
    """A parser for a comma-separated list (or a sequence) of values from ``valid``."""
    single = one_of(valid)

    def parse(key: str, value: Any) -> tuple[Any, ...]:
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(single(key, item) for item in items if str(item).strip())

    return parse


def parse_state(state: Mapping[str, Any] | None, parsers: Mapping[str, Parser]) -> dict[str, Any]:
    """``state`` checked and typed by ``parsers``; an unknown key lists the known ones."""
    if not state:
        return {}
    unknown = sorted(set(state) - set(parsers))
    if unknown:
        raise ParameterError(
            f"unknown state key(s) {', '.join(unknown)}; valid keys: {', '.join(parsers)}"
        )
    return {key: parsers[key](key, value) for key, value in state.items()}


def to_query(state: Mapping[str, Any]) -> dict[str, str]:
    """The state as URL query strings (lists comma-separated, booleans as true/false)."""
    out = {}
    for key, value in state.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, tuple | list):
            out[key] = ",".join(str(v) for v in value)
        elif isinstance(value, float) and value.is_integer():
            out[key] = str(int(value))
        else:
            out[key] = str(value)
    return out
