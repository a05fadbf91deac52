"""Small numpy helpers."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

NONE: Final = np.array(None, dtype=object)
"""A 0-d object array holding None: the "missing" branch of ``np.where`` on object columns."""


def digits(values: np.ndarray, width: int) -> pl.Series:
    """Numbers as zero-padded text (negative: null), e.g. SSNs and phones."""
    series = pl.Series(values)
    return pl.select(
        pl.when(series >= 0).then(series.cast(pl.String).str.zfill(width)).otherwise(None)
    ).to_series()


def text(values: np.ndarray) -> pl.Series:
    """A string column from an object array (None: null). ``tolist`` is polars' fast path."""
    return pl.Series(values.tolist(), dtype=pl.String)


def resident_ids(index: np.ndarray) -> pl.Series:
    """``R`` + 8 digits; negative index: null."""
    series = pl.Series(index)
    return pl.select(
        pl.when(series >= 0).then(pl.lit("R") + series.cast(pl.String).str.zfill(8)).otherwise(None)
    ).to_series()
