"""Vectorised AES-256-CMAC (RFC 4493 / NIST SP 800-38B) over a whole column of messages.

CMAC chains AES over the 16-byte blocks of one message, but different messages are
independent: step ``j`` encrypts block ``j`` of every message that has one in a single AES-ECB
call (``cryptography``, AES-NI), so a million tokens cost a few AES passes over 16 MB plus numpy
XORs instead of a million Python calls. ``tests/test_encoding_cmac.py`` checks it bit for bit
against ``cryptography``'s own CMAC.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK: Final = 16
_RB: Final = 0x87  # the constant of RFC 4493 subkey doubling for 128-bit blocks
# Two lower-hex ASCII characters per byte value, as one little-endian uint16 each.
_HEX_PAIRS: Final = np.array(
    [int.from_bytes(f"{b:02x}".encode(), "little") for b in range(256)], dtype=np.uint16
)


def _double(block: bytes) -> bytes:
    value = int.from_bytes(block, "big") << 1
    if value >> 128:
        value = (value & ((1 << 128) - 1)) ^ _RB
    return value.to_bytes(BLOCK, "big")


def utf8_buffers(messages: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTF-8 bytes, int64 offsets (n + 1) and the validity mask of a String column."""
    arr = messages.cast(pl.String).rechunk().to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    n = len(arr)
    _validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    valid = messages.is_not_null().to_numpy()
    return data, offsets.astype(np.int64, copy=False), valid


def cmac_blocks(key: bytes, messages: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """AES-CMAC of every message.

    Returns:
        ``(tags, valid)``: an ``(n, 16)`` uint8 array of tags (zeros for null messages) and the
        mask of non-null messages.
    """
    buffers = utf8_buffers(messages)
    return cmac_of_buffers(key, buffers), buffers[2]


def cmac_of_buffers(key: bytes, buffers: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """``(n, 16)`` AES-CMAC tags of messages given as ``utf8_buffers`` (several keys, one read)."""
    if len(key) not in (16, 24, 32):
        raise ValueError("AES-CMAC keys are 16, 24 or 32 bytes")
    data, offsets, valid = buffers
    n = len(valid)
    tags = np.zeros((n, BLOCK), dtype=np.uint8)
    rows_all = np.flatnonzero(valid)
    if rows_all.size == 0:
        return tags
    encrypt = Cipher(algorithms.AES(key), modes.ECB()).encryptor().update
    k1 = _double(encrypt(bytes(BLOCK)))
    k2 = np.frombuffer(_double(k1), dtype=np.uint8)
    k1_arr = np.frombuffer(k1, dtype=np.uint8)
    lengths_all = offsets[1:][rows_all] - offsets[:-1][rows_all]
    n_blocks_all = np.maximum((lengths_all + BLOCK - 1) // BLOCK, 1)
    # Longest messages first: the messages still running at step j are a prefix.
    order = np.argsort(-n_blocks_all, kind="stable")
    rows = rows_all[order]
    starts = offsets[:-1][rows]
    lengths = lengths_all[order]
    n_blocks = n_blocks_all[order]
    counts = np.bincount(n_blocks)
    running = rows.size - np.cumsum(counts)  # running[j]: messages with more than j blocks
    # Zero tail so that a 16-byte window may run past the last message.
    padded = np.concatenate([data, np.zeros(BLOCK, dtype=np.uint8)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, BLOCK)
    lane = np.arange(BLOCK, dtype=np.int64)
    state = np.zeros((rows.size, BLOCK), dtype=np.uint8)
    for j in range(int(n_blocks[0])):
        m = int(running[j])
        take = lengths[:m] - BLOCK * j
        block = windows[starts[:m] + BLOCK * j]
        partial = np.flatnonzero(take < BLOCK)  # only a message's last block can be partial
        if partial.size:
            cut = np.clip(take[partial], 0, BLOCK)
            block[partial] *= (lane < cut[:, None]).astype(np.uint8)
        last = np.flatnonzero(n_blocks[:m] == j + 1)
        if last.size:
            t = take[last]
            pad = last[t < BLOCK]
            block[pad, np.clip(take[pad], 0, BLOCK - 1)] = 0x80
            block[pad] ^= k2
            block[last[t >= BLOCK]] ^= k1_arr
        block ^= state[:m]
        state[:m] = np.frombuffer(encrypt(block), dtype=np.uint8).reshape(-1, BLOCK)
    tags[rows] = state
    return tags


def hex_series(name: str, raw: np.ndarray, valid: np.ndarray) -> pl.Series:
    """Lower-hex strings of the rows of an ``(n, width)`` uint8 array; null where not valid."""
    n, width = raw.shape
    chars = _HEX_PAIRS[raw].astype("<u2", copy=False)
    offsets = np.arange(0, (n + 1) * 2 * width, 2 * width, dtype=np.int64)
    validity = None
    if not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    arr = pa.Array.from_buffers(
        pa.large_string(),
        n,
        [validity, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))],
        null_count=int(n - valid.sum()),
    )
    out = pl.from_arrow(arr)
    assert isinstance(out, pl.Series)
    return out.alias(name)


def cmac_hex(key: bytes, messages: pl.Series, name: str | None = None) -> pl.Series:
    """AES-CMAC of each message (UTF-8) as 32 lower-hex characters; null stays null."""
    tags, valid = cmac_blocks(key, messages)
    return hex_series(name or messages.name, tags, valid)


def cmac_hex_distinct(key: bytes, messages: pl.Series, name: str | None = None) -> pl.Series:
    """As ``cmac_hex``, computed once per distinct message when values repeat a lot."""
    uniq = messages.drop_nulls().unique()
    if len(uniq) * 4 > len(messages):
        return cmac_hex(key, messages, name)
    macs = cmac_hex(key, uniq)
    out = messages.replace_strict(uniq, macs, default=None, return_dtype=pl.String)
    return out.alias(name or messages.name)
