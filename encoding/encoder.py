"""Encode one partner's person records into the columns of spec 2.2.

Input is a frame of raw identifier strings under canonical names (``CANONICAL_FIELDS``; the
partner client's mapping produces it). Output is the persons table of a submission package, a
crosswalk (pseudonym -> own record id) that stays with the partner, and an encoding report
holding counts only. Every step is vectorised: polars for normalisation, AES-CMAC over whole
columns for tokens, pseudonyms and noise seeds (``cmac.py``), HMAC once per run over the few
distinct Bloom bigrams, numpy for Bloom filter bits. Whatever repeats (names, street templates,
dates, ZIPs, flip seeds) is computed once per distinct value, and large inputs are encoded in
chunks, one per core, on a thread pool ("Speed" in docs/encoding.md).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final, Literal

import numpy as np
import polars as pl

from contract.spec import (
    BLOOM_FIELDS,
    DEFAULT_ECOSYSTEM_PERSONS,
    MAX_TOKEN_BITS,
    PERSON_COLUMNS,
    SPEC_VERSION,
    TOKEN_COLUMNS,
    token_widths,
)
from encoding import bloom, distinct, normalise
from encoding.cmac import (
    cmac_blocks,
    cmac_hex,
    cmac_of_buffers,
    cmac_of_buffers_keys,
    hex_series,
    utf8_buffers,
)
from encoding.keys import EncodingKeys

CANONICAL_FIELDS: Final = (
    "record_id",
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "birth_year",
    "sex",
    "street",
    "locality",
    "zip",
    "phone",
    "ssn",
    "consented",
    "part2_consent",
)
AGE_TOP_CODE: Final = 90
# Below this many records one thread encodes everything (a pool costs more than it saves).
PARALLEL_MIN_ROWS: Final = 100_000


class EncodingError(ValueError):
    """The input cannot be encoded; the message names the column and row, never a value."""


def token_bits(settings: EncodingSettings) -> dict[str, int]:
    """{token column: bits kept} of the truncated tokens: the spec's widths for the announced
    ecosystem size (``settings.ecosystem_persons``), then the ``settings.token_bits`` overrides
    (a measurement switch). A typo is a steward's error."""
    try:
        out = token_widths(settings.ecosystem_persons)
    except ValueError as exc:
        raise EncodingError(str(exc)) from None
    for item in filter(None, (p.strip() for p in settings.token_bits.split(","))):
        col, _, value = item.partition(":")
        if col not in TOKEN_COLUMNS or not value.isdigit() or not 1 <= int(value) <= MAX_TOKEN_BITS:
            raise EncodingError(
                f"token_bits item {item!r}: expected <token column>:<bits 1-{MAX_TOKEN_BITS}>, "
                f"the column one of {', '.join(TOKEN_COLUMNS)}"
            )
        out[col] = int(value)
    return out


@dataclass(frozen=True)
class EncodingSettings:
    """Tunable internals of spec 2.2 (measured in docs/encoding.md).

    Changing a value changes every encoding: all partners must use the same settings, which is
    why they are part of the spec rather than of a mapping.
    """

    name_hashes: int = 12
    addr_hashes: int = 6
    # The locality (city, town) joins the address filter with fewer bits per bigram than the
    # street (spec 2.1): evidence when both records have it, while a record without it keeps a
    # high Dice with one that has it (docs/encoding.md, "Spec 2.1: addresses and locality").
    locality_hashes: int = 2
    dob_hashes: int = 6
    ssn_hashes: int = 8
    # The DOB filter is salted by a keyed bucket of each name (first, last; the two ORed), so
    # equal DOBs of people whose names fall in different buckets give unrelated filters: no
    # cluster of birth months for a similarity-graph attack to align within a birth year.
    # 1024 or 256 buckets (measured, not adopted): fewer unrelated same-day births share a
    # bucket, but the partner's HMACs and mask tables grow with the buckets (2.7x the CPU at
    # 1024, 1.2x at 256) and linkage lost 0.0014-0.0018 of F1 on the hard profile at 1024.
    dob_name_buckets: int = 64
    noise_flips: int = 8
    # "dob": flips seeded by the swap-invariant DOB (else the birth year), so one person's
    # records keep identical noise (Dice 1.0 on equal names) while equal names of different
    # people differ; "record": seeded by the whole record (classic BLIP).
    noise_seed: Literal["record", "dob"] = "dob"
    # Spec 1.0 salted by the birth year: a birth-year typo made a person's names unrelated.
    # Unsalted ("none") names fell to the similarity-graph attack over the whole population.
    # "buckets": each name filter ORs two passes, salted by a keyed bucket of the other name
    # and of the swap-invariant DOB (the bucketing of the DOB filter): one field in error
    # keeps half the filter, while equal names of unrelated people mostly share no bucket.
    name_salt: Literal["birth_year", "none", "buckets"] = "buckets"
    # Spec 2.0's address filter was unsalted: a household's members shared a whole filter, and
    # within the clear birth year a household's count gave its address away. "first" (spec
    # 2.1): salted by the keyed bucket of the first name (unsalted without a first name), so a
    # household's members share none of it while a DOB typo keeps all of it. "buckets" (measured,
    # not adopted): two passes, by the first-name and the DOB bucket, as the name filters; twins
    # (same DOB) then shared the DOB pass, and the graph attack named their address.
    addr_salt: Literal["none", "buckets", "first"] = "first"
    # The phone token: unsalted ("none"). Salting it (by the first-name bucket, or by the birth
    # year) kept a household's members apart and closed its leak within the clear ZIP3 and sex,
    # but cost linkage too much to adopt (docs/encoding.md, "Measured after spec 2.1").
    phone_salt: Literal["none", "first", "year"] = "none"
    # The ecosystem's expected number of persons over all partners, announced by the steward
    # with the shared secret (spec 2.2; the partner client reads it from the ecosystem file next
    # to the secret). The truncated tokens (contract.spec.TRUNCATED_TOKENS: the phone) keep
    # floor(log2(E)) bits of their MAC, so unrelated values share a token and its count within
    # a clear stratum is a sum the attacker cannot split (docs/encoding.md, "Spec 2.2"). The
    # default serves tests and benchmarks only: `carehub partner encode` never uses it.
    ecosystem_persons: int = DEFAULT_ECOSYSTEM_PERSONS
    # Measurement switch over the widths above: ``"tok_phone:10,tok_last_dob:11"`` keeps the
    # first b bits of those columns' MACs (measured, not adopted for the name + DOB tokens: they
    # lost precision; docs/encoding.md, "Frequency-hiding tokens"). Empty: the spec's widths.
    token_bits: str = ""
    threads: int = 0  # encoding threads (chunks of records); 0 = one per core

    def __post_init__(self) -> None:
        # A malformed token_bits or ecosystem size is the steward's settings error: refused
        # when the settings are made, not in an encoding thread halfway through an export.
        token_bits(self)


DEFAULT_SETTINGS: Final = EncodingSettings()


@dataclass
class EncodedPersons:
    """The persons table, the partner-only crosswalk and the encoding report."""

    persons: pl.DataFrame
    crosswalk: pl.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


def _text(frame: pl.DataFrame, name: str) -> pl.Series:
    if name not in frame.columns:
        return pl.Series(name, [None] * frame.height, dtype=pl.String)
    s = frame[name]
    if s.dtype in (pl.Date, pl.Datetime):
        return s
    return s.cast(pl.String)


def _flag(frame: pl.DataFrame, name: str, default: bool) -> pl.Series:
    if name not in frame.columns:
        return pl.Series(name, [default] * frame.height, dtype=pl.Boolean)
    return frame[name].cast(pl.Boolean).fill_null(default)


def _count(reasons: pl.Series, total: int) -> dict[str, int]:
    counts = reasons.drop_nulls().value_counts()
    pairs = sorted(zip(counts[:, 0].to_list(), counts[:, 1].to_list(), strict=True))
    out = {"valid": total - sum(int(c) for _, c in pairs)}
    out.update((str(r), int(c)) for r, c in pairs)
    return out


def _year_frame(dob: pl.Series, fallback: pl.Series, as_of: date) -> tuple[pl.Series, int]:
    year_only = fallback.cast(pl.String).str.strip_chars().cast(pl.Int32, strict=False)
    frame = pl.DataFrame({"d": dob, "y": year_only})
    valid = (pl.col("y") >= 1900) & (pl.col("y") <= as_of.year)
    out = frame.select(
        pl.coalesce(pl.col("d").dt.year().cast(pl.Int32), pl.when(valid).then(pl.col("y"))).alias(
            "birth_year"
        ),
        (pl.col("d").is_null() & pl.col("y").is_not_null() & ~valid.fill_null(False)).alias("bad"),
    )
    return out["birth_year"], int(out["bad"].sum())


def encode_persons(
    raw: pl.DataFrame,
    keys: EncodingKeys,
    *,
    partner_id: str,
    as_of: date,
    dob_format: str | None = None,
    sex_values: dict[str, str] | None = None,
    settings: EncodingSettings = DEFAULT_SETTINGS,
    timings: dict[str, float] | None = None,
) -> EncodedPersons:
    """Normalise and encode person records (see module docstring).

    Records are encoded in contiguous chunks on a thread pool (polars, numpy, Arrow and AES
    release the GIL): one chunk per core for large inputs. A record's encodings depend on that
    record only, so the chunking changes no output.

    Args:
        raw: Raw identifiers under ``CANONICAL_FIELDS`` names (missing columns count as empty).
        keys: Subkeys of the shared secret and of the partner-only key (``keys.pseudonym``).
        partner_id: Mixed into each record's noise seed when ``settings.noise_seed`` is
            ``"record"``, so equal record ids at two partners still get different noise.
        as_of: Reference date: Safe Harbor top-coding and "DOB in the future".
        dob_format: strftime format of ``dob`` when it is text.
        sex_values: The partner's own sex codes -> ``F``/``M``/``U``.
        settings: Internals of the spec; every partner must use the same.
        timings: When given, filled with CPU seconds (``time.process_time``) per step; the run
            then uses one thread, so that each step's CPU time is its own.
    """
    if keys.pseudonym is None:
        raise EncodingError("a partner pseudonym key is needed to encode record ids")
    n = raw.height
    record_id = _text(raw, "record_id").str.strip_chars()
    bad_id = record_id.is_null() | (record_id == "")
    if bad_id.any():
        row = int(np.flatnonzero(bad_id.to_numpy())[0]) + 1
        raise EncodingError(
            f"column record_id: row {row} has no record id; every record needs its own id"
        )
    if record_id.n_unique() != n:  # counting distinct ids is 3x cheaper than flagging repeats
        dup = record_id.is_duplicated()
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 1
        raise EncodingError(
            f"column record_id: row {row} repeats a record id ({int(dup.sum())} rows affected); "
            "record ids must be unique within one submission"
        )
    cores = settings.threads or os.cpu_count() or 1
    workers = 1 if timings is not None else cores
    chunks = workers if n >= PARALLEL_MIN_ROWS else 1
    bounds = [n * i // chunks for i in range(chunks + 1)]
    job = _Job(
        keys=keys,
        partner_id=partner_id,
        as_of=as_of,
        dob_format=dob_format,
        sex_values=sex_values,
        settings=settings,
        steps=_Steps(timings),
        bigrams=bloom.BigramMasks(),
    )
    slices = [
        (raw.slice(lo, hi - lo), record_id.slice(lo, hi - lo))
        for lo, hi in itertools.pairwise(bounds)
    ]
    if chunks == 1:
        parts = [_encode_chunk(slices[0][0], slices[0][1], job)]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="encode") as pool:
            parts = list(pool.map(lambda part: _encode_chunk(part[0], part[1], job), slices))

    with job.steps("frames and report"):
        persons = pl.concat([p.persons for p in parts], rechunk=False)
        crosswalk = pl.DataFrame(
            {"record_pseudonym": persons["record_pseudonym"], "record_id": record_id}
        )
        reasons = {
            fld: pl.concat([p.reasons[fld] for p in parts], rechunk=False)
            for fld in parts[0].reasons
        }
        report_fields = {fld: _count(r, n) for fld, r in reasons.items()}
        year_report: dict[str, int] = {}
        if "birth_year" in raw.columns:
            year_report = {
                k: sum(p.years[k] for p in parts) for k in ("from_dob", "year_only", "invalid")
            }
        report = {
            "spec_version": SPEC_VERSION,
            "partner_id": partner_id,
            "as_of": as_of.isoformat(),
            "persons": n,
            "fields": report_fields,
            "birth_year": year_report,
            "encodings": {c: n - persons[c].null_count() for c in TOKEN_COLUMNS}
            | {f"bf_{fld}": n - persons[f"bf_{fld}_0"].null_count() for fld in BLOOM_FIELDS},
            "safe_harbor": {
                "age_90_plus": int(persons["age_90_plus"].sum()),
                "zip3_000": int((persons["zip3"] == "000").sum()),
                "birth_year_null": persons["birth_year"].null_count(),
            },
            "settings": asdict(settings) | {"threads": None},
            "token_bits": token_bits(settings),
        }
    return EncodedPersons(persons=persons, crosswalk=crosswalk, report=report)


class _Steps:
    """CPU seconds per step, when asked for (a no-op otherwise)."""

    def __init__(self, times: dict[str, float] | None) -> None:
        self.times = times

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.times is None:
            yield
            return
        start = time.process_time()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.process_time() - start


@dataclass(frozen=True)
class _Job:
    keys: EncodingKeys
    partner_id: str
    as_of: date
    dob_format: str | None
    sex_values: dict[str, str] | None
    settings: EncodingSettings
    steps: _Steps
    bigrams: bloom.BigramMasks  # Bloom bigram masks shared by the chunks of this run


@dataclass
class _Part:
    persons: pl.DataFrame
    reasons: dict[str, pl.Series]
    years: dict[str, int]


# Raw text fields guarded before normalisation; the same names key the report's reasons.
_GUARDED: Final = tuple(
    f
    for f in CANONICAL_FIELDS
    if f not in ("record_id", "middle_name", "birth_year", "consented", "part2_consent")
)


def _honest_reasons(
    reasons: dict[str, pl.Series], refused: dict[str, pl.Series], raw: pl.DataFrame
) -> dict[str, pl.Series]:
    """A value the guard refused is ``invalid``, and a date the reader could not parse
    (``dob_unparseable``, when the reader says so) is ``unparseable``: never ``missing``."""
    out = dict(reasons)
    for name, bad in refused.items():
        if bad.any():
            frame = pl.DataFrame({"r": out[name], "bad": bad})
            out[name] = frame.select(
                pl.when("bad").then(pl.lit("invalid")).otherwise(pl.col("r")).alias(name)
            ).to_series()
    if "dob_unparseable" in raw.columns and raw["dob_unparseable"].any():
        frame = pl.DataFrame({"r": out["dob"], "u": raw["dob_unparseable"]})
        out["dob"] = frame.select(
            pl.when(pl.col("u") & (pl.col("r") == "missing"))
            .then(pl.lit("unparseable"))
            .otherwise(pl.col("r"))
            .alias("dob")
        ).to_series()
    return out


def _encode_chunk(raw: pl.DataFrame, record_id: pl.Series, job: _Job) -> _Part:
    """Encode one contiguous chunk of records (every encoding depends on its own record only)."""
    n, keys, settings, steps = raw.height, job.keys, job.settings, job.steps
    with steps("guard: over-long values, control characters"):
        refused: dict[str, pl.Series] = {}
        for name in _GUARDED:
            if name in raw.columns:
                column, bad = normalise.guard_text(_text(raw, name))
                raw = raw.with_columns(column.alias(name))
                refused[name] = bad
    with steps("names (once per distinct value)"):
        first = normalise.by_distinct(
            _text(raw, "first_name"), lambda v: normalise.normalise_names(v, "first")
        )
        last = normalise.by_distinct(
            _text(raw, "last_name"), lambda v: normalise.normalise_names(v, "last")
        )
    with steps("street normalisation"):
        street = normalise.normalise_street(_text(raw, "street"))
        locality = normalise.by_distinct(_text(raw, "locality"), normalise.normalise_locality)
    with steps("phone, SSN, ZIP, sex, DOB"):
        zip5 = normalise.normalise_zip(_text(raw, "zip"))
        phone = normalise.normalise_phone(_text(raw, "phone"))
        ssn = normalise.normalise_ssn(_text(raw, "ssn"))
        sex = normalise.by_distinct(
            _text(raw, "sex"), lambda v: normalise.normalise_sex(v, job.sex_values)
        )
        dob = normalise.normalise_dob(_text(raw, "dob"), job.dob_format, job.as_of)
        birth_year, bad_years = _year_frame(dob.values, _text(raw, "birth_year"), job.as_of)
        years = {
            "from_dob": n - dob.values.null_count(),
            "year_only": int((dob.values.is_null() & birth_year.is_not_null()).sum()),
            "invalid": bad_years,
        }

    out: dict[str, pl.Series] = {}
    with steps("date strings (once per distinct value)"):
        dates, date_idx = distinct.dates(dob.values)
        m, d = pl.col("d").dt.month(), pl.col("d").dt.day()

        def pad(e: pl.Expr) -> pl.Expr:
            return e.cast(pl.String).str.zfill(2)

        # Spec 2.1 has no date token (tok_dob, tok_dob_swap): the ISO and swap-invariant
        # strings only enter combination messages, buckets and flip seeds.
        date_msgs = pl.DataFrame({"d": dates}).select(
            iso=pl.col("d").dt.strftime("%Y-%m-%d"),
            swap=pl.concat_str(
                [
                    pl.col("d").dt.year().cast(pl.String),
                    pad(pl.min_horizontal(m, d)),
                    pad(pl.max_horizontal(m, d)),
                ],
                separator="|",
            ),
        )
    with steps("messages"):
        # The keyed first-name bucket salts the address, DOB and surname filters (and, as a
        # measured variant, the phone token), once per distinct name.
        first_bucket = buckets(keys.bloom_dob, first.values, settings.dob_name_buckets)
        f = pl.DataFrame(
            {
                "first": first.values,
                "last": last.values,
                "dob_iso": distinct.gather(date_msgs["iso"], date_idx),
                "dob_swap": distinct.gather(date_msgs["swap"], date_idx),
                "street": street.values,
                "zip5": zip5.values,
                # Unknown sex is no value to agree on: the token is null, as for a null part.
                "sex": pl.select(pl.when(sex.values != "U").then(sex.values)).to_series(),
            }
        )
        msg = f.select(
            tok_name_dob=pl.concat_str(["first", "last", "dob_iso"], separator="|"),
            tok_first_dob=pl.concat_str(["first", "dob_swap"], separator="|"),
            tok_last_dob=pl.concat_str(["last", "dob_swap"], separator="|"),
            tok_fullname=pl.when(pl.col("first") <= pl.col("last"))
            .then(pl.concat_str(["first", "last"], separator="|"))
            .otherwise(pl.concat_str(["last", "first"], separator="|")),
            tok_first_addr=pl.concat_str(["first", "street", "zip5"], separator="|"),
            tok_dob_zip5_sex=pl.concat_str(["dob_iso", "zip5", "sex"], separator="|"),
        ).with_columns(
            tok_phone=_phone_messages(phone.values, first_bucket, birth_year, settings),
            tok_ssn=ssn.values,
        )
    with steps("tokens: per-record columns"):
        bits = token_bits(settings)
        for col in msg.columns:
            if col in bits:
                out[col] = truncated_token(keys.tokens[col], msg[col], bits[col], col)
            else:
                out[col] = cmac_hex(keys.tokens[col], msg[col], col)
    with steps("record pseudonyms"):
        if keys.pseudonym is None:
            raise EncodingError("a partner pseudonym key is needed to encode record ids")
        out["record_pseudonym"] = pseudonyms(record_id, keys.pseudonym, keys.pseudonym_hi)
    with steps("Safe Harbor fields"):
        is_90 = (job.as_of.year - birth_year) >= AGE_TOP_CODE
        out["birth_year"] = (
            pl.DataFrame({"by": birth_year, "p": is_90})
            .select(
                pl.when(pl.col("p")).then(job.as_of.year - AGE_TOP_CODE).otherwise(pl.col("by"))
            )
            .to_series()
            .cast(pl.Int16)
            .alias("birth_year")
        )
        out["age_90_plus"] = is_90.fill_null(False).alias("age_90_plus")
        out["sex"] = sex.values.alias("sex")
        out["zip3"] = normalise.zip3_safe_harbor(zip5.values).alias("zip3")
        out["consented"] = _flag(raw, "consented", True).alias("consented")
        out["part2_consent"] = _flag(raw, "part2_consent", False).alias("part2_consent")
    with steps("noise seeds"):
        by_text = birth_year.cast(pl.String)
        if settings.noise_seed == "record":
            parts = pl.DataFrame(
                {
                    "rid": record_id,
                    "first": first.values,
                    "last": last.values,
                    "dob_iso": f["dob_iso"],
                    "street": street.values,
                    "zip5": zip5.values,
                    "phone": phone.values,
                    "ssn": ssn.values,
                }
            )
            noise = parts.select(
                pl.concat_str(
                    [pl.lit(job.partner_id), *(pl.col(c).fill_null("") for c in parts.columns)],
                    separator="|",
                )
            )
            seed_msgs, seed_idx = noise.to_series(), np.arange(n, dtype=np.int64)
        else:
            # coalesce(dob_swap, birth year, ""): one seed per distinct date, then per year.
            no_dob = date_idx < 0
            years_u, years_idx = distinct.factorize(by_text.filter(pl.Series(no_dob)).fill_null(""))
            seed_msgs = pl.concat([date_msgs["swap"], years_u])
            seed_idx = date_idx.copy()
            seed_idx[no_dob] = len(date_msgs) + years_idx
        tags = cmac_of_buffers(keys.noise, utf8_buffers(seed_msgs))
        seeds = tags[:, :8].copy().view(">u8").ravel().astype(np.uint64)
    with steps("Bloom values: address strings, buckets, digits"):
        no_salt = pl.repeat("", n, eager=True)
        salts = by_text if settings.name_salt == "birth_year" else no_salt
        n_buckets = settings.dob_name_buckets
        last_bucket = buckets(keys.bloom_dob, last.values, n_buckets)
        # Once per distinct date, then per record.
        date_bucket = buckets(keys.bloom_dob, date_msgs["swap"], n_buckets)
        dob_bucket = np.where(date_idx >= 0, date_bucket[np.maximum(date_idx, 0)], -1)
        addr = pl.DataFrame({"s": street.values, "z": zip5.values}).select(
            pl.concat_str(["s", pl.col("z").fill_null("")], separator=" ").str.strip_chars()
        )
        ymd = [dates.dt.year(), dates.dt.month(), dates.dt.day()]
        year, month, day = (p.cast(pl.Int64).to_numpy() for p in ymd)
        dob_numbers = year * 10_000 + month * 100 + day  # YYYYMMDD of each distinct date
        ssn_numbers = ssn.values.cast(pl.Int64, strict=False).fill_null(0)
    # Per field, how its unhardened filters are made: (words, present).
    plans: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
        "first": lambda: bloom.text_filters(
            first.values,
            _name_passes(salts, last_bucket, dob_bucket, settings),
            keys.bloom_name,
            settings.name_hashes,
            job.bigrams,
        ),
        "last": lambda: bloom.text_filters(
            last.values,
            _name_passes(salts, first_bucket, dob_bucket, settings),
            keys.bloom_name,
            settings.name_hashes,
            job.bigrams,
        ),
        # Spec 2.1: salted by the first-name bucket, so the members of a household (other
        # first names) share no filter (settings.addr_salt); the locality joins.
        "addr": lambda: _address_filters(
            addr.to_series(),
            _addr_passes(first_bucket, dob_bucket, settings),
            locality.values,
            keys.bloom_addr,
            settings,
            job.bigrams,
        ),
        # One pass per name, salted by its bucket; no unsalted pass for a missing name.
        "dob": lambda: bloom.digit_filters(
            dob_numbers,
            8,
            [((date_idx >= 0) & (b >= 0), b) for b in (first_bucket, last_bucket)],
            n_buckets,
            keys.bloom_dob,
            settings.dob_hashes,
            index=date_idx,
            cache=job.bigrams,
        ),
        "ssn": lambda: bloom.digit_filters(
            ssn_numbers.to_numpy(),
            9,
            [(ssn.values.is_not_null().to_numpy(), np.full(n, -1, dtype=np.int64))],
            0,
            keys.bloom_ssn,
            settings.ssn_hashes,
            cache=job.bigrams,
        ),
    }
    assert tuple(plans) == BLOOM_FIELDS
    for stream, (fld, make) in enumerate(plans.items()):
        with steps(f"Bloom filter {fld}"):
            words, present = make()
        with steps("Bloom flips (once per distinct seed)"):
            masks = bloom.flip_masks(seeds, stream, settings.noise_flips)
            if present.all():
                words ^= bloom.take_rows(masks, seed_idx)
            else:
                rows = np.flatnonzero(present)
                words[rows] ^= bloom.take_rows(masks, seed_idx[rows])
        with steps("frames and report"):
            out.update(bloom.to_columns(words, present, f"bf_{fld}"))
    reasons = {
        "first_name": first.reasons,
        "last_name": last.reasons,
        "dob": dob.reasons,
        "sex": sex.reasons,
        "street": street.reasons,
        "locality": locality.reasons,
        "zip": zip5.reasons,
        "phone": phone.reasons,
        "ssn": ssn.reasons,
    }
    reasons = _honest_reasons(reasons, refused, raw)
    with steps("frames and report"):
        persons = pl.DataFrame([out[c] for c in PERSON_COLUMNS])
    return _Part(persons=persons, reasons=reasons, years=years)


def truncated_token(key: bytes, messages: pl.Series, bits: int, name: str) -> pl.Series:
    """The first ``bits`` bits of each message's AES-CMAC, as 8 lower-hex characters (a keyed
    bucket among ``2**bits``: unrelated values share it by design); null stays null."""
    tags, valid = cmac_blocks(key, messages)
    top = tags[:, :4].copy().view(">u4").ravel() >> np.uint32(32 - bits)
    return hex_series(name, top.astype(">u4").view(np.uint8).reshape(-1, 4), valid)


def _phone_messages(
    phone: pl.Series, first_bucket: np.ndarray, birth_year: pl.Series, settings: EncodingSettings
) -> pl.Series:
    """The phone token's message: the phone, or the salt (``settings.phone_salt``: the birth
    year, or the keyed bucket of the first name; empty when unknown), ``|`` and the phone."""
    if settings.phone_salt == "none":
        return phone
    salt_values = pl.Series(first_bucket) if settings.phone_salt == "first" else birth_year
    salt = pl.when(salt_values.is_not_null() & (salt_values >= 0)).then(salt_values.cast(pl.String))
    return pl.select(pl.concat_str([salt.otherwise(pl.lit("")), phone], separator="|")).to_series()


def _address_filters(
    addr: pl.Series,
    passes: list[tuple[np.ndarray, pl.Series]],
    locality: pl.Series,
    key: bytes,
    settings: EncodingSettings,
    bigrams: bloom.BigramMasks,
) -> tuple[np.ndarray, np.ndarray]:
    """The address filter: street + ZIP5 bigrams ORed with the locality's bigrams.

    The locality's bigrams are salted ``locality`` (they never set the bits of the same bigram
    of a street) and set ``locality_hashes`` bits each; a record without a street has no
    address filter, whatever its locality.
    """
    words, present = bloom.text_filters(addr, passes, key, settings.addr_hashes, bigrams)
    # Few distinct localities: one filter each, ORed into the rows that have a street.
    towns, idx = distinct.factorize(locality)
    rows = np.flatnonzero((idx >= 0) & present)
    if rows.size:
        salt = pl.repeat("locality", len(towns), eager=True)
        town_words, _ = bloom.value_filters(towns, salt, key, settings.locality_hashes, bigrams)
        words[rows] |= bloom.take_rows(town_words, idx[rows])
    return words, present


def _name_passes(
    salts: pl.Series,
    other: np.ndarray,
    dob: np.ndarray,
    settings: EncodingSettings,
) -> list[tuple[np.ndarray, pl.Series]]:
    """A name filter's passes: one, or (``buckets``) one per bucket of the other name and DOB.

    A pass applies where its bucket exists (>= 0); integer buckets salt by their decimal text.
    """
    if settings.name_salt != "buckets":
        return [(np.ones(len(salts), dtype=bool), salts)]
    return _bucket_passes([other, dob])


def _addr_passes(
    first: np.ndarray, dob: np.ndarray, settings: EncodingSettings
) -> list[tuple[np.ndarray, pl.Series]]:
    """The address filter's passes (``settings.addr_salt``): one salted by the first-name
    bucket (the empty salt without a first name), two by the first-name and DOB buckets, or
    one unsalted."""
    if settings.addr_salt == "buckets":
        return _bucket_passes([first, dob])
    everyone = np.ones(len(first), dtype=bool)
    if settings.addr_salt == "first":
        bucket = pl.Series(first)
        return [(everyone, pl.select(pl.when(bucket >= 0).then(bucket)).to_series())]
    return [(everyone, pl.repeat("", len(first), eager=True))]


def _bucket_passes(salts: list[np.ndarray]) -> list[tuple[np.ndarray, pl.Series]]:
    """One pass per bucket array, salted by its bucket (decimal text), where it is >= 0."""
    return [(bucket >= 0, pl.Series(bucket)) for bucket in salts]


def buckets(key: bytes, values: pl.Series, n_buckets: int) -> np.ndarray:
    """Keyed bucket of each value (-1 for null): the salts of the DOB, name and address filters.

    ``int.from_bytes(CMAC(key, "bucket|" + value)[:4], "big") % n_buckets``, once per distinct
    value; salts are its decimal text.
    """
    uniq, idx = distinct.factorize(values)
    tags = cmac_of_buffers(key, utf8_buffers("bucket|" + uniq))
    numbers = (tags[:, :4].copy().view(">u4").ravel() % n_buckets).astype(np.int64)
    return np.where(idx >= 0, numbers[np.maximum(idx, 0)] if len(numbers) else -1, -1)


def pseudonyms(record_id: pl.Series, key: bytes, key_hi: bytes | None) -> pl.Series:
    """64-hex record pseudonyms: ``CMAC(key, id) || CMAC(key_hi, id)`` (256 bits)."""
    if key_hi is None:
        raise EncodingError("a partner pseudonym key is needed to encode record ids")
    buffers = utf8_buffers(record_id)
    tags = np.hstack(cmac_of_buffers_keys((key, key_hi), buffers))
    return hex_series("record_pseudonym", tags, buffers[2])
