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

import hashlib
import threading
from dataclasses import dataclass

import numpy as np
import polars as pl

from contract.spec import BLOOM_BITS, BLOOM_WORDS
from encoding import distinct
from encoding.cmac import utf8_buffers

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
    taken: np.ndarray = flat[idx].view(rows.dtype).reshape(len(idx), rows.shape[1])
    return taken


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
    values: pl.Series,
    salts: pl.Series,
    key: bytes,
    hashes: int,
    cache: BigramMasks | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unhardened filters per record: ``text_filters`` with one pass over every row."""
    return text_filters(values, [(np.ones(len(values), dtype=bool), salts)], key, hashes, cache)


def text_filters(
    values: pl.Series,
    passes: list[tuple[np.ndarray, pl.Series]],
    key: bytes,
    hashes: int,
    cache: BigramMasks | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unhardened filters per record, the OR of one filter per pass.

    Pass ``(use, salts)`` adds, for the rows in ``use`` that have a value, the bigrams of the
    value salted by the row's ``salts`` entry (its text: integers by their decimal text, a null
    as the empty salt). ``cache`` shares bigram masks between the calls of one encoding run
    (else a call MACs its own).

    Returns:
        ``(words, present)``: ``words`` is a ``(n, 8)`` uint64 array (zeros where no pass
        applies) and ``present`` a boolean mask of the rows that have a filter.
    """
    if not 1 <= hashes <= MAX_HASHES:
        raise ValueError(f"hashes must be 1..{MAX_HASHES}")
    cache = cache or BigramMasks()
    n = len(values)
    words = np.zeros((n, BLOOM_WORDS), dtype=_U64)
    has_value = values.is_not_null().to_numpy()
    uses = [np.asarray(use, dtype=bool) & has_value for use, _ in passes]
    present = np.logical_or.reduce(uses) if uses else np.zeros(n, dtype=bool)
    if not present.any():
        return words, present
    # Repeated values (a sample tells) are numbered once for every pass, and a filter is built
    # per distinct (value, salt); mostly unique values are filtered row by row.
    kept = values if present.all() else values.filter(pl.Series(present))
    sample = kept.gather_every(max(1, len(kept) // 20_000))
    numbered = distinct.factorize(values) if sample.n_unique() * 10 <= len(sample) * 9 else None
    for (_, salts), use in zip(passes, uses, strict=True):
        every = bool(use.all())
        rows = np.flatnonzero(use)
        if not len(rows):
            continue
        salt_idx, salt_names = _salt_indexes(salts)
        salt_idx = salt_idx if every else salt_idx[rows]
        if numbered is None:
            more = _distinct_filters(
                values if every else values.gather(rows), salt_idx, salt_names, key, hashes, cache
            )
        else:
            uniq, vid = numbered
            pair = (vid if every else vid[rows]) * len(salt_names) + salt_idx
            dense = distinct.dense_codes(pair, np.ones(len(pair), dtype=bool))
            pairs, pair_of_row = dense or np.unique(pair, return_inverse=True)
            pair_words = _distinct_filters(
                uniq.gather(pairs // len(salt_names)),
                pairs % len(salt_names),
                salt_names,
                key,
                hashes,
                cache,
            )
            more = take_rows(pair_words, pair_of_row.reshape(-1))
        if every:
            words |= more
        else:
            words[rows] |= more
    return words, present


def _distinct_filters(
    values: pl.Series,
    salt_idx: np.ndarray,
    salt_names: list[str],
    key: bytes,
    hashes: int,
    cache: BigramMasks,
) -> np.ndarray:
    """``(len(values), 8)`` filters of values salted by ``salt_names[salt_idx]``.

    A filter is the OR of its bigrams' masks, and OR is idempotent, so a value is cut into runs
    of ``g`` consecutive bigrams (the last run may overlap the one before): each distinct
    (salt, run) gets the OR of its bigram masks once (from one MAC per distinct (salt, bigram)),
    and a value ORs ``ceil(bigrams / g)`` run masks instead of one per bigram. Runs are read
    straight from the UTF-8 bytes (normalised values are ASCII), see ``_run_codes``.
    """
    runs = _run_codes(values, salt_idx, salt_names)
    used, rid = _distinct_runs(runs)
    # The bigrams of each distinct run: (salt, symbol t, symbol t + 1), MACed once each.
    bits, mask = runs.bits, (1 << runs.bits) - 1
    salt_of = (used >> (bits * (runs.run + 1))) << (2 * bits)
    gram_code = np.stack(
        [salt_of | (used >> (bits * t)) & (mask | mask << bits) for t in range(runs.run)], axis=1
    )
    grams, gram_of_run = np.unique(gram_code, return_inverse=True)
    gram_of_run = gram_of_run.reshape(len(used), runs.run)
    gram_words = _gram_masks(grams, runs, key, hashes, cache)
    run_words = gram_words[gram_of_run[:, 0]]
    for t in range(1, runs.run):
        run_words |= gram_words[gram_of_run[:, t]]
    return _or_runs(run_words, rid, runs.first, runs.count)


def _distinct_runs(runs: _Runs) -> tuple[np.ndarray, np.ndarray]:
    """The distinct run codes (sorted) and each run's index into them.

    Many runs (near-unique values) are counted in a table over the code range (a flag per
    code, and an index table read only where it was written); few runs (the distinct values of
    a repetitive column) are sorted instead, since the table would cost more than they do.
    """
    if len(runs.code) < runs.table >> 6:
        used, rid = np.unique(runs.code, return_inverse=True)
        return used.astype(np.int64), rid.reshape(-1)
    seen = np.zeros(runs.table, dtype=bool)
    seen[runs.code] = True
    used = np.flatnonzero(seen)
    lookup = np.empty(runs.table, dtype=np.int32)
    lookup[used] = np.arange(len(used), dtype=np.int32)
    return used, lookup[runs.code]


@dataclass(frozen=True)
class _Runs:
    """Each value's runs of ``run`` consecutive padded bigrams, as integer codes.

    ``code`` holds, per run, its ``run + 1`` symbols (``bits`` bits each, the first symbol in
    the lowest bits) and, above them, the index of the value's salt among ``salt_names``; codes
    are below ``table``. Value ``i``'s runs are ``code[first[i] : first[i] + count[i]]``.
    """

    code: np.ndarray
    first: np.ndarray
    count: np.ndarray
    run: int
    bits: int
    table: int
    salt_names: list[str]


_PAD = ord("_")
# Dense tables of (salt, run) codes stay below this many entries (16 MiB of flags).
_TABLE_LIMIT = 1 << 24


def _run_codes(values: pl.Series, salt_idx: np.ndarray, salt_names: list[str]) -> _Runs:
    """Codes of the runs of every value padded as ``_value_`` (see ``_Runs``).

    A run of ``g <= 3`` bigrams is ``g + 1`` consecutive bytes, read as one unaligned 4-byte
    word from the UTF-8 buffer and packed by shifts. Normalised values are upper-case ASCII
    within 0x20-0x5F (space, digits, ``-``, ``A``-``Z``, ``_``), where the low 6 bits of a byte
    tell it apart: a symbol is 6 bits then, else 7 (any ASCII). The padding is not built as
    strings: a value's first run reads the byte before it and its last run the byte after it,
    and those bytes are overwritten with ``_`` in the words.
    """
    data, offsets, _ = utf8_buffers(values)
    base, end = int(offsets[0]), int(offsets[-1])
    body = data[base:end]
    top, low = (int(body.max()), int(body.min())) if len(body) else (_PAD, _PAD)
    if top >= 0x80:
        raise ValueError("Bloom filter values must be ASCII (normalise them first)")
    bits = 6 if low >= 0x20 and top <= 0x5F else 7
    # One byte before the first value and three after the last: every word read is in bounds.
    buf = np.empty(len(body) + 4, dtype=np.uint8)
    buf[0], buf[1:-3], buf[-3:] = _PAD, body, _PAD
    word = np.ndarray(shape=(len(buf) - 3,), dtype="<u4", buffer=buf, strides=(1,))
    starts = offsets[:-1] - base  # of each value in ``body``: its padded form starts at buf[start]
    lengths = np.diff(offsets)
    run = 1
    while (
        run < _MAX_RUN
        and run < int(lengths.min()) + 1
        and len(salt_names) << (bits * (run + 2)) <= _TABLE_LIMIT
    ):
        run += 1
    count = (lengths + run) // run  # ceil(bigrams / run); a value of b bytes has b + 1 bigrams
    first = np.cumsum(count) - count
    index = np.int32 if len(buf) < 2**31 else np.int64
    total = int(count.sum())
    at = np.repeat((starts - first * run).astype(index), count)
    at += np.arange(total, dtype=index) * run
    last = first + count - 1
    at[last] = starts + lengths + 1 - run  # the last run ends on the closing ``_``
    x = np.take(word, at)
    x[first] = (x[first] & ~np.uint32(0xFF)) | np.uint32(_PAD)
    shift = np.uint32(8 * run)
    x[last] = (x[last] & ~(np.uint32(0xFF) << shift)) | (np.uint32(_PAD) << shift)
    sym = np.uint32((1 << bits) - 1)
    code = x & sym
    for t in range(1, run + 1):
        code |= (x >> np.uint32((8 - bits) * t)) & (sym << np.uint32(bits * t))
    if len(salt_names) > 1:
        code |= np.repeat(salt_idx.astype(np.uint32) << np.uint32(bits * (run + 1)), count)
    return _Runs(
        code=code,
        first=first,
        count=count,
        run=run,
        bits=bits,
        table=len(salt_names) << (bits * (run + 1)),
        salt_names=salt_names,
    )


def _salt_indexes(salts: pl.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's index into the distinct salts, and their text.

    Integer salts (bucket numbers) are counted over their range, not hashed as strings; their
    text is the decimal number.
    """
    if salts.dtype.is_integer() and salts.null_count() == 0 and len(salts):
        numbers = salts.to_numpy().astype(np.int64)
        dense = distinct.dense_codes(numbers, np.ones(len(numbers), dtype=bool))
        if dense is not None:
            return dense[1], [str(v) for v in dense[0].tolist()]
    text = salts.cast(pl.String).fill_null("")
    names = text.unique(maintain_order=True)
    if len(names) == 1:
        return np.zeros(len(text), dtype=np.int64), names.to_list()
    rows = text.replace_strict(names, pl.int_range(len(names), eager=True), return_dtype=pl.Int64)
    return rows.to_numpy(), names.to_list()


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


class BigramMasks:
    """Bigram masks ``HMAC(key, salt|bigram)``, each computed once per encoding run.

    The chunks of a run (one per thread) and the filter passes within a chunk ask for largely
    the same (salt, bigram) pairs: first and last names share their key and their 64 bucket
    salts. A mask is found by (key, hashes, salt, byte pair); only the pairs not seen before are
    MACed. Safe to share between threads; it holds key-derived masks, so it lives no longer than
    the run that made it.
    """

    _PAIRS = 1 << 14  # two 7-bit ASCII bytes

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._salts: dict[str, int] = {}
        # Per (key, hashes): a (salts, byte pairs) table of rows into the masks (-1: not yet).
        self._rows: dict[tuple[bytes, int], np.ndarray] = {}
        self._masks: dict[tuple[bytes, int], np.ndarray] = {}
        self._count: dict[tuple[bytes, int], int] = {}

    def masks(
        self,
        salt_names: list[str],
        salt: np.ndarray,
        pair: np.ndarray,
        key: bytes,
        hashes: int,
    ) -> np.ndarray:
        """``(len(pair), 8)`` masks of salt ``salt_names[salt[i]]`` and bytes ``pair[i]``.

        ``pair`` is ``first byte | second byte << 7`` (ASCII).
        """
        with self._lock:
            for name in salt_names:
                self._salts.setdefault(name, len(self._salts))
            ids = np.array([self._salts[name] for name in salt_names], dtype=np.int64)[salt]
            rows = self._table(key, hashes)
            found = rows[ids, pair]
            missing = np.flatnonzero(found < 0)
            if len(missing):
                names = {i: name for name, i in self._salts.items()}
                todo = np.unique(ids[missing] * self._PAIRS + pair[missing])
                messages = [
                    f"{names[c // self._PAIRS]}|{chr(c & 0x7F)}{chr((c >> 7) & 0x7F)}"
                    for c in todo.tolist()
                ]
                new = message_masks(messages, key, hashes)
                start = self._append(key, hashes, new)
                rows.reshape(-1)[todo] = np.arange(start, start + len(todo), dtype=np.int32)
                found = rows[ids, pair]
            masks: np.ndarray = self._masks.get((key, hashes), np.zeros((0, BLOOM_WORDS), _U64))
            gathered: np.ndarray = masks[found]
            return gathered

    def _table(self, key: bytes, hashes: int) -> np.ndarray:
        rows = self._rows.get((key, hashes))
        if rows is None or rows.shape[0] < len(self._salts):
            grown = np.full((max(64, 2 * len(self._salts)), self._PAIRS), -1, dtype=np.int32)
            if rows is not None:
                grown[: rows.shape[0]] = rows
            self._rows[key, hashes] = rows = grown
        return rows

    def _append(self, key: bytes, hashes: int, new: np.ndarray) -> int:
        masks = self._masks.get((key, hashes), np.zeros((0, BLOOM_WORDS), dtype=_U64))
        start = self._count.get((key, hashes), 0)
        if start + len(new) > len(masks):
            grown = np.zeros((max(1024, 2 * (start + len(new))), BLOOM_WORDS), dtype=_U64)
            grown[:start] = masks[:start]
            self._masks[key, hashes] = masks = grown
        masks[start : start + len(new)] = new
        self._count[key, hashes] = start + len(new)
        return start


def _gram_masks(
    grams: np.ndarray,
    runs: _Runs,
    key: bytes,
    hashes: int,
    cache: BigramMasks,
) -> np.ndarray:
    """``(len(grams), 8)`` bit masks of (salt, bigram) codes: ``HMAC(key, salt|bigram)``."""
    bits = runs.bits
    mask = (1 << bits) - 1
    # A symbol is the byte itself (7 bits) or its low 6 bits, 0x40-0x5F folded to 0x00-0x1F.
    byte = np.array([c if bits == 7 or c >= 0x20 else c + 0x40 for c in range(1 << bits)])
    pair = byte[grams & mask] | byte[(grams >> bits) & mask] << 7
    return cache.masks(runs.salt_names, grams >> (2 * bits), pair, key, hashes)


def message_masks(messages: list[str], key: bytes, hashes: int) -> np.ndarray:
    """``(len(messages), 8)`` bit masks of ``salt|bigram`` messages: ``HMAC(key, message)``.

    The MAC read as sixteen big-endian 16-bit numbers, the first ``hashes`` of them modulo 512,
    are the bits set. A call MACs a few thousand short messages: HMAC (RFC 2104) from the two
    SHA-256 states of the padded key, copied per message, costs a third of a DuckDB query over
    them and half of Python's ``hmac`` objects (docs/encoding.md, "Speed").
    """
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    macs = bytearray()
    for message in messages:
        step = inner.copy()
        step.update(message.encode())
        mac = outer.copy()
        mac.update(step.digest())
        macs += mac.digest()
    chunks = np.frombuffer(bytes(macs), dtype=">u2").reshape(len(messages), 16)
    positions = chunks[:, :hashes].astype(np.int64) % BLOOM_BITS
    gram_words = np.zeros((len(messages), BLOOM_WORDS), dtype=_U64)
    rows = np.repeat(np.arange(len(messages)), hashes)
    flat = positions.ravel()
    np.bitwise_or.at(gram_words, (rows, flat >> 6), _U64(1) << (flat & 63).astype(_U64))
    return gram_words


POSITIONS = "ABCDEFGHI"


def digit_filters(
    numbers: np.ndarray,
    length: int,
    passes: list[tuple[np.ndarray, np.ndarray]],
    n_salts: int,
    key: bytes,
    hashes: int,
    index: np.ndarray | None = None,
    cache: BigramMasks | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Filters of position-tagged digit strings, without building a string per record.

    Record ``r`` holds the number ``numbers[index[r]]`` (``numbers[r]`` without ``index``; the
    distinct dates of birth, say), written with ``length`` digits ``d0 d1 ...`` and standing
    for the value ``A<d0>B<d1>...`` (docs/encoding.md, "Hardened Bloom filters"). Each pass
    ``(use, salts)`` adds, for the rows in ``use``, exactly the bits ``value_filters`` would
    give that value salted by the decimal text of the row's ``salts`` entry (``-1``: the empty
    salt); passes are ORed. The padded bigrams are ``_A``, then per position ``i`` the pair
    (letter ``i``, digit) and the pair (digit, next letter or ``_``): they fall apart into
    groups of up to three positions, so each group's mask is built once per (salt, group value)
    from the ``hmac`` of at most ``(n_salts + 1) * (1 + 20 L)`` bigrams, a group's value is
    read arithmetically from the number (once per distinct number), and a record ORs one mask
    per group and pass.

    Returns:
        ``(words, present)`` as ``value_filters``: present = in at least one pass.
    """
    n = len(numbers) if index is None else len(index)
    numbers = np.asarray(numbers, dtype=np.int64)
    if index is not None:
        numbers = numbers if len(numbers) else np.zeros(1, dtype=np.int64)
        index = np.maximum(index, 0)  # rows without a number are in no pass
    salt_text = [str(i) for i in range(n_salts)] + [""]  # index -1 -> the empty salt
    follow = [*POSITIONS[1:length], "_"]
    grams = ["_A"]
    grams += [f"{POSITIONS[i]}{d}" for i in range(length) for d in range(10)]
    grams += [f"{d}{follow[i]}" for i in range(length) for d in range(10)]
    pair = np.array([ord(g[0]) | ord(g[1]) << 7 for g in grams])
    masks = (cache or BigramMasks()).masks(
        salt_text,
        np.repeat(np.arange(len(salt_text)), len(grams)),
        np.tile(pair, len(salt_text)),
        key,
        hashes,
    )
    masks = masks.reshape(len(salt_text), len(grams), -1)
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
        code = numbers // 10 ** (length - start - width) % 10**width
        groups.append(
            (table.reshape(-1, BLOOM_WORDS), 10**width, code if index is None else code[index])
        )
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
