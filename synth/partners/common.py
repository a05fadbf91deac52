"""Shared pieces of the partner export writers: the canonical frames and small formatters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from synth.arrays import digits, text
from synth.config import PartnerId
from synth.geography import STATE, STREET_SUFFIXES
from synth.ids import scramble
from synth.records import Records

SUFFIX_ABBR: Final = {name: abbr for name, (abbr, _) in STREET_SUFFIXES.items()}


@dataclass(frozen=True)
class IdFormat:
    """How a partner writes one kind of id: a scrambled number in a fixed space, then text."""

    modulus: int
    render: Callable[[pl.Expr], pl.Expr]

    def make(self, counter: np.ndarray, salt: int) -> pl.Series:
        """Ids for running counters (unique across chunks)."""
        numbers = pl.Series("n", scramble(counter, self.modulus, salt))
        return pl.select(self.render(pl.lit(numbers))).to_series()


def padded(prefix: str, width: int) -> IdFormat:
    """``prefix`` + zero-padded number, e.g. ``MRN00012345``."""
    return IdFormat(10**width, lambda n: pl.lit(prefix) + n.cast(pl.String).str.zfill(width))


def plain(prefix: str, modulus: int, start: int = 1) -> IdFormat:
    """``prefix`` + number without padding, e.g. ``HH-4411``."""
    return IdFormat(modulus, lambda n: pl.lit(prefix) + (n + start).cast(pl.String))


def record_frame(recs: Records, record_id: pl.Series, reg_date: np.ndarray) -> pl.DataFrame:
    """Canonical columns of a partner's records, ready for a partner-specific ``select``."""
    c = recs.cols
    return pl.DataFrame(
        {
            "record_id": record_id,
            "first": text(c["first"]),
            "middle": text(c["middle"]),
            "last": text(c["last"]),
            "sex": text(c["sex"]),
            "dob": pl.Series(c["dob"]).cast(pl.Date),
            "year_only": c["dob_year_only"],
            "ssn": digits(c["ssn"], 9),
            "partial_ssn": c["partial_ssn"],
            "phone": digits(c["phone"], 10),
            "house": c["house_number"],
            "po_box": c["po_box_number"],
            "street_name": text(c["street_name"]),
            "suffix": text(c["street_suffix"]),
            "unit": text(c["unit"]),
            "city": text(c["city"]),
            "zip5": text(c["zip5"]),
            "no_address": c["missing_address"],
            "consented": c["consented"],
            "part2_consent": c["part2_consent"],
            "reg_date": pl.Series(reg_date).cast(pl.Date),
            "age": c["age"],
        }
    )


def event_frame(cols: Mapping[str, np.ndarray], record_ids: pl.Series) -> pl.DataFrame:
    """Canonical events with the partner record id of each."""
    rec = cols["rec"]
    return pl.DataFrame(
        {
            "record_id": record_ids.gather(rec) if len(rec) else pl.Series([], dtype=pl.String),
            "event_type": text(cols["event_type"]),
            "category": text(cols["category"]),
            "date": pl.Series(cols["date"]).cast(pl.Date),
            "end_date": pl.Series(cols["end_date"]).cast(pl.Date),
            "result": pl.Series(cols["result"]).cast(pl.Int8),
            "kind": text(cols["kind"]),
            "group": pl.Series(cols["group"]).cast(pl.Int64),
        }
    )


def choose(rng: np.random.Generator, n: int, options: Mapping[str, float]) -> pl.Series:
    """A column of ``n`` values drawn from weighted options."""
    keys = list(options)
    p = np.array([options[k] for k in keys], dtype=float)
    idx = rng.choice(len(keys), size=n, p=p / p.sum())
    return text(np.array(keys, dtype=object)[idx])


def street(abbreviate: pl.Expr | pl.Series | bool) -> pl.Expr:
    """``412 Elm Street`` or ``412 Elm St`` (``Elm St`` without a house number, ``PO Box 77``
    for a box); null when the address is missing."""
    suffix = pl.col("suffix")
    short = suffix.replace_strict(SUFFIX_ABBR, default=suffix)
    suffix_out = pl.when(abbreviate).then(short).otherwise(suffix)
    name = pl.col("street_name") + " " + suffix_out
    line = (
        pl.when(pl.col("house") < 0)
        .then(name)
        .otherwise(pl.col("house").cast(pl.String) + " " + name)
    )
    box = pl.lit("PO Box ") + pl.col("po_box").cast(pl.String)
    return (
        pl.when(pl.col("no_address"))
        .then(None)
        .when(pl.col("po_box") >= 0)
        .then(box)
        .otherwise(line)
    )


def unit(styles: pl.Expr) -> pl.Expr:
    """The unit written in a per-row style: ``styles`` holds templates like ``Apt {}``."""
    value = styles.str.replace("{}", pl.col("unit"), literal=True)
    return pl.when(pl.col("no_address") | pl.col("unit").is_null()).then(None).otherwise(value)


def address_field(expr: pl.Expr) -> pl.Expr:
    """A field of the address (city, zip) that is empty when the whole address is missing."""
    return pl.when(pl.col("no_address")).then(None).otherwise(expr)


def phone(template: str) -> pl.Expr:
    """Format the 10-digit phone: ``{a}`` area code, ``{e}`` exchange, ``{l}`` line number."""
    p = pl.col("phone")
    parts = {"a": p.str.slice(0, 3), "e": p.str.slice(3, 3), "l": p.str.slice(6, 4)}
    pieces: list[pl.Expr] = []
    rest = template
    while rest:
        i = rest.find("{")
        if i == -1:
            pieces.append(pl.lit(rest))
            break
        if i:
            pieces.append(pl.lit(rest[:i]))
        pieces.append(parts[rest[i + 1]])
        rest = rest[i + 3 :]
    return pl.concat_str(pieces)


def ssn_dashed() -> pl.Expr:
    """``123-45-6789``."""
    s = pl.col("ssn")
    return pl.concat_str(
        [s.str.slice(0, 3), pl.lit("-"), s.str.slice(3, 2), pl.lit("-"), s.str.slice(5, 4)]
    )


def date(fmt: str, column: str = "dob") -> pl.Expr:
    """A date column as text in the partner's format."""
    return pl.col(column).dt.strftime(fmt)


def birth_date(fmt: str) -> pl.Expr:
    """The date of birth, empty when only the year is known."""
    return pl.when(pl.col("year_only")).then(None).otherwise(date(fmt))


def map_codes(column: str, codes: Mapping[str, str]) -> pl.Expr:
    """Canonical values to the partner's own codes (unmapped: null)."""
    return pl.col(column).replace_strict(dict(codes), default=None, return_dtype=pl.String)


def consent(yes: str, no: str, *, invert: bool = False) -> pl.Expr:
    """The consent flag in the partner's words; ``invert`` for opt-out columns."""
    flag = ~pl.col("consented") if invert else pl.col("consented")
    return pl.when(flag).then(pl.lit(yes)).otherwise(pl.lit(no))


@dataclass(frozen=True)
class PartnerFiles:
    """Frames of one partner's export for one chunk: file name -> rows."""

    partner: PartnerId
    files: dict[str, pl.DataFrame]


STATE_CODE: Final = STATE
