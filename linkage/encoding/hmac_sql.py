"""Vectorised HMAC-SHA256 in DuckDB over the distinct values of a column.

HMAC(k, m) = H((k ^ opad) || H((k ^ ipad) || m)) is built from DuckDB's multi-threaded
``sha256``; ``tests/test_encoding_hmac.py`` checks it bit for bit against Python's ``hmac``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import duckdb
import polars as pl

_BLOCK = 64


@cache
def _sql() -> str:
    return resources.files("linkage.encoding").joinpath("sql/hmac.sql").read_text()


def pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer 64-byte key blocks of RFC 2104 (keys are 32 bytes here)."""
    if len(key) > _BLOCK:
        raise ValueError("HMAC keys longer than one block are not used by carehub")
    block = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def hmac_table(
    con: duckdb.DuckDBPyConnection, messages: pl.Series, key: bytes, n_hex: int
) -> pl.DataFrame:
    """``msg -> mac`` for every distinct non-null message."""
    uniq = pl.DataFrame({"msg": messages.drop_nulls().unique()})
    inner, outer = pads(key)
    con.register("messages", uniq.to_arrow())
    try:
        out = con.sql(_sql(), params={"inner": inner, "outer": outer, "n_hex": n_hex}).pl()
    finally:
        con.unregister("messages")
    return out


def hmac_hex(
    con: duckdb.DuckDBPyConnection, messages: pl.Series, key: bytes, n_hex: int = 32
) -> pl.Series:
    """HMAC-SHA256 of each message as ``n_hex`` lower-hex characters; null stays null."""
    table = hmac_table(con, messages, key, n_hex)
    return messages.replace_strict(table["msg"], table["mac"], default=None, return_dtype=pl.String)
