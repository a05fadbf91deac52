"""Hardened 512-bit Bloom filters of names, street lines and position-tagged digits (DOB, SSN).

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
_MAX_RUN = 3  # bigrams per run in a filter's OR (see _distinct_filters)


def take_rows(rows: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``rows[idx]`` for a C-contiguous 2-D array, each row gathered as one numpy item.

    numpy copies whole items several times faster than rows of a 2-D array.
    """
    item = np.dtype(f"V{rows.shape[1] * rows.itemsize}")
    flat = np.ascontiguousarray(rows).view(item).ravel()
    return flat[idx].view(rows.dtype).reshape(len(idx), rows.shape[1])


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
    words[present] = take_rows(value_words, idx)
    return words, present


def _distinct_filters(
    con: duckdb.DuckDBPyConnection, values: pl.Series, salts: pl.Series, key: bytes, hashes: int
) -> np.ndarray:
    """``(len(values), 8)`` filters of distinct ``(value, salt)`` pairs, bigram MACs shared.

    Bigrams are read straight from the UTF-8 bytes of the padded values (normalised values are
    ASCII); each distinct (salt, bigram) is MACed once. A filter is the OR of its bigrams'
    masks, and OR is idempotent, so a value is cut into runs of ``g`` consecutive bigrams (the
    last run may overlap the one before): each distinct (salt, run) gets the OR of its bigram
    masks once, and a value ORs ``ceil(bigrams / g)`` run masks instead of one per bigram.
    """
    padded = "_" + values + "_"
    if (padded.str.len_bytes() != padded.str.len_chars()).any():
        raise ValueError("Bloom filter values must be ASCII (normalise them first)")
    data, offsets, _ = utf8_buffers(padded)
    base = int(offsets[0])
    data = data[base : int(offsets[-1])]
    starts = offsets[:-1] - base
    # Dense alphabet of the bytes present, so codes stay small: salt * A^(g+1) + letters.
    alphabet = np.flatnonzero(np.bincount(data, minlength=256))
    size = len(alphabet)
    letter = np.zeros(256, dtype=np.uint8)
    letter[alphabet] = np.arange(size)
    dense_data = letter[data]
    lengths = np.diff(offsets) - 1  # bigrams per value (>= 1: "__" for an empty value)
    salt_names = salts.unique(maintain_order=True)
    n_salts = len(salt_names)
    run = 1  # bigrams per run: as long as the code table stays small
    while run < _MAX_RUN and run < int(lengths.min()) and n_salts * size ** (run + 2) <= 2**24:
        run += 1
    runs = (lengths + run - 1) // run
    row = np.repeat(np.arange(len(padded), dtype=np.int64), runs)
    first_run = np.cumsum(runs) - runs
    i = np.arange(len(row), dtype=np.int64) - first_run[row]
    at = starts[row] + np.minimum(i * run, lengths[row] - run)  # first byte of each run
    code = dense_data[at].astype(np.int64)
    for t in range(1, run + 1):
        code = code * size + dense_data[at + t]
    width = size ** (run + 1)  # codes of one salt
    if n_salts > 1:
        salt_idx = salts.replace_strict(salt_names, pl.int_range(n_salts, eager=True))
        code += salt_idx.to_numpy().astype(np.int64)[row] * width
    seen = np.zeros(n_salts * width, dtype=bool)
    seen[code] = True
    used = np.flatnonzero(seen)
    rid = (np.cumsum(seen) - 1)[code]
    # Letters of each distinct run (most significant first), then its bigram codes.
    run_letters = np.stack(
        [(used // size ** (run - t)) % size for t in range(run + 1)], axis=1
    ).astype(np.int64)
    run_salt = used // width
    gram_code = run_salt[:, None] * size * size + run_letters[:, :-1] * size + run_letters[:, 1:]
    grams, gram_of_run = np.unique(gram_code, return_inverse=True)
    gram_words = _gram_masks(con, grams, size, alphabet, salt_names, key, hashes)
    run_words = np.zeros((len(used), BLOOM_WORDS), dtype=_U64)
    for t in range(run):
        run_words |= gram_words[gram_of_run.reshape(len(used), run)[:, t]]
    return _or_runs(run_words, rid, first_run, runs)


def _or_runs(
    run_words: np.ndarray, rid: np.ndarray, first: np.ndarray, runs: np.ndarray
) -> np.ndarray:
    """Per value, the OR of the masks ``run_words[rid[first + t]]`` for ``t < runs``.

    Values are taken longest first (a radix sort of their run counts), so step ``t`` ORs one
    mask into each of a prefix of them: whole-array numpy steps instead of one small reduction
    per value.
    """
    n = len(runs)
    most = int(runs.max()) if n else 0
    sort_key: np.ndarray = np.negative(runs, dtype=np.int16 if most < 2**15 else np.int64)
    order = np.argsort(sort_key, kind="stable")  # numpy sorts 16-bit keys by radix
    running = n - np.cumsum(np.bincount(runs, minlength=most + 1))  # values with > t runs
    start = first[order]
    acc = np.zeros((n, BLOOM_WORDS), dtype=_U64)
    for t in range(most):
        m = n if t == 0 else int(running[t])
        acc[:m] |= take_rows(run_words, rid[start[:m] + t])
    out = np.empty_like(acc)
    out[order] = acc
    return out


def _gram_masks(
    con: duckdb.DuckDBPyConnection,
    grams: np.ndarray,
    size: int,
    alphabet: np.ndarray,
    salt_names: pl.Series,
    key: bytes,
    hashes: int,
) -> np.ndarray:
    """``(len(grams), 8)`` bit masks of (salt, bigram) codes: ``HMAC(key, salt|bigram)``."""
    names = salt_names.to_list()
    letters = alphabet.tolist()
    messages = pl.Series(
        [
            f"{names[c // (size * size)]}|{chr(letters[c // size % size])}{chr(letters[c % size])}"
            for c in grams.tolist()
        ],
        dtype=pl.String,
    )
    return message_masks(con, messages, key, hashes)


def message_masks(
    con: duckdb.DuckDBPyConnection, messages: pl.Series, key: bytes, hashes: int
) -> np.ndarray:
    """``(len(messages), 8)`` bit masks of ``salt|bigram`` messages: ``HMAC(key, message)``."""
    macs = hmac_table(con, messages, key, 64)
    ordered = messages.replace_strict(macs["msg"], macs["mac"], return_dtype=pl.String)
    positions = np.column_stack(
        [
            (ordered.str.slice(4 * j, 4).str.to_integer(base=16) % BLOOM_BITS).to_numpy()
            for j in range(hashes)
        ]
    ).astype(np.int64)
    gram_words = np.zeros((len(messages), BLOOM_WORDS), dtype=_U64)
    rows = np.repeat(np.arange(len(messages)), hashes)
    flat = positions.ravel()
    np.bitwise_or.at(gram_words, (rows, flat >> 6), _U64(1) << (flat & 63).astype(_U64))
    return gram_words


POSITIONS = "ABCDEFGHI"


def digit_filters(
    con: duckdb.DuckDBPyConnection,
    digits: np.ndarray,
    passes: list[tuple[np.ndarray, np.ndarray]],
    n_salts: int,
    key: bytes,
    hashes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Filters of position-tagged digit strings, without building a string per record.

    A row of ``digits`` (``(n, L)``, values 0-9) stands for the value ``A<d0>B<d1>...``
    (docs/encoding.md, "Hardened Bloom filters"). Each pass ``(use, salts)`` adds, for the rows
    in ``use``, exactly the bits ``value_filters`` would give that value salted by the decimal
    text of the row's ``salts`` entry (``-1``: the empty salt); passes are ORed. The padded
    bigrams are ``_A``, then per position ``i`` the pair (letter ``i``, digit) and the pair
    (digit, next letter or ``_``): they fall apart into groups of up to three positions, so each
    group's mask is built once per (salt, group value) from the ``hmac`` of at most
    ``(n_salts + 1) * (1 + 20 L)`` bigrams, and a record ORs one mask per group and pass.

    Returns:
        ``(words, present)`` as ``value_filters``: present = in at least one pass.
    """
    n, length = digits.shape
    salt_text = [str(i) for i in range(n_salts)] + [""]  # index -1 -> the empty salt
    follow = [*POSITIONS[1:length], "_"]
    grams = ["_A"]
    grams += [f"{POSITIONS[i]}{d}" for i in range(length) for d in range(10)]
    grams += [f"{d}{follow[i]}" for i in range(length) for d in range(10)]
    messages = pl.Series([f"{s}|{g}" for s in salt_text for g in grams], dtype=pl.String)
    masks = message_masks(con, messages, key, hashes).reshape(len(salt_text), len(grams), -1)
    groups = []
    for start in range(0, length, 3):
        width = min(3, length - start)
        values = np.arange(10**width)
        table = np.zeros((len(salt_text), 10**width, BLOOM_WORDS), dtype=_U64)
        if start == 0:
            table |= masks[:, 0][:, None, :]
        for t in range(width):
            digit = values // 10 ** (width - 1 - t) % 10
            i = start + t
            table |= masks[:, 1 + 10 * i + digit] | masks[:, 1 + 10 * (length + i) + digit]
        code = np.zeros(n, dtype=np.int64)
        for t in range(width):
            code = code * 10 + digits[:, start + t]
        groups.append((table.reshape(-1, BLOOM_WORDS), 10**width, code))
    words = np.zeros((n, BLOOM_WORDS), dtype=_U64)
    present = np.zeros(n, dtype=bool)
    for use, salts in passes:
        rows = None if use.all() else np.flatnonzero(use)
        salt_row = np.where(salts < 0, n_salts, salts).astype(np.int64)
        if rows is not None:
            salt_row = salt_row[rows]
        acc = np.zeros((n if rows is None else len(rows), BLOOM_WORDS), dtype=_U64)
        for table, size, code in groups:
            acc |= take_rows(table, salt_row * size + (code if rows is None else code[rows]))
        if rows is None:
            words |= acc
        else:
            words[rows] |= acc
        present |= use
    return words, present


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
    words[rows] ^= flip_masks(seeds[rows], stream, flips)


def flip_masks(seeds: np.ndarray, stream: int, flips: int) -> np.ndarray:
    """``(len(seeds), 8)`` uint64 XOR masks: the ``flips`` flips of each seed in one stream.

    Flipping is XOR, so a filter hardened flip by flip equals the filter XOR this mask; seeds
    repeat (one per date of birth by default), so the encoder computes a mask once per seed.
    """
    base = np.asarray(seeds).astype(_U64)
    masks = np.zeros((len(base), BLOOM_WORDS), dtype=_U64)
    flat = masks.reshape(-1)  # a view: row r, word w is flat[r * 8 + w]
    row_start = np.arange(len(base), dtype=np.int64) * BLOOM_WORDS
    for j in range(max(flips, 0)):
        counter = _U64((stream * 1024 + j + 1) & 0xFFFFFFFFFFFFFFFF)
        with np.errstate(over="ignore"):
            z = _splitmix64(base ^ (counter * _GOLDEN))
        pos = z >> _U64(55)  # top 9 bits: 0..511
        flat[row_start + (pos >> _U64(6)).astype(np.int64)] ^= _U64(1) << (pos & _U64(63))
    return masks


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
