"""The vectorised AES-CMAC equals ``cryptography``'s CMAC (RFC 4493) bit for bit."""

from __future__ import annotations

import polars as pl
import pytest
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

from encoding.cmac import cmac_hex, cmac_hex_distinct

MESSAGES = [
    "",  # one padded block
    "a",
    "x" * 15,
    "x" * 16,  # exactly one complete block: K1, no padding
    "x" * 17,
    "y" * 32,
    "ZOË|ÅSTRÖM",  # non-ASCII: encoded as UTF-8
    "JOHN|SMITH|1984-03-07",
    "z" * 300,
]


def _reference(key: bytes, message: str) -> str:
    mac = CMAC(algorithms.AES(key))
    mac.update(message.encode())
    return mac.finalize().hex()


@pytest.mark.parametrize("key", [bytes(range(32)), b"\xff" * 32, bytes(range(16))])
def test_cmac_matches_cryptography(key: bytes) -> None:
    series = pl.Series([None, *MESSAGES, None], dtype=pl.String)
    expected = [None, *(_reference(key, m) for m in MESSAGES), None]
    assert cmac_hex(key, series).to_list() == expected
    assert cmac_hex(key, series.slice(3, 4)).to_list() == expected[3:7], "sliced input"


def test_rfc4493_example_vector() -> None:
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")  # RFC 4493 section 4, example 1
    assert cmac_hex(key, pl.Series([""])).to_list() == ["bb1d6929e95937287fa37d129b756746"]


@pytest.mark.parametrize("repeats", [1, 50])
def test_distinct_path_gives_the_same_tokens(repeats: int) -> None:
    key = bytes(range(32))
    series = pl.Series([*MESSAGES, None] * repeats, dtype=pl.String)
    assert cmac_hex_distinct(key, series).to_list() == cmac_hex(key, series).to_list()


def test_all_null_and_wrong_key() -> None:
    assert cmac_hex(bytes(32), pl.Series([None, None], dtype=pl.String)).to_list() == [None, None]
    with pytest.raises(ValueError, match="16, 24 or 32"):
        cmac_hex(b"short", pl.Series(["a"]))
