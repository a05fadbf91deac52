"""Normalisation of identifiers before encoding (spec 2.1, documented in docs/encoding.md).

Every rule is a polars expression applied to a whole column at once; the scalar helpers
(``normalise_first`` and friends) run the same expression on a one-element column, so tests, the
golden vectors and the vectorised encoder can never disagree. Each normaliser returns the
normalised values and a parallel column of reasons (``None`` when the value is valid), so the
encoder can count invalid values by field and reason without ever keeping the values.

All normalisers are idempotent: ``norm(norm(x)) == norm(x)``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Final, Literal

import numpy as np
import polars as pl

from encoding import distinct, strbuf

Reason = Literal[
    "missing",
    "placeholder",
    "invalid",
    "unparseable",
    "before_1900",
    "implausible_age",
    "future",
    "unknown",
]
# Oldest plausible age: a date of birth further back is a typo (a wrong century), not a person.
MAX_AGE_YEARS: Final = 120
# Longest plausible identifier field; longer values are refused before any normaliser reads
# them (a 10 MB "name" is not a name, and must not make the encoder slow).
MAX_FIELD_CHARS: Final = 200
CONTROL_CHARACTERS: Final = r"[\x00-\x1f\x7f]"
NamePart = Literal["first", "middle", "last"]

# Letters that Unicode NFKD does not decompose into an ASCII base letter.
SPECIAL_LETTERS: Final = {
    "Ø": "O",
    "Ł": "L",
    "Æ": "AE",
    "Œ": "OE",
    "Đ": "D",
    "Ð": "D",
    "Þ": "TH",
    "ß": "SS",
    "ẞ": "SS",
    "Ħ": "H",
    "İ": "I",
    "ı": "I",
}
TITLES: Final = frozenset(
    {"MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "REV", "FR", "SIR", "DAME", "LADY", "LORD"}
    | {"CAPT", "SGT", "HON", "MSTR", "MASTER"}
)
SUFFIXES: Final = frozenset(
    {"JR", "JNR", "SR", "SNR", "II", "III", "IV", "ESQ", "MD", "PHD", "DDS", "DO", "RN", "LPN"}
)
NAME_STOPWORDS: Final = TITLES | SUFFIXES
_STOPWORD_PATTERN: Final = r"\b(?:" + "|".join(sorted(NAME_STOPWORDS)) + r")\b"
NAME_PLACEHOLDERS: Final = frozenset(
    {
        "UNKNOWN",
        "UNK",
        "UNKN",
        "NONE",
        "NULL",
        "NIL",
        "NA",
        "N A",
        "TEST",
        "TESTPATIENT",
        "TEST PATIENT",
        "PATIENT",
        "FNU",
        "LNU",
        "NFN",
        "NLN",
        "NMN",
        "ANONYMOUS",
        "ANON",
        "NOT GIVEN",
        "NOTGIVEN",
        "NOT STATED",
        "REFUSED",
        "DECLINED",
        "NO NAME",
        "NONAME",
        "BABY",
        "BABY BOY",
        "BABYBOY",
        "BABY GIRL",
        "BABYGIRL",
        "BB",
        "BG",
        "INFANT",
        "NEWBORN",
        "TWIN A",
        "TWIN B",
        "X",
        "XX",
        "XXX",
        "XXXX",
        "ZZZ",
        "ZZZZ",
    }
)
ADDRESS_PLACEHOLDERS: Final = frozenset(
    {
        "UNKNOWN",
        "UNK",
        "NONE",
        "NA",
        "N A",
        "HOMELESS",
        "UNDOMICILED",
        "UNHOUSED",
        "NO ADDRESS",
        "NO FIXED ADDRESS",
        "NFA",
        "GENERAL DELIVERY",
        "REFUSED",
        "DECLINED",
        "SAME",
        "X",
        "XXX",
    }
)
# Street-line vocabulary (USPS Publication 28 abbreviations), applied whole-word.
STREET_WORDS: Final = {
    "STREET": "ST",
    "STR": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "BOULEVARD": "BLVD",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "TERRACE": "TER",
    "CIRCLE": "CIR",
    "HIGHWAY": "HWY",
    "PARKWAY": "PKWY",
    "SQUARE": "SQ",
    "TRAIL": "TRL",
    "WAY": "WAY",
    "ALLEY": "ALY",
    "PLAZA": "PLZ",
    "EXPRESSWAY": "EXPY",
    "CRESCENT": "CRES",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
    "APARTMENT": "UNIT",
    "APT": "UNIT",
    "SUITE": "UNIT",
    "STE": "UNIT",
    "NO": "UNIT",
    "NUMBER": "UNIT",
    "RM": "UNIT",
    "ROOM": "UNIT",
    "FLOOR": "FL",
    "BUILDING": "UNIT",
    "BLDG": "UNIT",
    "LOT": "UNIT",
    "TRAILER": "UNIT",
    "TRLR": "UNIT",
    "SPC": "UNIT",
    "DEPARTMENT": "UNIT",
    "DEPT": "UNIT",
    "BASEMENT": "BSMT",
    "FIRST": "1ST",
    "SECOND": "2ND",
    "THIRD": "3RD",
    "FOURTH": "4TH",
    "FIFTH": "5TH",
    "SIXTH": "6TH",
    "SEVENTH": "7TH",
    "EIGHTH": "8TH",
    "NINTH": "9TH",
    "TENTH": "10TH",
}
# Line 2 of an address (a unit, floor, building or lot) and the same designators on line 1 are
# dropped with their identifier (spec 2.1): one partner sends line 1 + line 2, another the street
# only, and "12 MAIN ST UNIT 4" must agree exactly with "12 MAIN ST". A unit tells apart the
# households of one building, but `tok_addr` is term-frequency adjusted, so a building of many
# households already weighs less than a house.
UNIT_PATTERN: Final = (
    r"\bUNIT(?: [A-Z0-9]+)?\b"  # APT 4B, #4B, SUITE 200, NO 3, BLDG C, LOT 12 (all -> UNIT)
    r"|\b(?:[0-9]+(?:ST|ND|RD|TH) )?FL\b(?: [0-9]+[A-Z]?\b)?"  # 2ND FL, FL 3, FLOOR 3
    r"|(?: (?:BSMT|REAR|UPPER|UPPR|LOWER|LOWR))+$"  # designators without an identifier, at the end
)
# A PO box in any of its spellings (P.O. Box 12, POB 12, Post Office Box #12, Box 12).
PO_BOX_PATTERN: Final = r"^(?:P ?O ?B(?:OX)?|POST OFFICE BOX|BOX) (?:UNIT )?([0-9][A-Z0-9]*)\b"
# Locality (city, town) words with a common short form, applied whole-word before the words are
# joined (ST LOUIS = SAINT LOUIS, MC ALLEN = MCALLEN).
LOCALITY_WORDS: Final = {
    "SAINT": "ST",
    "SAINTE": "ST",
    "STE": "ST",
    "FORT": "FT",
    "MOUNT": "MT",
    "MOUNTAIN": "MTN",
    "PORT": "PT",
    "POINT": "PT",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "HEIGHTS": "HTS",
    "SPRINGS": "SPGS",
    "SPRING": "SPG",
    "VILLAGE": "VLG",
    "CENTER": "CTR",
    "CENTRE": "CTR",
    "JUNCTION": "JCT",
    "TOWNSHIP": "TWP",
    "FALLS": "FLS",
    "BEACH": "BCH",
    "LAKE": "LK",
}
# "CITY OF CONCORD", "TOWN OF HANOVER": the prefix is not part of the name.
LOCALITY_PREFIX: Final = r"^(?:CITY|TOWN|VILLAGE|BOROUGH|TOWNSHIP) OF "
# A state code written after the city ("CONCORD, NH") is not part of the locality.
_STATES: Final = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP"
)
STATE_CODES: Final = frozenset(_STATES.split())
LOCALITY_PLACEHOLDERS: Final = ADDRESS_PLACEHOLDERS | frozenset(
    {"NULL", "NIL", "UNKN", "NOT GIVEN", "NOT STATED", "XX", "XXXX", "ZZZ", "TBD"}
)
DOB_PLACEHOLDERS: Final = frozenset(
    {date(1900, 1, 1), date(1901, 1, 1), date(1899, 12, 31), date(1800, 1, 1), date(1111, 1, 1)}
)
ZIP_PLACEHOLDERS: Final = frozenset({"00000", "11111", "12345", "99999"})
PHONE_PLACEHOLDERS: Final = frozenset({"1234567890", "0123456789", "9876543210"})
SSN_PLACEHOLDERS: Final = frozenset(
    {"123456789", "987654321", "078051120", "219099999", "012345678"}
)
SEX_VALUES: Final = {
    "F": "F",
    "FEMALE": "F",
    "W": "F",
    "WOMAN": "F",
    "GIRL": "F",
    "M": "M",
    "MALE": "M",
    "MAN": "M",
    "BOY": "M",
}


@dataclass(frozen=True)
class Normalised:
    """Normalised values and, per row, why a value became null (``None`` when valid)."""

    values: pl.Series
    reasons: pl.Series


@cache
def nicknames() -> dict[str, str]:
    """Nickname -> canonical first name (closed: no canonical name is itself a nickname)."""
    text = resources.files("encoding").joinpath("data/nicknames.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    return {r["nickname"]: r["canonical"] for r in rows}


@cache
def restricted_zip3() -> frozenset[str]:
    """ZIP3 prefixes that Safe Harbor maps to ``000`` (shipped as data)."""
    text = resources.files("encoding").joinpath("data/restricted_zip3.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _as_text(s: pl.Series) -> pl.Series:
    return s if s.dtype == pl.String else s.cast(pl.String)


def _fold(e: pl.Expr) -> pl.Expr:
    """Unicode fold to upper-case ASCII letters, digits and single spaces."""
    e = e.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_uppercase()
    e = e.str.replace_many(list(SPECIAL_LETTERS), list(SPECIAL_LETTERS.values()))
    e = e.str.replace_all(r"['’‘`´ʼ]", "")
    return e


def _fold_column(s: pl.Series) -> pl.Series:
    """``_fold`` of a whole column; the Unicode steps run only on the non-ASCII values.

    On ASCII text NFKD, mark removal and the special letters change nothing, so upper-casing and
    dropping the ASCII apostrophes is the same fold at a fraction of the cost.
    """
    text = _as_text(s)
    out = text.str.to_uppercase().str.replace_all(r"['`]", "")
    non_ascii = (text.str.len_bytes() != text.str.len_chars()).fill_null(False)
    if non_ascii.any():
        rows = non_ascii.arg_true()
        unicode = pl.DataFrame({"raw": text.gather(rows)}).select(_fold(pl.col("raw")))
        out = out.scatter(rows, unicode.to_series())
    return out


def _squash(e: pl.Expr) -> pl.Expr:
    """Single spaces, none at the ends, in text whose only whitespace is already spaces."""
    return e.str.replace_all(r" {2,}", " ").str.strip_chars(" ")


def _reasons(raw: pl.Expr, value: pl.Expr, placeholder: pl.Expr) -> pl.Expr:
    missing = raw.is_null() | (raw.str.strip_chars() == "")
    return (
        pl.when(missing)
        .then(pl.lit("missing"))
        .when(placeholder)
        .then(pl.lit("placeholder"))
        .when(value.is_null() | (value == ""))
        .then(pl.lit("invalid"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def by_distinct(s: pl.Series, normaliser: Callable[[pl.Series], Normalised]) -> Normalised:
    """Run ``normaliser`` once per distinct value and map the results back (same output)."""
    uniq, idx = distinct.factorize(s)
    if len(uniq) * 2 > len(s):
        return normaliser(s)
    # The null is one more distinct value, placed last.
    done = normaliser(uniq.extend_constant(None, 1))
    rows = np.where(idx < 0, len(uniq), idx)
    return Normalised(done.values.gather(rows).alias(s.name), done.reasons.gather(rows))


def normalise_names(s: pl.Series, part: NamePart) -> Normalised:
    """Names: fold accents and case, drop apostrophes, titles and suffixes, flag placeholders.

    ``first`` and ``middle`` keep the first remaining word; ``first`` then maps nicknames to a
    canonical name. ``last`` joins the remaining words (``VAN DER BERG`` -> ``VANDERBERG``,
    ``GARCIA-LOPEZ`` -> ``GARCIALOPEZ``).
    """
    text = _as_text(s)
    frame = pl.DataFrame({"raw": text, "fold": _fold_column(text)})
    raw = pl.col("raw")
    folded = _squash(pl.col("fold").str.replace_all(r"[^A-Z]+", " "))
    # Words are single-space separated capitals here, so dropping titles and suffixes is one
    # whole-word regex (far cheaper than splitting into lists).
    kept = folded.str.replace_all(_STOPWORD_PATTERN, "")
    if part == "last":
        value = kept.str.replace_all(" ", "", literal=True)
    else:
        value = kept.str.extract(r"([A-Z]+)", 1)
    if part == "first":
        value = value.replace(nicknames())
    out = frame.with_columns(folded.alias("folded")).with_columns(value.alias("value"))
    placeholder = (
        pl.col("folded").is_in(list(NAME_PLACEHOLDERS))
        | pl.col("value").is_in(list(NAME_PLACEHOLDERS | NAME_STOPWORDS))
        | pl.col("folded").str.contains(r"^BABY ?(BOY|GIRL|[A-D0-9])\b")
        | pl.col("folded").str.contains(r"^(TWIN|TRIPLET) ?[A-D0-9]$")
        | ((pl.col("folded") != "") & (pl.col("value").is_null() | (pl.col("value") == "")))
    )
    out = out.with_columns(_reasons(raw, pl.col("value"), placeholder).alias("reason"))
    out = out.with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("value")).alias("value"))
    return Normalised(out["value"].alias(s.name), out["reason"])


def normalise_street(s: pl.Series) -> Normalised:
    """The street part of an address line (line 1, or line 1 + line 2 joined by the reader).

    Fold, USPS abbreviations, PO boxes spelled one way (``P.O. Box 12`` -> ``PO BOX 12``), then
    the unit, floor or building dropped (``UNIT_PATTERN``): ``412 Elm St Apt 4B`` and
    ``412 Elm St`` give the same ``412 ELM ST``. A line that was only a unit is ``invalid``.

    Street lines are near-unique only through their numbers, so the rules run once per distinct
    *template* (the folded line with every digit turned into ``0``): no rule tells one digit
    from another (no abbreviation holds a digit, ``\\w`` and ``[0-9]`` match them all alike) and
    none deletes a digit, so the rules of a template, with the line's own digits put back in
    order, are the rules of the line. The unit rule deletes digits (``UNIT 4B``), so it runs on
    the template as a mask of the characters it keeps, applied after the digits are back. The
    ordinals (``FIRST`` -> ``1ST``) add digits: templates that gain one go through the rules
    line by line instead.
    """
    raw = _as_text(s)
    fold = _fold_column(raw)
    missing = (raw.is_null() | (raw.str.strip_chars() == "")).to_numpy()
    template = strbuf.digits_to_zero(fold)
    frame = pl.DataFrame({"t": template})
    uniq = frame.unique(maintain_order=True)
    if uniq.height * 4 > frame.height:
        return _street_lines(raw, fold)
    done = _street_rules(None, uniq["t"])
    masks = [None if v is None else _unit_mask(v) for v in done.values.to_list()]
    # A template whose street part keeps no letter (a unit alone) is invalid, digits or not.
    no_street = [
        m is not None and not any(c.isalpha() for c, k in zip(v, m, strict=True) if k != _DROP)
        for v, m in zip(done.values.to_list(), masks, strict=True)
    ]
    table = uniq.with_columns(
        value=done.values,
        reason=done.reasons,
        mask=pl.Series(masks, dtype=pl.String),
        no_street=pl.Series(no_street, dtype=pl.Boolean),
        exact=done.values.is_null()
        | (done.values.str.count_matches("[0-9]") == uniq["t"].str.count_matches("[0-9]")),
    ).with_row_index("tid")
    table = table.with_columns(
        value=pl.when("no_street").then(None).otherwise(pl.col("value")),
        reason=pl.when("no_street").then(pl.lit("invalid")).otherwise(pl.col("reason")),
    )
    back = frame.join(table, on="t", how="left", nulls_equal=True, maintain_order="left")
    value = back["value"]
    exact = back["exact"].fill_null(True).to_numpy() | missing
    # Rows whose value stands get their own digits back, in order, in place of the template's
    # zeros. Every other row takes its template as it is (same digit count as its line), so the
    # digits of all lines fill all slots in one pass; those rows are overwritten below.
    stands = value.is_not_null().to_numpy() & ~missing & exact
    shaped = pl.DataFrame({"v": value, "m": back["mask"], "t": template, "s": stands}).select(
        pl.when(pl.col("s")).then(pl.col("v")).otherwise(pl.col("t")).fill_null("").alias("v"),
        pl.when(pl.col("s")).then(pl.col("m")).otherwise(pl.col("t")).fill_null("").alias("m"),
    )
    t_data, t_off, _ = strbuf.utf8_buffers(shaped["v"])
    m_data, m_off, _ = strbuf.utf8_buffers(shaped["m"])
    d_data, d_off, _ = strbuf.utf8_buffers(fold.fill_null(""))
    t_data = t_data[int(t_off[0]) : int(t_off[-1])].copy()
    slots = strbuf.is_digit(t_data)
    filled = d_data[int(d_off[0]) : int(d_off[-1])]
    filled = filled[strbuf.is_digit(filled)]
    same_shape = np.array_equal(m_off - m_off[0], t_off - t_off[0])
    if int(slots.sum()) != len(filled) or not same_shape:  # cannot happen (see above)
        return _street_lines(raw, fold)
    t_data[slots] = filled
    keep = m_data[int(m_off[0]) : int(m_off[-1])] != ord(_DROP)
    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    values = strbuf.from_buffers("v", t_data[keep], kept_before[t_off - t_off[0]], stands)
    reasons = back["reason"]
    redo = np.flatnonzero(~exact)
    if redo.size:
        again = _street_lines(raw.gather(redo), fold.gather(redo))
        values = values.scatter(redo, again.values)
        reasons = reasons.scatter(redo, again.reasons)
    rows = np.flatnonzero(missing)
    if rows.size:
        values = values.scatter(rows, None)
        reasons = reasons.scatter(rows, "missing")
    return Normalised(values.alias(s.name), reasons.alias("reason"))


# Mask character of a street-line character that the unit rule drops (control characters never
# reach a normaliser: ``guard_text`` nulls them, and folding keeps none).
_DROP: Final = "\x01"


def _unit_mask(value: str) -> str:
    """Per character of a (template) street line: ``k`` kept, ``_DROP`` dropped by the unit
    rule, i.e. the ``UNIT_PATTERN`` spans and then the spaces that squashing removes. The rule
    never tells one digit from another, so a template's mask is the mask of each of its lines;
    ``_drop_units`` is the same rule on whole lines."""
    drop = [False] * len(value)
    for m in re.finditer(UNIT_PATTERN, value):
        drop[m.start() : m.end()] = [True] * (m.end() - m.start())
    out = []
    after_space = True  # a leading space goes
    for ch, dropped in zip(value, drop, strict=True):
        if dropped or (ch == " " and after_space):
            out.append(_DROP)
            continue
        out.append("k")
        after_space = ch == " "
    last = max((i for i, c in enumerate(out) if c == "k"), default=-1)
    if last >= 0 and value[last] == " ":  # a trailing space goes
        out[last] = _DROP
    return "".join(out)


def _street_lines(raw: pl.Series, fold: pl.Series) -> Normalised:
    """The street rules line by line (few repeated templates, or ordinals that add digits)."""
    return _drop_units(_street_rules(raw, fold))


def _drop_units(line: Normalised) -> Normalised:
    """The unit rule on whole lines (``_unit_mask`` is the same rule on templates)."""
    frame = pl.DataFrame({"v": line.values, "r": line.reasons})
    street = _squash(pl.col("v").str.replace_all(UNIT_PATTERN, " "))
    out = frame.select(
        street.alias("v"),
        pl.when(pl.col("r").is_null() & ~street.str.contains(r"[A-Z]"))
        .then(pl.lit("invalid"))
        .otherwise(pl.col("r"))
        .alias("r"),
    )
    out = out.with_columns(pl.when(pl.col("r").is_null()).then(pl.col("v")).alias("v"))
    return Normalised(out["v"], out["r"].alias("reason"))


def _street_rules(raw: pl.Series | None, fold: pl.Series) -> Normalised:
    """The street rules on folded lines; ``raw=None``: the lines are known not to be blank."""
    frame = pl.DataFrame({"fold": fold})
    missing = pl.lit(False)
    if raw is not None:
        frame = frame.with_columns(raw=raw)
        missing = pl.col("raw").is_null() | (pl.col("raw").str.strip_chars() == "")
    e = pl.col("fold").str.replace_all("#", " UNIT ").str.replace_all(r"[^A-Z0-9 ]+", " ")
    e = _squash(e)
    e = (" " + e.str.replace_all(" ", "  ") + " ").str.replace_many(
        [f" {k} " for k in STREET_WORDS], [f" {v} " for v in STREET_WORDS.values()]
    )
    e = _squash(e)
    e = e.str.replace_all(r"\bUNIT( UNIT)+\b", "UNIT")
    e = e.str.replace(PO_BOX_PATTERN, "PO BOX ${1}")
    # Letters and digits of a unit number stay together: "UNIT 4 B" -> "UNIT 4B".
    e = e.str.replace_all(r"\bUNIT (\w+) (\w)$", "UNIT $1$2")
    folded = _squash(pl.col("fold").str.replace_all(r"[^A-Z0-9]+", " "))
    out = frame.with_columns(e.alias("value"), folded.alias("folded"), missing.alias("missing"))
    placeholder = (
        pl.col("value").is_in(list(ADDRESS_PLACEHOLDERS))
        | pl.col("folded").is_in(list(ADDRESS_PLACEHOLDERS))
    ) | (~pl.col("missing") & (pl.col("value") == ""))
    # Spec 2.0 keeps a street without a house number ("MAIN ST", rural routes named only): it
    # still tells two addresses apart. Only a line without a letter is invalid.
    invalid = ~pl.col("value").str.contains(r"[A-Z]")
    checked = pl.when(invalid & ~placeholder).then(None).otherwise(pl.col("value"))
    reason = (
        pl.when(pl.col("missing"))
        .then(pl.lit("missing"))
        .when(placeholder)
        .then(pl.lit("placeholder"))
        .when(checked.is_null() | (checked == ""))
        .then(pl.lit("invalid"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    out = out.with_columns(reason.alias("reason"))
    out = out.with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("value")).alias("value"))
    return Normalised(out["value"], out["reason"])


def normalise_locality(s: pl.Series) -> Normalised:
    """Locality (city, town): fold, letters only, ``LOCALITY_WORDS`` short forms, no
    ``CITY OF`` prefix or trailing state code, then the words joined (``St. Louis``,
    ``Saint Louis`` and ``ST LOUIS, MO`` -> ``STLOUIS``; ``Mc Allen`` -> ``MCALLEN``)."""
    text = _as_text(s)
    frame = pl.DataFrame({"raw": text, "fold": _fold_column(text)})
    folded = _squash(pl.col("fold").str.replace_all(r"[^A-Z]+", " "))
    words = (" " + folded.str.replace_all(" ", "  ") + " ").str.replace_many(
        [f" {k} " for k in LOCALITY_WORDS], [f" {v} " for v in LOCALITY_WORDS.values()]
    )
    words = _squash(words).str.replace(LOCALITY_PREFIX, "")
    state = r" (?:" + "|".join(sorted(STATE_CODES)) + r")$"
    value = words.str.replace(state, "").str.replace_all(" ", "", literal=True)
    out = frame.with_columns(folded.alias("folded"), value.alias("value"))
    placeholder = pl.col("folded").is_in(list(LOCALITY_PLACEHOLDERS))
    out = out.with_columns(_reasons(pl.col("raw"), pl.col("value"), placeholder).alias("reason"))
    out = out.with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("value")).alias("value"))
    return Normalised(out["value"].alias(s.name), out["reason"])


def _digits(s: pl.Series) -> pl.DataFrame:
    raw = _as_text(s)
    return pl.DataFrame({"raw": raw, "digits": strbuf.keep_digits(raw)})


def normalise_zip(s: pl.Series) -> Normalised:
    """ZIP5 from ZIP, ZIP+4 or a 4-digit ZIP that lost its leading zero in a spreadsheet."""
    d = pl.col("digits")
    value = (
        pl.when(d.str.len_chars().is_in([5, 9]))
        .then(d.str.slice(0, 5))
        .when(d.str.len_chars() == 4)
        .then("0" + d)
    )
    out = _digits(s).with_columns(value.alias("value"))
    placeholder = pl.col("value").is_in(list(ZIP_PLACEHOLDERS))
    out = out.with_columns(_reasons(pl.col("raw"), pl.col("value"), placeholder).alias("reason"))
    out = out.with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("value")).alias("value"))
    return Normalised(out["value"].alias(s.name), out["reason"])


def normalise_phone(s: pl.Series) -> Normalised:
    """10-digit North American number; a leading country code 1 is dropped."""
    d = pl.col("digits")
    d = (
        pl.when((d.str.len_chars() == 11) & d.str.starts_with("1"))
        .then(d.str.slice(1))
        .otherwise(d)
    )
    value = pl.when(d.str.contains(r"^[2-9][0-9]{2}[2-9][0-9]{6}$")).then(d)
    out = _digits(s).with_columns(value.alias("value"))
    placeholder = pl.col("value").is_in(list(PHONE_PLACEHOLDERS)) | pl.col("value").str.contains(
        r"^(0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$"
    )
    out = out.with_columns(_reasons(pl.col("raw"), pl.col("value"), placeholder).alias("reason"))
    out = out.with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("value")).alias("value"))
    return Normalised(out["value"].alias(s.name), out["reason"])


def normalise_ssn(s: pl.Series) -> Normalised:
    """9-digit SSN; never-issued areas (000, 666, 9xx) and serial 0000 are invalid.

    Group 00 was never issued either, but such values in registries are mostly one mistyped
    digit of a real SSN: spec 2.0 keeps them, so the error-tolerant SSN filter still finds the
    one-digit agreement with the person's correct SSN. Known placeholders stay null.
    """
    d = pl.col("digits")
    valid = (
        (d.str.len_chars() == 9)
        & ~d.str.starts_with("000")
        & ~d.str.starts_with("666")
        & ~d.str.starts_with("9")
        & (d.str.slice(5, 4) != "0000")
    )
    out = _digits(s).with_columns(pl.when(valid).then(d).alias("value"))
    placeholder = pl.col("digits").is_in(list(SSN_PLACEHOLDERS)) | pl.col("digits").str.contains(
        r"^(0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$"
    )
    out = out.with_columns(_reasons(pl.col("raw"), pl.col("value"), placeholder).alias("reason"))
    out = out.with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("value")).alias("value"))
    return Normalised(out["value"].alias(s.name), out["reason"])


def normalise_sex(s: pl.Series, value_map: dict[str, str] | None = None) -> Normalised:
    """``F``/``M``/``U``; a partner's own codes come from the mapping's ``values``."""
    mapping = {**SEX_VALUES, **{k.strip().upper(): v for k, v in (value_map or {}).items()}}
    frame = pl.DataFrame({"raw": _as_text(s)})
    key = pl.col("raw").str.strip_chars().str.to_uppercase()
    value = key.replace_strict(mapping, default="U", return_dtype=pl.String)
    out = frame.with_columns(value.alias("value"))
    reason = (
        pl.when(pl.col("raw").is_null() | (key == ""))
        .then(pl.lit("missing"))
        .when(pl.col("value") == "U")
        .then(pl.lit("unknown"))
    )
    out = out.with_columns(
        pl.when(pl.col("raw").is_null())
        .then(pl.lit("U"))
        .otherwise(pl.col("value"))
        .alias("value"),
        reason.alias("reason"),
    )
    return Normalised(out["value"].alias(s.name), out["reason"])


def parse_dates(s: pl.Series, fmt: str | None) -> pl.Series:
    """Parse a date column with a strftime format; values that do not parse become null."""
    if s.dtype == pl.Date:
        return s
    if s.dtype == pl.Datetime:
        return s.dt.date()
    text = _as_text(s).str.strip_chars()
    if fmt is None:
        return text.str.to_date(strict=False)
    return text.str.to_date(fmt, strict=False)


def normalise_dob(s: pl.Series, fmt: str | None, as_of: date) -> Normalised:
    """Dates of birth: placeholders (1900-01-01 ...), before 1900 or after ``as_of`` are null."""
    parsed = parse_dates(s, fmt)
    raw_missing = (
        s.is_null()
        if s.dtype in (pl.Date, pl.Datetime)
        else (s.is_null() | (_as_text(s).str.strip_chars() == ""))
    )
    frame = pl.DataFrame({"value": parsed, "missing": raw_missing})
    v = pl.col("value")
    reason = (
        pl.when(pl.col("missing"))
        .then(pl.lit("missing"))
        .when(v.is_null())
        .then(pl.lit("unparseable"))
        .when(v.is_in(list(DOB_PLACEHOLDERS)) | (v.dt.year() >= 9990))
        .then(pl.lit("placeholder"))
        .when(v < date(1900, 1, 1))
        .then(pl.lit("before_1900"))
        .when(v < _years_before(as_of, MAX_AGE_YEARS))
        .then(pl.lit("implausible_age"))
        .when(v > as_of)
        .then(pl.lit("future"))
    )
    out = frame.with_columns(reason.alias("reason"))
    out = out.with_columns(pl.when(pl.col("reason").is_null()).then(v).alias("value"))
    return Normalised(out["value"].alias(s.name), out["reason"])


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def guard_text(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Null the values no identifier can be (longer than ``MAX_FIELD_CHARS``, or holding NUL or
    another control character) before any normaliser reads them; return the column and the
    mask of those rows (reported ``invalid``, never ``missing``)."""
    if s.dtype != pl.String:
        return s, pl.Series([False] * len(s), dtype=pl.Boolean)
    long = s.str.len_bytes() > MAX_FIELD_CHARS
    short = pl.when(long).then(None).otherwise(s)
    frame = pl.DataFrame({"s": s, "long": long}).with_columns(short=short)
    bad = (pl.col("long") | pl.col("short").str.contains(CONTROL_CHARACTERS)).fill_null(False)
    out = frame.select(pl.when(bad).then(None).otherwise(pl.col("s")).alias("v"), bad=bad)
    return out["v"].alias(s.name), out["bad"]


def zip3_safe_harbor(zip5: pl.Series) -> pl.Series:
    """First three ZIP digits, ``000`` for the restricted low-population prefixes."""
    z3 = zip5.str.slice(0, 3)
    return (
        pl.DataFrame({"z": z3})
        .select(
            pl.when(pl.col("z").is_in(list(restricted_zip3())))
            .then(pl.lit("000"))
            .otherwise(pl.col("z"))
            .alias("zip3")
        )
        .to_series()
    )


# Scalar helpers: the same expressions on one value (tests, golden vectors, docs).


def _one(normalised: Normalised) -> str | None:
    value = normalised.values[0]
    return None if value is None else str(value)


def normalise_first(value: str | None) -> str | None:
    """Normalised, nickname-canonical first name, or ``None``."""
    return _one(normalise_names(pl.Series([value], dtype=pl.String), "first"))


def normalise_last(value: str | None) -> str | None:
    """Normalised last name, or ``None``."""
    return _one(normalise_names(pl.Series([value], dtype=pl.String), "last"))


def normalise_address(value: str | None) -> str | None:
    """Normalised street line, or ``None``."""
    return _one(normalise_street(pl.Series([value], dtype=pl.String)))


def normalise_city(value: str | None) -> str | None:
    """Normalised locality, or ``None``."""
    return _one(normalise_locality(pl.Series([value], dtype=pl.String)))


def normalise_zip5(value: str | None) -> str | None:
    """ZIP5, or ``None``."""
    return _one(normalise_zip(pl.Series([value], dtype=pl.String)))


def normalise_phone_number(value: str | None) -> str | None:
    """10-digit phone, or ``None``."""
    return _one(normalise_phone(pl.Series([value], dtype=pl.String)))


def normalise_ssn_number(value: str | None) -> str | None:
    """9-digit SSN, or ``None``."""
    return _one(normalise_ssn(pl.Series([value], dtype=pl.String)))


def normalise_dob_value(value: str | None, fmt: str | None, as_of: date) -> date | None:
    """Parsed date of birth, or ``None``."""
    out = normalise_dob(pl.Series([value], dtype=pl.String), fmt, as_of).values[0]
    return out if isinstance(out, date) else None
