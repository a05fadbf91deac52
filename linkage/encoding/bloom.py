"""Hardened 512-bit Bloom filters of names and street lines.

A value's padded bigrams (``_SMITH_`` -> ``_S SM MI IT TH H_``) each set ``k`` bits chosen by
``HMAC(key, salt | bigram)``: 16-bit chunks of the MAC, modulo 512. Bits of one distinct value
are computed once and shared by every record that has it. Each record's filter is then hardened
with ``flips`` deterministic pseudo-random bit flips seeded by a CMAC of the swap-invariant date
of birth (docs/encoding.md), so equal names of people born on different days give different
filters, while Dice stays high. Bit ``p`` lives in word ``p // 64`` at bit ``p % 64`` (least
significant first); words are stored as signed 64-bit integers.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from linkage.encoding.cmac import utf8_buffers
from linkage.encoding.hmac_sql import hmac_table
from linkage.encoding.spec import BLOOM_BITS, BLOOM_WORDS

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
MAX_HASHES = 16  # one 256-bit MAC gives sixteen 16-bit chunks


def bigrams(value: str) -> list[str]:
    """Padded bigrams of a value, in order (duplicates kept)."""
    padded = f"_{value}_"
    return [padded[i : i + 2] for i in range(len(padded) - 1)]


def _splitmix64(x: np.ndarray) -> np.ndarray:
    z = x + _GOLDEN
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def value_filters(
    con: duckdb.DuckDBPyConnection,
    values: pl.Series,
    salts: pl.Series,
    key: bytes,
    hashes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Unhardened filters per record.

    Returns:
        ``(words, present)``: ``words`` is a ``(n, 8)`` uint64 array (zeros where the value is
        null) and ``present`` a boolean mask of the rows that have a value.
    """
    if not 1 <= hashes <= MAX_HASHES:
        raise ValueError(f"hashes must be 1..{MAX_HASHES}")
    n = len(values)
    words = np.zeros((n, BLOOM_WORDS), dtype=_U64)
    frame = pl.DataFrame({"v": values, "s": salts.cast(pl.String).fill_null("")})
    present = frame["v"].is_not_null().to_numpy()
    if not present.any():
        return words, present
    kept = frame.filter(pl.col("v").is_not_null())
    # Mostly unique (value, salt) pairs (a sample tells): de-duplicating costs more than it saves.
    sample = kept.gather_every(max(1, kept.height // 20_000))
    if sample.n_unique() * 10 > sample.height * 9:
        words[present] = _distinct_filters(con, kept["v"], kept["s"], key, hashes)
        return words, present
    distinct = kept.unique(maintain_order=True)
    value_words = _distinct_filters(con, distinct["v"], distinct["s"], key, hashes)
    record_vid = frame.join(
        distinct.with_row_index("vid"),
        on=["v", "s"],
        how="left",
        nulls_equal=False,
        maintain_order="left",
    )["vid"]
    idx = record_vid.to_numpy()[present].astype(np.int64)
    words[present] = value_words[idx]
    return words, present


def _distinct_filters(
    con: duckdb.DuckDBPyConnection, values: pl.Series, salts: pl.Series, key: bytes, hashes: int
) -> np.ndarray:
    """``(len(values), 8)`` filters of distinct ``(value, salt)`` pairs, bigram MACs shared.

    Bigrams are read straight from the UTF-8 bytes of the padded values (normalised values are
    ASCII); each distinct (salt, bigram) is MACed once and its bits OR-ed into every value.
    """
    padded = "_" + values + "_"
    if (padded.str.len_bytes() != padded.str.len_chars()).any():
        raise ValueError("Bloom filter values must be ASCII (normalise them first)")
    data, offsets, _ = utf8_buffers(padded)
    base = int(offsets[0])
    data = data[base : int(offsets[-1])]
    # Dense alphabet of the bytes present, so codes stay small: salt * A * A + a0 * A + a1.
    alphabet = np.flatnonzero(np.bincount(data, minlength=256))
    size = len(alphabet)
    letter = np.zeros(256, dtype=np.int32)
    letter[alphabet] = np.arange(size, dtype=np.int32)
    dense_data = letter[data]
    lengths = np.diff(offsets) - 1  # bigrams per value (>= 1: "__" for an empty value)
    starts_mask = np.ones(len(data), dtype=bool)
    starts_mask[offsets[1:] - base - 1] = False  # a value's last byte starts no bigram
    pos = np.flatnonzero(starts_mask)
    code = (dense_data[pos] * size + dense_data[pos + 1]).astype(np.int64)
    salt_names = salts.unique(maintain_order=True)
    if len(salt_names) > 1:
        salt_idx = salts.replace_strict(salt_names, pl.int_range(len(salt_names), eager=True))
        code += np.repeat(salt_idx.to_numpy().astype(np.int64), lengths) * (size * size)
    seg_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    seen = np.zeros(len(salt_names) * size * size, dtype=bool)
    seen[code] = True
    used = np.flatnonzero(seen)
    dense = np.cumsum(seen) - 1
    gid = dense[code]
    names = salt_names.to_list()
    letters = alphabet.tolist()
    messages = pl.Series(
        [
            f"{names[c // (size * size)]}|{chr(letters[c // size % size])}{chr(letters[c % size])}"
            for c in used.tolist()
        ],
        dtype=pl.String,
    )
    macs = hmac_table(con, messages, key, 64)
    mac_of = dict(zip(macs["msg"].to_list(), macs["mac"].to_list(), strict=True))
    ordered = pl.Series([mac_of[m] for m in messages.to_list()], dtype=pl.String)
    positions = np.column_stack(
        [
            (ordered.str.slice(4 * j, 4).str.to_integer(base=16) % BLOOM_BITS).to_numpy()
            for j in range(hashes)
        ]
    ).astype(np.int64)
    gram_words = np.zeros((len(used), BLOOM_WORDS), dtype=_U64)
    rows = np.repeat(np.arange(len(used)), hashes)
    flat = positions.ravel()
    np.bitwise_or.at(gram_words, (rows, flat >> 6), _U64(1) << (flat & 63).astype(_U64))
    out = np.empty((len(values), BLOOM_WORDS), dtype=_U64)
    chunk = 1 << 13  # values per pass: the gathered (grams, 8) block stays in cache
    for lo in range(0, len(values), chunk):
        hi = min(lo + chunk, len(values))
        g0, g1 = seg_starts[lo], seg_starts[hi - 1] + lengths[hi - 1]
        out[lo:hi] = np.bitwise_or.reduceat(gram_words[gid[g0:g1]], seg_starts[lo:hi] - g0, axis=0)
    return out


def harden(
    words: np.ndarray, present: np.ndarray, seeds: np.ndarray, stream: int, flips: int
) -> None:
    """Flip ``flips`` pseudo-random bits of each present row, in place.

    Args:
        words: ``(n, 8)`` uint64 filters.
        present: rows that have a filter (others stay all-zero and are stored as null).
        seeds: ``(n,)`` uint64 secret seeds (a CMAC of the swap-invariant DOB by default).
        stream: distinct per Bloom field, so the fields of one record flip different bits.
        flips: flips per filter (a bit drawn twice flips back).
    """
    rows = np.flatnonzero(present)
    if flips <= 0 or rows.size == 0:
        return
    base = seeds[rows].astype(_U64)
    flat = words.reshape(-1)  # a view: row r, word w is flat[r * 8 + w]
    row_start = rows * BLOOM_WORDS
    for j in range(flips):
        counter = _U64((stream * 1024 + j + 1) & 0xFFFFFFFFFFFFFFFF)
        with np.errstate(over="ignore"):
            z = _splitmix64(base ^ (counter * _GOLDEN))
        pos = z >> _U64(55)  # top 9 bits: 0..511
        flat[row_start + (pos >> _U64(6)).astype(np.int64)] ^= _U64(1) << (pos & _U64(63))


def to_columns(words: np.ndarray, present: np.ndarray, prefix: str) -> dict[str, pl.Series]:
    """Signed BIGINT word columns ``<prefix>_0 .. _7``, null where no value."""
    signed = words.view(np.int64)
    mask = ~present
    return {
        f"{prefix}_{i}": pl.Series(f"{prefix}_{i}", signed[:, i]).scatter(
            np.flatnonzero(mask), None
        )
        if mask.any()
        else pl.Series(f"{prefix}_{i}", signed[:, i])
        for i in range(BLOOM_WORDS)
    }


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice coefficient of two filters given as 8 words (signed or unsigned)."""
    au, bu = np.asarray(a).view(_U64), np.asarray(b).view(_U64)
    inter = sum(int(x).bit_count() for x in (au & bu))
    total = sum(int(x).bit_count() for x in au) + sum(int(x).bit_count() for x in bu)
    return 2 * inter / total if total else 0.0
