"""Checking that quotes are verbatim: normalisation and lookup in the texts they cite.

Quotes are compared after folding whitespace and typographic quote marks, so that a line break
or a curly apostrophe in the source does not count as a difference, while any change of words,
numbers or punctuation does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

_QUOTE_MARKS = str.maketrans(
    {"‘": "'", "’": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "′": "'", "″": '"', "\u00a0": " "}
)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Fold typographic quote marks and runs of whitespace."""
    return _SPACE.sub(" ", text.translate(_QUOTE_MARKS)).strip()


def occurs_in(quote: str, texts: Iterable[str]) -> bool:
    """Whether ``quote`` occurs verbatim (after normalisation) in any of ``texts``."""
    q = normalise(quote)
    return bool(q) and any(q in normalise(t) for t in texts)


def missing_quotes(
    frame: pd.DataFrame, id_column: str, quote_column: str, texts: Iterable[str]
) -> list[str]:
    """IDs of rows whose quote does not occur in any of ``texts``."""
    corpus = [normalise(t) for t in texts]
    return [
        str(row[id_column])
        for _, row in frame.iterrows()
        if not any(normalise(str(row[quote_column])) in t for t in corpus)
    ]


def seed_texts(seeds: Path, files: Iterable[str]) -> dict[str, str]:
    """The text of each named seed file."""
    return {name: (seeds / name).read_text(encoding="utf-8") for name in files}
