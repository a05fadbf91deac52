"""Normalisation: a table of cases per field, each also checked for idempotence."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from encoding import normalise as n

AS_OF = date(2026, 6, 30)

FIRST = [
    ("Zoë", "ZOE"),
    ("  jose  ", "JOSE"),
    ("José", "JOSE"),
    ("Bill", "WILLIAM"),
    ("BOB", "ROBERT"),
    ("Dr. William", "WILLIAM"),
    ("Mr", None),
    ("Jean-Paul", "JEAN"),
    ("Mary Ann", "MARY"),
    ("BABY BOY", None),
    ("Baby Girl", None),
    ("babyboy", None),
    ("UNKNOWN", None),
    ("unk", None),
    ("FNU", None),
    ("Twin A", None),
    ("", None),
    (None, None),
    ("12345", None),
    ("Łukasz", "LUKASZ"),
    ("Søren", "SOREN"),
    ("D'Angelo", "DANGELO"),
    ("Æthelred", "AETHELRED"),
]
LAST = [
    ("O'Brien", "OBRIEN"),
    ("O’Brien", "OBRIEN"),
    ("van der Berg", "VANDERBERG"),
    ("Van Der Berg", "VANDERBERG"),
    ("Smith Jr.", "SMITH"),
    ("Smith, III", "SMITH"),
    ("García-López", "GARCIALOPEZ"),
    ("Müller", "MULLER"),
    ("Straße", "STRASSE"),
    ("II", None),
    ("I I", None),
    ("UNKNOWN", None),
    ("Doe", "DOE"),
    ("  ", None),
]
# (raw line(s), expected street part): line 2 (units, floors, buildings) is dropped so that line
# 1 + line 2 and the street alone agree; PO boxes are spelled one way; a street without a house
# number is kept; only a line without a street (no letter, or a unit alone) is invalid.
STREET = [
    ("123 North Main Street Apt 4-B", "123 N MAIN ST"),
    ("123 N. Main St. #4B", "123 N MAIN ST"),
    ("123 n main st unit 4b", "123 N MAIN ST"),
    ("123 N Main St", "123 N MAIN ST"),
    ("12 Main St Apt 4", "12 MAIN ST"),
    ("12 Main St, Suite 200", "12 MAIN ST"),
    ("12 Main St Ste. 200", "12 MAIN ST"),
    ("12 Main St Room 5", "12 MAIN ST"),
    ("12 Main St No. 5", "12 MAIN ST"),
    ("12 Main St, 2nd Floor", "12 MAIN ST"),
    ("12 Main St Second Floor", "12 MAIN ST"),
    ("12 Main St Fl 3", "12 MAIN ST"),
    ("12 Main St Bldg C Apt 3", "12 MAIN ST"),
    ("12 Pine Rd Lot 17", "12 PINE RD"),
    ("12 Main St Rear", "12 MAIN ST"),
    ("12 Main St Bsmt", "12 MAIN ST"),
    ("Apt 4, 12 Main St", "12 MAIN ST"),
    ("412 ELM ST", "412 ELM ST"),
    ("412 Elm Street", "412 ELM ST"),
    ("12 1st Avenue, Apt. 3", "12 1ST AVE"),
    ("12 First Avenue Suite 3", "12 1ST AVE"),
    ("12 Front St", "12 FRONT ST"),
    ("Upper Main St", "UPPER MAIN ST"),
    ("PO Box 12", "PO BOX 12"),
    ("P.O. Box 12", "PO BOX 12"),
    ("p o box 12", "PO BOX 12"),
    ("POB 12", "PO BOX 12"),
    ("PO Box #12", "PO BOX 12"),
    ("PO Box No. 12", "PO BOX 12"),
    ("Post Office Box 12", "PO BOX 12"),
    ("Box 12", "PO BOX 12"),
    ("Box Elder Rd", "BOX ELDER RD"),
    ("Homeless", None),
    ("NO FIXED ADDRESS", None),
    ("No Fixed Address", None),
    ("General Delivery", None),
    ("main street", "MAIN ST"),
    ("Main St Apt 2", "MAIN ST"),
    ("Rural Route", "RURAL ROUTE"),
    ("#4", None),
    ("Apt 4B", None),
    ("12 Apt 4", None),
    ("12345", None),
    ("", None),
]
# Line 1 + line 2 (as the reader joins them) and the street alone give one street part.
SAME_STREET = [
    ("12 Main St Apt 4", "12 Main St"),
    ("12 MAIN ST #4", "12 Main Street"),
    ("12 Main St 2nd Floor", "12 Main St"),
    ("12 N Main St Unit 4-B", "12 North Main Street"),
    ("P.O. Box 7", "PO Box 7"),
]
# (raw city, expected): short forms, prefixes, trailing state, words joined, placeholders.
LOCALITY = [
    ("Concord", "CONCORD"),
    ("CONCORD, NH", "CONCORD"),
    ("City of Concord", "CONCORD"),
    ("St. Louis", "STLOUIS"),
    ("Saint Louis", "STLOUIS"),
    ("ST LOUIS, MO 63101", "STLOUIS"),
    ("Mc Allen", "MCALLEN"),
    ("McAllen", "MCALLEN"),
    ("Fort Worth", "FTWORTH"),
    ("Ft. Worth", "FTWORTH"),
    ("North Conway", "NCONWAY"),
    ("N. Conway", "NCONWAY"),
    ("Lake Jessica", "LKJESSICA"),
    ("LakeJessica", "LAKEJESSICA"),
    ("Winston-Salem", "WINSTONSALEM"),
    ("Coeur d’Alène", "COEURDALENE"),
    ("New York", "NEWYORK"),
    ("Unknown", None),
    ("N/A", None),
    ("123", None),
    ("  ", None),
    (None, None),
]
ZIP = [
    ("03301", "03301"),
    ("03301-1234", "03301"),
    ("3301", "03301"),
    ("00000", None),
    ("99999", None),
    ("abc", None),
    ("033", None),
]
PHONE = [
    ("(603) 555-1234", "6035551234"),
    ("603.555.1234", "6035551234"),
    ("1-603-555-1234", "6035551234"),
    ("(999) 999-9999", None),
    ("0000000000", None),
    ("555-1234", None),
    ("(103) 555-1234", None),
]
SSN = [
    ("219-45-6789", "219456789"),
    ("219456789", "219456789"),
    ("999-99-9999", None),
    ("000-00-0000", None),
    ("123-45-6789", None),
    ("078-05-1120", None),
    ("666-12-3456", None),
    ("XXX-XX-6789", None),
    ("219-00-6789", "219006789"),
    ("219-45-0000", None),
]
DOB = [
    ("03/07/1984", "%m/%d/%Y", date(1984, 3, 7)),
    ("3/7/1984", "%m/%d/%Y", date(1984, 3, 7)),
    ("19840307", "%Y%m%d", date(1984, 3, 7)),
    ("07-Mar-1984", "%d-%b-%Y", date(1984, 3, 7)),
    ("01/01/1900", "%m/%d/%Y", None),
    ("19000101", "%Y%m%d", None),
    ("01/01/1850", "%m/%d/%Y", None),
    ("01/01/2030", "%m/%d/%Y", None),
    ("13/45/1984", "%m/%d/%Y", None),
    ("", "%m/%d/%Y", None),
]


@pytest.mark.parametrize(("raw", "expected"), FIRST)
def test_first_name(raw: str | None, expected: str | None) -> None:
    out = n.normalise_first(raw)
    assert out == expected
    assert n.normalise_first(out) == out


@pytest.mark.parametrize(("raw", "expected"), LAST)
def test_last_name(raw: str | None, expected: str | None) -> None:
    out = n.normalise_last(raw)
    assert out == expected
    assert n.normalise_last(out) == out


@pytest.mark.parametrize(("raw", "expected"), STREET)
def test_street(raw: str, expected: str | None) -> None:
    out = n.normalise_address(raw)
    assert out == expected
    assert n.normalise_address(out) == out


@pytest.mark.parametrize(("with_unit", "street_only"), SAME_STREET)
def test_line_two_agrees_with_street_only(with_unit: str, street_only: str) -> None:
    assert n.normalise_address(with_unit) == n.normalise_address(street_only) is not None


def test_street_rules_per_template_match_line_by_line() -> None:
    """Many lines take the per-template path (digits put back after the rules); the result must
    equal the line-by-line rules of the scalar helper, units and PO boxes included."""
    lines = [raw for raw, _ in STREET] * 8 + [f"{i} Main St Apt {i % 7}" for i in range(200)]
    out = n.normalise_street(pl.Series(lines, dtype=pl.String))
    one = [n.normalise_street(pl.Series([x], dtype=pl.String)) for x in lines]
    assert out.values.to_list() == [o.values[0] for o in one]
    assert out.reasons.to_list() == [o.reasons[0] for o in one]
    assert out.reasons[lines.index("#4")] == out.reasons[lines.index("12 Apt 4")] == "invalid"


@pytest.mark.parametrize(("raw", "expected"), LOCALITY)
def test_locality(raw: str | None, expected: str | None) -> None:
    out = n.normalise_city(raw)
    assert out == expected
    assert n.normalise_city(out) == out


@pytest.mark.parametrize(("raw", "expected"), ZIP)
def test_zip(raw: str, expected: str | None) -> None:
    out = n.normalise_zip5(raw)
    assert out == expected
    assert n.normalise_zip5(out) == out


@pytest.mark.parametrize(("raw", "expected"), PHONE)
def test_phone(raw: str, expected: str | None) -> None:
    out = n.normalise_phone_number(raw)
    assert out == expected
    assert n.normalise_phone_number(out) == out


@pytest.mark.parametrize(("raw", "expected"), SSN)
def test_ssn(raw: str, expected: str | None) -> None:
    out = n.normalise_ssn_number(raw)
    assert out == expected
    assert n.normalise_ssn_number(out) == out


@pytest.mark.parametrize(("raw", "fmt", "expected"), DOB)
def test_dob(raw: str, fmt: str, expected: date | None) -> None:
    out = n.normalise_dob_value(raw, fmt, AS_OF)
    assert out == expected
    if out is not None:
        assert n.normalise_dob_value(out.isoformat(), "%Y-%m-%d", AS_OF) == out


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("", "missing"), ("BABY BOY", "placeholder"), ("Mr", "placeholder"), ("12345", "invalid")],
)
def test_name_reasons(raw: str, reason: str) -> None:
    import polars as pl

    out = n.normalise_names(pl.Series([raw]), "first")
    assert out.values[0] is None
    assert out.reasons[0] == reason


def test_nickname_table_is_closed() -> None:
    table = n.nicknames()
    assert len(table) > 150
    assert not set(table.values()) & set(table), "a canonical name must not itself be a nickname"


@pytest.mark.parametrize(("zip5", "zip3"), [("03601", "000"), ("03301", "033"), ("05901", "000")])
def test_safe_harbor_zip3(zip5: str, zip3: str) -> None:
    import polars as pl

    assert n.zip3_safe_harbor(pl.Series([zip5])).to_list() == [zip3]
