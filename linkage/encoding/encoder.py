"""Encode one partner's person records into the columns of spec 1.0.

Input is a frame of raw identifier strings under canonical names (``CANONICAL_FIELDS``; the
partner client's mapping produces it). Output is the persons table of a submission package, a
crosswalk (pseudonym -> own record id) that stays with the partner, and an encoding report
holding counts only. Every step is vectorised: polars for normalisation, AES-CMAC over whole
columns for tokens, pseudonyms and noise seeds (``cmac.py``), DuckDB HMAC over the few distinct
Bloom bigrams, numpy for Bloom filter bits.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final, Literal

import duckdb
import numpy as np
import polars as pl

from linkage.encoding import bloom, normalise
from linkage.encoding.cmac import (
    cmac_blocks,
    cmac_hex,
    cmac_hex_distinct,
    cmac_of_buffers,
    hex_series,
    utf8_buffers,
)
from linkage.encoding.keys import EncodingKeys
from linkage.encoding.spec import BLOOM_FIELDS, PERSON_COLUMNS, SPEC_VERSION, TOKEN_COLUMNS

CANONICAL_FIELDS: Final = (
    "record_id",
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "birth_year",
    "sex",
    "street",
    "zip",
    "phone",
    "ssn",
    "consented",
    "part2_consent",
)
AGE_TOP_CODE: Final = 90
# Tokens whose messages repeat a lot (dates, ZIPs): MACed once per distinct message.
REPEATED_TOKENS: Final = frozenset({"tok_dob", "tok_dob_swap", "tok_dob_ym", "tok_zip5"})


class EncodingError(ValueError):
    """The input cannot be encoded; the message names the column and row, never a value."""


@dataclass(frozen=True)
class EncodingSettings:
    """Tunable internals of spec 1.0 (measured in docs/encoding.md).

    Changing a value changes every encoding: all partners must use the same settings, which is
    why they are part of the spec rather than of a mapping.
    """

    name_hashes: int = 12
    addr_hashes: int = 6
    noise_flips: int = 8
    # "dob": flips seeded by the swap-invariant DOB (else the birth year), so one person's
    # records keep identical noise (Dice 1.0 on equal names) while equal names of different
    # people differ; "record": seeded by the whole record (classic BLIP).
    noise_seed: Literal["record", "dob"] = "dob"
    name_salt: Literal["birth_year", "none"] = "birth_year"
    threads: int = 0  # DuckDB threads; 0 = all cores


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
) -> EncodedPersons:
    """Normalise and encode person records (see module docstring).

    Args:
        raw: Raw identifiers under ``CANONICAL_FIELDS`` names (missing columns count as empty).
        keys: Subkeys of the shared secret and of the partner-only key (``keys.pseudonym``).
        partner_id: Mixed into each record's noise seed, so equal record ids at two partners
            still get different noise.
        as_of: Reference date: Safe Harbor top-coding and "DOB in the future".
        dob_format: strftime format of ``dob`` when it is text.
        sex_values: The partner's own sex codes -> ``F``/``M``/``U``.
        settings: Internals of the spec; every partner must use the same.
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
    dup = record_id.is_duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 1
        raise EncodingError(
            f"column record_id: row {row} repeats a record id ({int(dup.sum())} rows affected); "
            "record ids must be unique within one submission"
        )

    first = normalise.by_distinct(
        _text(raw, "first_name"), lambda v: normalise.normalise_names(v, "first")
    )
    last = normalise.by_distinct(
        _text(raw, "last_name"), lambda v: normalise.normalise_names(v, "last")
    )
    street = normalise.normalise_street(_text(raw, "street"))
    zip5 = normalise.normalise_zip(_text(raw, "zip"))
    phone = normalise.normalise_phone(_text(raw, "phone"))
    ssn = normalise.normalise_ssn(_text(raw, "ssn"))
    sex = normalise.normalise_sex(_text(raw, "sex"), sex_values)
    dob = normalise.normalise_dob(_text(raw, "dob"), dob_format, as_of)
    birth_year, bad_years = _year_frame(dob.values, _text(raw, "birth_year"), as_of)

    report_fields = {
        "first_name": _count(first.reasons, n),
        "last_name": _count(last.reasons, n),
        "dob": _count(dob.reasons, n),
        "sex": _count(sex.reasons, n),
        "street": _count(street.reasons, n),
        "zip": _count(zip5.reasons, n),
        "phone": _count(phone.reasons, n),
        "ssn": _count(ssn.reasons, n),
    }
    year_report: dict[str, int] = {}
    if "birth_year" in raw.columns:
        year_report = {
            "from_dob": int(dob.values.is_not_null().sum()),
            "year_only": int((dob.values.is_null() & birth_year.is_not_null()).sum()),
            "invalid": bad_years,
        }

    f = pl.DataFrame(
        {
            "first": first.values,
            "last": last.values,
            "dob": dob.values,
            "by": birth_year,
            "street": street.values,
            "zip5": zip5.values,
            "phone": phone.values,
            "ssn": ssn.values,
            "rid": record_id,
        }
    )
    m, d = pl.col("dob").dt.month(), pl.col("dob").dt.day()
    pad = lambda e: e.cast(pl.String).str.zfill(2)  # noqa: E731
    f = f.with_columns(
        dob_iso=pl.col("dob").dt.strftime("%Y-%m-%d"),
        dob_swap=pl.concat_str(
            [
                pl.col("dob").dt.year().cast(pl.String),
                pad(pl.min_horizontal(m, d)),
                pad(pl.max_horizontal(m, d)),
            ],
            separator="|",
        ),
        dob_ym=pl.col("dob").dt.strftime("%Y-%m"),
    )
    messages: dict[str, pl.Expr] = {
        "tok_name_dob": pl.concat_str(["first", "last", "dob_iso"], separator="|"),
        "tok_first_dob": pl.concat_str(["first", "dob_swap"], separator="|"),
        "tok_last_dob": pl.concat_str(["last", "dob_swap"], separator="|"),
        "tok_fullname": pl.when(pl.col("first") <= pl.col("last"))
        .then(pl.concat_str(["first", "last"], separator="|"))
        .otherwise(pl.concat_str(["last", "first"], separator="|")),
        "tok_dob": pl.col("dob_iso"),
        "tok_dob_swap": pl.col("dob_swap"),
        "tok_dob_ym": pl.col("dob_ym"),
        "tok_addr": pl.concat_str(["street", "zip5"], separator="|"),
        "tok_zip5": pl.col("zip5"),
        "tok_phone": pl.col("phone"),
        "tok_ssn": pl.col("ssn"),
    }
    assert tuple(messages) == TOKEN_COLUMNS
    msg = f.select(
        **messages,
        noise=pl.concat_str(
            [
                pl.lit(partner_id),
                *(
                    pl.col(c).cast(pl.String).fill_null("")
                    for c in ("rid", "first", "last", "dob_iso", "street", "zip5", "phone", "ssn")
                ),
            ],
            separator="|",
        )
        if settings.noise_seed == "record"
        else pl.coalesce(pl.col("dob_swap"), pl.col("by").cast(pl.String), pl.lit("")),
        salt=pl.col("by").cast(pl.String) if settings.name_salt == "birth_year" else pl.lit(""),
    )

    con = duckdb.connect()
    threads = settings.threads or os.cpu_count() or 1
    con.execute(f"SET threads = {int(threads)}")
    try:
        out: dict[str, pl.Series] = {
            "record_pseudonym": pseudonyms(record_id, keys.pseudonym, keys.pseudonym_hi)
        }
        is_90 = (as_of.year - birth_year) >= AGE_TOP_CODE
        out["birth_year"] = (
            pl.DataFrame({"by": birth_year, "p": is_90})
            .select(pl.when(pl.col("p")).then(as_of.year - AGE_TOP_CODE).otherwise(pl.col("by")))
            .to_series()
            .cast(pl.Int16)
            .alias("birth_year")
        )
        out["age_90_plus"] = is_90.fill_null(False).alias("age_90_plus")
        out["sex"] = sex.values.alias("sex")
        out["zip3"] = normalise.zip3_safe_harbor(zip5.values).alias("zip3")
        out["consented"] = _flag(raw, "consented", True).alias("consented")
        out["part2_consent"] = _flag(raw, "part2_consent", False).alias("part2_consent")
        for col in TOKEN_COLUMNS:
            mac = cmac_hex_distinct if col in REPEATED_TOKENS else cmac_hex
            out[col] = mac(keys.tokens[col], msg[col], col)

        tags, _ = cmac_blocks(keys.noise, msg["noise"])
        seeds = tags[:, :8].copy().view(">u8").ravel().astype(np.uint64)
        plans = {
            "first": (first.values, msg["salt"], keys.bloom_name, settings.name_hashes),
            "last": (last.values, msg["salt"], keys.bloom_name, settings.name_hashes),
            "addr": (
                street.values,
                pl.repeat("", n, eager=True),
                keys.bloom_addr,
                settings.addr_hashes,
            ),
        }
        assert tuple(plans) == BLOOM_FIELDS
        for stream, (fld, (values, salts, key, k)) in enumerate(plans.items()):
            words, present = bloom.value_filters(con, values, salts, key, k)
            bloom.harden(words, present, seeds, stream, settings.noise_flips)
            out.update(bloom.to_columns(words, present, f"bf_{fld}"))
    finally:
        con.close()

    persons = pl.DataFrame([out[c] for c in PERSON_COLUMNS])
    crosswalk = pl.DataFrame({"record_pseudonym": out["record_pseudonym"], "record_id": record_id})
    report = {
        "spec_version": SPEC_VERSION,
        "partner_id": partner_id,
        "as_of": as_of.isoformat(),
        "persons": n,
        "fields": report_fields,
        "birth_year": year_report,
        "encodings": {c: int(persons[c].is_not_null().sum()) for c in TOKEN_COLUMNS}
        | {f"bf_{fld}": int(persons[f"bf_{fld}_0"].is_not_null().sum()) for fld in BLOOM_FIELDS},
        "safe_harbor": {
            "age_90_plus": int(out["age_90_plus"].sum()),
            "zip3_000": int((out["zip3"] == "000").sum()),
            "birth_year_null": int(out["birth_year"].is_null().sum()),
        },
        "settings": asdict(settings) | {"threads": None},
    }
    return EncodedPersons(persons=persons, crosswalk=crosswalk, report=report)


def pseudonyms(record_id: pl.Series, key: bytes, key_hi: bytes | None) -> pl.Series:
    """64-hex record pseudonyms: ``CMAC(key, id) || CMAC(key_hi, id)`` (256 bits)."""
    if key_hi is None:
        raise EncodingError("a partner pseudonym key is needed to encode record ids")
    buffers = utf8_buffers(record_id)
    tags = np.hstack([cmac_of_buffers(key, buffers), cmac_of_buffers(key_hi, buffers)])
    return hex_series("record_pseudonym", tags, buffers[2])
