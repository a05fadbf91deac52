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

from encoding.strbuf import utf8_buffers

__all__ = [
    "cmac_blocks",
    "cmac_hex",
    "cmac_hex_distinct",
    "cmac_of_buffers",
    "cmac_of_buffers_keys",
    "hex_series",
    "utf8_buffers",
]

BLOCK: Final = 16
_RB: Final = 0x87  # the constant of RFC 4493 subkey doubling for 128-bit blocks
_ITEM: Final = np.dtype("V16")  # one AES block as a single numpy item


def _double(block: bytes) -> bytes:
    value = int.from_bytes(block, "big") << 1
    if value >> 128:
        value = (value & ((1 << 128) - 1)) ^ _RB
    return value.to_bytes(BLOCK, "big")


def cmac_blocks(key: bytes, messages: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """AES-CMAC of every message.

    Returns:
        ``(tags, valid)``: an ``(n, 16)`` uint8 array of tags (zeros for null messages) and the
        mask of non-null messages.
    """
    buffers = utf8_buffers(messages)
    return cmac_of_buffers(key, buffers), buffers[2]


def cmac_of_buffers(key: bytes, buffers: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """``(n, 16)`` AES-CMAC tags of messages given as ``utf8_buffers``; null rows get zeros."""
    return cmac_of_buffers_keys((key,), buffers)[0]


def cmac_of_buffers_keys(
    keys: tuple[bytes, ...], buffers: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> list[np.ndarray]:
    """``(n, 16)`` AES-CMAC tags of the same messages under each key (one shared layout).

    Messages are sorted longest first (a radix sort of their block counts), so the messages
    still running at step ``j`` are a prefix. Step ``j`` reads block ``j`` of each straight from
    the UTF-8 bytes (a 16-byte window); the messages whose last block it is get RFC 4493's
    treatment from two small tables indexed by the bytes left (0..16): the bytes past the end
    are zeroed, then the ``10*`` padding and ``K2`` (``K1`` for a complete block) XOR-ed in.
    All running messages go through one AES-ECB call per step. Null rows get zero tags.
    """
    for key in keys:
        if len(key) not in (16, 24, 32):
            raise ValueError("AES-CMAC keys are 16, 24 or 32 bytes")
    data, offsets, valid = buffers
    n = len(valid)
    if n == 0 or not valid.any():
        return [np.zeros((n, BLOCK), dtype=np.uint8) for _ in keys]
    lengths = np.diff(offsets)
    n_blocks = np.maximum((lengths + BLOCK - 1) // BLOCK, 1)
    most = int(n_blocks.max())
    order: np.ndarray | None = None
    if int(n_blocks.min()) != most:
        sort_key = -n_blocks
        if most < 2**15:
            sort_key = sort_key.astype(np.int16)  # numpy sorts 16-bit keys by radix
        order = np.argsort(sort_key, kind="stable")
    starts = offsets[:-1] if order is None else offsets[:-1][order]
    left = lengths - BLOCK * (n_blocks - 1)  # bytes in the last block
    if order is not None:
        left = left[order]
    # running[j]: messages with more than j blocks (a prefix of the sorted order).
    running = n - np.cumsum(np.bincount(n_blocks, minlength=most + 1))
    running[0] = n
    # A zero tail lets the last window run past the data. Windows, tables and steps are
    # handled as 16-byte items (numpy gathers those far faster than (n, 16) byte rows).
    tail = np.concatenate([data, np.zeros(BLOCK, dtype=np.uint8)])
    windows = np.ndarray(buffer=tail, dtype=_ITEM, shape=(len(tail) - BLOCK + 1,), strides=(1,))
    sizes = np.arange(BLOCK + 1)
    keep = np.where(np.arange(BLOCK)[None, :] < sizes[:, None], 0xFF, 0).astype(np.uint8)
    keep_items = keep.view(_ITEM).ravel()
    pad = np.zeros((BLOCK + 1, BLOCK), dtype=np.uint8)
    pad[sizes[:BLOCK], sizes[:BLOCK]] = 0x80
    out = []
    for key in keys:
        encrypt = Cipher(algorithms.AES(key), modes.ECB()).encryptor().update
        k1 = _double(encrypt(bytes(BLOCK)))
        finish = pad.copy()
        finish[:BLOCK] ^= np.frombuffer(_double(k1), dtype=np.uint8)
        finish[BLOCK] ^= np.frombuffer(k1, dtype=np.uint8)
        finish_items = finish.view(_ITEM).ravel()
        state = np.zeros((n, 2), dtype=np.uint64)
        for j in range(most):
            m, ending = int(running[j]), int(running[j + 1])
            step = windows[starts[:m] + BLOCK * j].view(np.uint64).reshape(m, 2)
            if ending < m:  # rows ending..m have their last block here
                r = left[ending:m]
                step[ending:m] &= keep_items[r].view(np.uint64).reshape(-1, 2)
                step[ending:m] ^= finish_items[r].view(np.uint64).reshape(-1, 2)
            if j:
                step ^= state[:m]
            state[:m] = np.frombuffer(
                encrypt(step.view(np.uint8).reshape(-1).data), np.uint64
            ).reshape(m, 2)
        tags = state.view(np.uint8)
        if order is not None:
            tags = np.empty_like(tags)
            tags.view(_ITEM).ravel()[order] = state.view(_ITEM).ravel()
        tags[~valid] = 0
        out.append(tags)
    return out


def hex_series(name: str, raw: np.ndarray, valid: np.ndarray) -> pl.Series:
    """Lower-hex strings of the rows of an ``(n, width)`` uint8 array; null where not valid."""
    n, width = raw.shape
    validity = None
    if not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    arr = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width),
        n,
        [validity, pa.py_buffer(np.ascontiguousarray(raw))],
        null_count=int(n - valid.sum()),
    )
    out = pl.from_arrow(arr)
    assert isinstance(out, pl.Series)
    return out.bin.encode("hex").alias(name)


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
