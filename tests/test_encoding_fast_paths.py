"""The encoder's fast paths give exactly what the plain rules give (speed only, same bytes).

Each shortcut of ``docs/encoding.md`` "Speed" is checked against the straightforward
computation: street rules once per template, byte-level digit rewrites, flip masks once per
seed, AES-CMAC over mixed message lengths, and the chunked, threaded encoder against one thread.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import numpy as np
import polars as pl
import pytest
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

from encoding import bloom, distinct, encoder, normalise, strbuf
from encoding.cmac import cmac_hex, cmac_of_buffers_keys, utf8_buffers
from encoding.encoder import EncodingSettings, encode_persons
from encoding.keys import EncodingKeys

KEYS = EncodingKeys.derive(
    b"fast-path-test-shared-secret-0123456789", b"fast-path-partner-key-0123456789ab"
)
AS_OF = date(2026, 6, 30)

STREETS = [
    "123 North Main Street Apt 4-B",
    "123 N. Main St. #4B",
    "12 1st Avenue, Apt. 3",
    "12 First Avenue Suite 3",  # an ordinal adds a digit: line-by-line fallback
    "7 Tenth St Unit Unit 5",
    "12 Ocean Blvd # 4 - b",
    "100 Fifth Ave Suite 300",
    "Unit 4 B 9 Elm Rd",
    "１２ Maple Ｓｔ",  # full-width digits fold to ASCII
    "½ Elm Rd",
    "٣ Pine Ln",  # a non-ASCII digit is not [0-9]
    "O'Neil's Court 44",
    "PO Box 12",
    "Homeless",
    "No Fixed Address",
    "main street",
    "12",
    "'",  # not blank, folds to nothing: a placeholder, not missing
    "   ",
    "",
    None,
]


@pytest.mark.parametrize("number", ["", "5 ", "58 ", "1207 "])
def test_street_templates_match_the_rules_line_by_line(number: str) -> None:
    lines = [None if s is None else number + s for s in STREETS]
    repeated = pl.Series("street", lines * 12, dtype=pl.String)
    fast = normalise.normalise_street(repeated)
    for i, line in enumerate(lines):
        one = normalise.normalise_street(pl.Series("street", [line], dtype=pl.String))
        assert fast.values[i] == one.values[0], line
        assert fast.reasons[i] == one.reasons[0], line


def test_street_templates_keep_each_lines_own_digits() -> None:
    # Two numbers per street part (house and route), then a unit that spec 2.1 drops.
    lines = [f"{h} Route {u} Apt {h % 9}" for h in range(1, 400) for u in (1, 22, 303)]
    fast = normalise.normalise_street(pl.Series(lines))
    assert fast.values.to_list() == [f"{h} ROUTE {u}" for h in range(1, 400) for u in (1, 22, 303)]


DIGIT_CASES = ["(603) 555-1234", None, "", "２０３x5", "1-2-3", "abc", "٣4", "0000"]


@pytest.mark.parametrize("start", [0, 2, 5])
def test_byte_level_digit_rewrites_match_the_regex(start: int) -> None:
    series = pl.Series("v", DIGIT_CASES, dtype=pl.String).slice(start)
    assert strbuf.keep_digits(series).to_list() == series.str.replace_all("[^0-9]", "").to_list()
    assert strbuf.digits_to_zero(series).to_list() == series.str.replace_all("[0-9]", "0").to_list()


def test_flip_masks_per_seed_equal_flipping_record_by_record() -> None:
    rng = np.random.default_rng(3)
    seeds = rng.integers(0, 2**63, 50, dtype=np.int64).astype(np.uint64)
    words = rng.integers(0, 2**63, (50, 8), dtype=np.int64).astype(np.uint64)
    present = rng.random(50) < 0.8
    flipped = words.copy()
    bloom.harden(flipped, present, seeds, 2, 8)
    by_mask = words.copy()
    by_mask[present] ^= bloom.flip_masks(seeds, 2, 8)[present]
    assert (flipped == by_mask).all()
    assert not (flipped[present] == words[present]).all()
    assert (flipped[~present] == words[~present]).all()


def _reference_cmac(key: bytes, message: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()


def test_cmac_over_mixed_lengths_and_two_keys() -> None:
    rng = np.random.default_rng(5)
    alphabet = list("ABCxyz019|-_ ÖŁ€")
    messages = ["".join(rng.choice(alphabet, int(length))) for length in rng.integers(0, 70, 400)]
    series = pl.Series([*messages, None], dtype=pl.String).slice(1)  # sliced, with a null
    key_a, key_b = bytes(range(32)), bytes(range(32, 64))
    tags_a, tags_b = cmac_of_buffers_keys((key_a, key_b), utf8_buffers(series))
    for i, message in enumerate(messages[1:]):
        assert tags_a[i].tobytes() == _reference_cmac(key_a, message.encode())
        assert tags_b[i].tobytes() == _reference_cmac(key_b, message.encode())
    assert not tags_a[-1].any(), "a null message gets a zero tag"
    assert cmac_hex(key_a, series).to_list()[:3] == [
        _reference_cmac(key_a, m.encode()).hex() for m in messages[1:4]
    ]


def _messy_records(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(11)
    pick = lambda values: [values[i] for i in rng.integers(0, len(values), n)]  # noqa: E731
    return pl.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "first_name": pick(["Bill", "Zoë", "Dr. Ann", None, "", "BABY BOY", "José", "Li"]),
            "last_name": pick(["Smith", "van der Berg", "Øster", None, "UNKNOWN", "O'Neil"]),
            "dob": pick(["1980-02-03", "1980-03-02", "1900-01-01", "2030-01-01", None, "bad"]),
            "birth_year": pick(["1980", "1955", None, "x"]),
            "sex": pick(["F", "m", None, "X"]),
            "street": [
                None if s is None else f"{int(h)} {s}"
                for h, s in zip(rng.integers(1, 999, n), pick(STREETS), strict=True)
            ],
            "zip": pick(["03101", "3101", "03101-1234", "12345", None, "03601"]),
            "phone": pick(["(603) 555-1234", "1-603-555-9876", "555", None]),
            "ssn": pick(["219-09-9991", "123-45-6789", "XXX-XX-1234", None, "078-05-1121"]),
        }
    )


@pytest.mark.parametrize("noise_seed", ["dob", "record"])
def test_threaded_chunks_encode_exactly_as_one_thread(
    monkeypatch: pytest.MonkeyPatch, noise_seed: str
) -> None:
    raw = _messy_records(600)
    settings = EncodingSettings(noise_seed=noise_seed, threads=3)  # type: ignore[arg-type]
    timings: dict[str, float] = {}
    one = encode_persons(raw, KEYS, partner_id="p", as_of=AS_OF, settings=settings, timings=timings)
    monkeypatch.setattr(encoder, "PARALLEL_MIN_ROWS", 100)  # three chunks of 200 records
    chunked = encode_persons(raw, KEYS, partner_id="p", as_of=AS_OF, settings=settings)
    assert chunked.persons.equals(one.persons)
    assert chunked.crosswalk.equals(one.crosswalk)
    assert chunked.report == one.report
    assert {"street normalisation", "tokens: per-record columns", "Bloom filter addr"} <= set(
        timings
    )
    assert all(t >= 0 for t in timings.values())


def test_encoded_tokens_agree_with_per_record_macs() -> None:
    """Date strings made once per distinct date and gathered into the combination messages
    give the tokens of a MAC per record."""
    raw = _messy_records(300)
    out = encode_persons(raw, KEYS, partner_id="p", as_of=AS_OF, dob_format="%Y-%m-%d")
    dob = normalise.normalise_dob(raw["dob"], "%Y-%m-%d", AS_OF).values
    first = normalise.normalise_names(raw["first_name"], "first").values
    m, d = dob.dt.month(), dob.dt.day()
    lo = pl.select(pl.min_horizontal(m, d)).to_series().cast(pl.String).str.zfill(2)
    hi = pl.select(pl.max_horizontal(m, d)).to_series().cast(pl.String).str.zfill(2)
    swap = dob.dt.year().cast(pl.String) + "|" + lo + "|" + hi
    expect = {"tok_first_dob": first + "|" + swap}
    assert out.persons["tok_first_dob"].null_count() < 300
    for col, messages in expect.items():
        assert out.persons[col].to_list() == cmac_hex(KEYS.tokens[col], messages).to_list()


@pytest.mark.parametrize(
    "days",
    [
        [0, 5, None, 5, 3],
        [None, None],
        [0, 2_000_000, None, 0],  # too sparse to count over: hashed instead
    ],
)
def test_distinct_dates_index_back_to_every_row(days: list[int | None]) -> None:
    dob = pl.Series("dob", days, dtype=pl.Int32).cast(pl.Date)
    uniq, idx = distinct.dates(dob)
    assert uniq.n_unique() == len(uniq) == dob.drop_nulls().n_unique()
    assert distinct.gather(uniq, idx).to_list() == dob.to_list()


@pytest.mark.parametrize(
    ("numbers", "length", "salts", "n_salts"),
    [
        ([219456789, 219456788, 12345678, 0], 9, [-1, -1, -1, -1], 0),  # SSNs, unsalted
        ([19840307, 19840307, 19840317, 20260102], 8, [0, 5, 5, 63], 64),  # DOBs by bucket
        ([7], 1, [2], 3),  # one digit: a single group shorter than three
    ],
)
def test_digit_filters_equal_filters_of_the_tagged_strings(
    numbers: list[int], length: int, salts: list[int], n_salts: int
) -> None:
    """The per-group tables give exactly the bits of the bigrams of ``A<d>B<d>...``."""
    tagged = pl.Series(
        [
            "".join(f"{bloom.POSITIONS[i]}{d}" for i, d in enumerate(f"{v:0{length}d}"))
            for v in numbers
        ]
    )
    salt_text = pl.Series(["" if s < 0 else str(s) for s in salts])
    use = np.ones(len(numbers), dtype=bool)
    fast, present = bloom.digit_filters(
        np.array(numbers), length, [(use, np.array(salts))], n_salts, KEYS.bloom_ssn, 8
    )
    assert present.all()
    slow, _ = bloom.value_filters(tagged, salt_text, KEYS.bloom_ssn, 8)
    assert (fast == slow).all()
    # A one-digit typo keeps most of the filter: partial evidence, not none.
    if len(numbers) > 1 and numbers[0] != numbers[1] and salts[0] == salts[1]:
        assert 0.7 < bloom.dice(fast[0], fast[1]) < 1.0


def _bigram_filter(value: str, salt: str, key: bytes, hashes: int) -> np.ndarray:
    """The filter of docs/encoding.md step by step: one HMAC per padded bigram, bits ORed."""
    out = np.zeros(8, dtype=np.uint64)
    for gram in bloom.bigrams(value):
        mac = hmac.new(key, f"{salt}|{gram}".encode(), hashlib.sha256).digest()
        for j in range(hashes):
            bit = int.from_bytes(mac[2 * j : 2 * j + 2], "big") % 512
            out[bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    return out


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -"  # normalised text: 6-bit symbols
_ANY = "abcXYZ09 |'#~{}@`_"  # any other ASCII: 7-bit symbols


def _random_values(alphabet: str, n: int, longest: int, seed: int) -> list[str | None]:
    rng = np.random.default_rng(seed)
    return [
        None if rng.random() < 0.1 else "".join(rng.choice(list(alphabet), int(length)))
        for length in rng.integers(0, longest + 1, n)
    ]


@pytest.mark.parametrize(
    ("values", "salts", "hashes"),
    [
        (_random_values(_UPPER, 300, 30, 1), [""] * 300, 6),  # street lines: runs of 3
        (_random_values(_UPPER, 300, 9, 2), list(range(64)) * 4 + list(range(44)), 12),
        (_random_values(_ANY, 200, 12, 3), [str(1900 + i % 97) for i in range(200)], 16),
        (["", "A", "AB", "", "A"], ["x", "y", "x", "", ""], 1),  # shorter than a run
        (["SMITH"] * 50 + ["SMYTH"] * 50, list(range(100)), 12),  # repeated: de-duplicated
        ([None, None], ["", ""], 8),
    ],
)
def test_value_filters_equal_the_bigrams_macd_one_by_one(
    values: list[str | None], salts: list[object], hashes: int
) -> None:
    """Runs read as 4-byte words, shared bigram masks and de-duplication change no bit."""
    key = KEYS.bloom_name
    series = pl.Series(values, dtype=pl.String)
    salt_series = pl.Series(salts)
    words, present = bloom.value_filters(series, salt_series, key, hashes)
    assert present.tolist() == [v is not None for v in values]
    for i, value in enumerate(values):
        expected = (
            np.zeros(8, np.uint64)
            if value is None
            else _bigram_filter(value, str(salts[i]), key, hashes)
        )
        assert (words[i] == expected).all(), (value, salts[i])
    # One cache shared by calls of other keys, salts and lengths gives the same masks.
    cache = bloom.BigramMasks()
    bloom.value_filters(pl.Series(["ZZ", "QQQQQQQ"]), pl.Series(["1", "99"]), key, hashes, cache)
    bloom.value_filters(series, salt_series, KEYS.bloom_addr, hashes, cache)
    shared, _ = bloom.value_filters(series, salt_series, key, hashes, cache)
    assert (shared == words).all()


def test_value_filters_refuse_text_that_is_not_ascii() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        bloom.value_filters(pl.Series(["ZOË"]), pl.Series([""]), KEYS.bloom_name, 12)


@pytest.mark.parametrize("dates", [[19840307, 20010101, 19500630], []])
def test_digit_filters_of_distinct_numbers_gathered_per_record(dates: list[int]) -> None:
    """Group values read once per distinct date, then gathered, equal the per-record build."""
    index = np.array([2, 0, -1, 0, 1, 2] if dates else [-1, -1], dtype=np.int64)
    index = np.minimum(index, len(dates) - 1)
    salts = np.arange(len(index), dtype=np.int64) % 7
    use = index >= 0
    gathered = np.array(dates or [0], dtype=np.int64)[np.maximum(index, 0)]
    per_record, _ = bloom.digit_filters(gathered, 8, [(use, salts)], 7, KEYS.bloom_dob, 6)
    by_index, present = bloom.digit_filters(
        np.array(dates, dtype=np.int64), 8, [(use, salts)], 7, KEYS.bloom_dob, 6, index=index
    )
    assert (by_index == per_record).all()
    assert present.tolist() == use.tolist()
    assert not by_index[~use].any()


@pytest.mark.parametrize(
    "values",
    [
        ["B", None, "A", "B", "", "A", None],
        [None, None],
        ["only"],
    ],
)
def test_factorize_numbers_values_in_first_seen_order(values: list[str | None]) -> None:
    series = pl.Series("v", ["skipped", *values], dtype=pl.String).slice(1)  # a sliced column
    uniq, idx = distinct.factorize(series)
    expected = list(dict.fromkeys(v for v in values if v is not None))
    assert uniq.to_list() == expected and uniq.dtype == pl.String
    assert idx.tolist() == [-1 if v is None else expected.index(v) for v in values]
