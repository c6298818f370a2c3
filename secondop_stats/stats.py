"""Statistics for the evidence: intervals for reported rates and random-effects pooling.

The public interface; the work is done in :mod:`.intervals` (Wilson and Clopper-Pearson
intervals per figure), :mod:`.pooling` (metafor-matching REML and DerSimonian-Laird pooling of
proportions) and :mod:`.figure_pooling` (subgroup pooling over a figure table).
"""

from __future__ import annotations

from .figure_pooling import (
    RECONSTRUCTED_MARK,
    ScreenedFigures,
    observed_only,
    pool_figures,
    pool_table,
    screen_figures,
)
from .intervals import (
    DENOMINATOR_FROM_N,
    NO_COUNT,
    NO_SAMPLE_SIZE,
    NON_EXACT_QUALIFIERS,
    NUMERATOR_EXCEEDS_N,
    RECONSTRUCTED_FROM_DENOMINATOR,
    RECONSTRUCTED_FROM_N,
    FigureInterval,
    IntervalMethod,
    add_intervals,
    clopper_pearson_interval,
    figure_interval,
    wilson_interval,
)
from .pooling import FisherScoringError, PooledResult, PoolMethod, PoolTest, pool_proportions

__all__ = [
    "DENOMINATOR_FROM_N",
    "NON_EXACT_QUALIFIERS",
    "NO_COUNT",
    "NO_SAMPLE_SIZE",
    "NUMERATOR_EXCEEDS_N",
    "RECONSTRUCTED_FROM_DENOMINATOR",
    "RECONSTRUCTED_FROM_N",
    "RECONSTRUCTED_MARK",
    "FigureInterval",
    "FisherScoringError",
    "IntervalMethod",
    "PoolMethod",
    "PoolTest",
    "PooledResult",
    "ScreenedFigures",
    "add_intervals",
    "clopper_pearson_interval",
    "figure_interval",
    "observed_only",
    "pool_figures",
    "pool_proportions",
    "pool_table",
    "screen_figures",
    "wilson_interval",
]
