"""Results shared by the reports of one batch, computed by the first kernel that needs them.

The key figures, pooled estimates and forest plots of a condition group are the same for every
plan and audience, so in a batch they are computed once per group rather than once per report:
the batch points ``SECONDOP_REPORT_CACHE`` at a private temporary folder, and each kernel looks
there before computing (and then importing the statistics and plotting stack at all). Outside
a batch the variable is unset and everything is computed directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from ..atomic import write_atomic

CACHE_ENV = "SECONDOP_REPORT_CACHE"
T = TypeVar("T")


def cache_dir() -> Path | None:
    """The batch's cache folder, if this process runs inside a batch."""
    folder = os.environ.get(CACHE_ENV)
    return Path(folder) if folder else None


def cached(kind: str, key: Mapping[str, object], compute: Callable[[], T]) -> T:
    """``compute()``, or its stored result for the same ``kind`` and ``key`` in this batch.

    The folder is created by the batch for itself alone, so its files are trusted; a missing or
    unreadable entry is recomputed and rewritten atomically (two kernels racing write the same
    value).
    """
    folder = cache_dir()
    if folder is None:
        return compute()
    text = json.dumps({"kind": kind, **key}, sort_keys=True, default=str)
    path = folder / f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:32]}.pickle"
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    value = compute()
    write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value
