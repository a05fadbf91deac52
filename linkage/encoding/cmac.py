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
    """``(n, 16)`` AES-CMAC tags of messages given as ``utf8_buffers`` (several keys, one read).

    Every message is first laid out as whole blocks with RFC 4493's last-block treatment
    (``10*`` padding and ``K2``, or ``K1`` when complete); then step ``j`` chains block ``j`` of
    all messages still running through one AES-ECB call. Null rows get zero tags.
    """
    if len(key) not in (16, 24, 32):
        raise ValueError("AES-CMAC keys are 16, 24 or 32 bytes")
    data, offsets, valid = buffers
    n = len(valid)
    tags = np.zeros((n, BLOCK), dtype=np.uint8)
    if n == 0 or not valid.any():
        return tags
    encrypt = Cipher(algorithms.AES(key), modes.ECB()).encryptor().update
    k1 = _double(encrypt(bytes(BLOCK)))
    k2 = np.frombuffer(_double(k1), dtype=np.uint8)
    lengths = np.diff(offsets)
    n_blocks = np.maximum((lengths + BLOCK - 1) // BLOCK, 1)
    first = np.cumsum(n_blocks) - n_blocks  # index of each message's first block
    total = int(first[-1] + n_blocks[-1])
    message = np.repeat(np.arange(n), n_blocks)  # the message of each block
    within = np.arange(total) - first[message]
    # Block b of a message starts 16 * b bytes into it: one 16-byte window each (a zero tail
    # lets the last window run past the data); bytes past the message end are zeroed.
    tail = np.concatenate([data, np.zeros(BLOCK, dtype=np.uint8)])
    windows = np.lib.stride_tricks.sliding_window_view(tail, BLOCK)
    blocks = windows[offsets[:-1][message] + within * BLOCK]
    keep = lengths[message] - within * BLOCK
    blocks *= (np.arange(BLOCK) < keep[:, None]).astype(np.uint8)
    last = first + n_blocks - 1
    padded = (lengths % BLOCK != 0) | (lengths == 0)
    blocks[last[padded], lengths[padded] % BLOCK] = 0x80
    finish = np.where(padded[:, None], k2, np.frombuffer(k1, dtype=np.uint8))
    if total == n:
        blocks ^= finish
    else:
        blocks[last] ^= finish
    most = int(n_blocks.max())
    if int(n_blocks.min()) == most:  # all the same length in blocks: plain strided steps
        grid = blocks.reshape(n, most, BLOCK)
        state = np.zeros((n, BLOCK), dtype=np.uint8)
        for j in range(most):
            step = grid[:, j] ^ state
            state = np.frombuffer(encrypt(step.tobytes()), dtype=np.uint8).reshape(n, BLOCK)
        tags[:] = state
    else:
        # Longest messages first: the messages still running at step j are a prefix.
        sort_key = -n_blocks
        if most < 2**15:
            sort_key = sort_key.astype(np.int16)  # numpy sorts 16-bit keys by radix
        order = np.argsort(sort_key, kind="stable")
        running = n - np.cumsum(np.bincount(n_blocks))  # running[j]: more than j blocks
        start = first[order]
        state = np.zeros((n, BLOCK), dtype=np.uint8)
        for j in range(most):
            m = int(running[j])
            step = blocks[start[:m] + j] ^ state[:m]
            state[:m] = np.frombuffer(encrypt(step.tobytes()), np.uint8).reshape(m, BLOCK)
        tags[order] = state
    tags[~valid] = 0
    return tags


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
