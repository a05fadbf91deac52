"""Values computed once per distinct value: row -> distinct-value indexes, and back.

The encoder MACs dates and flip seeds once per distinct value and gathers the results back per
record. Dates are numbers in a small range, so their indexes come from counting over that range
rather than from hashing strings.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc


def factorize(values: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """Distinct non-null values (first-seen order) and each row's index into them (-1: null).

    Arrow's dictionary encoding: one hash pass, 2-3x cheaper than a polars unique and join.
    """
    arr = values.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    encoded = pc.dictionary_encode(arr)
    idx = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    uniq = pl.Series(values.name, encoded.dictionary)
    return uniq.cast(values.dtype), idx


def dense_codes(codes: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct integer codes (sorted) and each row's index into them (-1: not valid).

    Counting over the code range instead of hashing; ``None`` when the range is too sparse.
    """
    idx = np.full(len(codes), -1, dtype=np.int64)
    if not valid.any():
        return np.zeros(0, dtype=np.int64), idx
    kept = codes[valid].astype(np.int64)
    low = int(kept.min())
    span = int(kept.max()) - low + 1
    if span > 4 * len(codes) + 200_000:
        return None
    seen = np.zeros(span, dtype=bool)
    seen[kept - low] = True
    idx[valid] = (np.cumsum(seen) - 1)[kept - low]
    return np.flatnonzero(seen) + low, idx


def dates(dob: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """Distinct dates and each row's index into them (-1: null)."""
    days = dob.to_physical().cast(pl.Int64)
    dense = dense_codes(days.fill_null(0).to_numpy(), days.is_not_null().to_numpy())
    if dense is None:
        return factorize(dob)
    uniq, idx = dense
    return pl.Series("d", uniq).cast(pl.Int32).cast(pl.Date), idx


def gather(uniq: pl.Series, idx: np.ndarray) -> pl.Series:
    """``uniq[idx]`` per row, null where ``idx`` is -1."""
    if not len(uniq):
        return pl.Series(uniq.name, [None] * len(idx), dtype=uniq.dtype)
    out = uniq.gather(np.where(idx >= 0, idx, 0))
    if (idx < 0).any():
        out = out.scatter(np.flatnonzero(idx < 0), None)
    return out
