"""Refused input: a clear error naming file, column and row, and nothing written."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from carehub.cli import app
from partner.encode import EncodeError, encode_partner
from partner.keygen import keygen

MAPPING = Path(__file__).parents[1] / "partner" / "mappings" / "riverside_health.yaml"
HEADER = (
    "person_id,given_name,family_name,birth_date,gender,ssn,address_line,city,state,"
    "postal_code,phone,share_with_hie\n"
)
ROWS = (
    "RS-0000001,Ana,Ferreira,1990-11-23,F,212345671,9 Pine Road,Concord,NH,03301,6035559876,true\n"
    "RS-0000002,Rob,Lindqvist,1961-04-09,M,,412 Elm St Apt 4B,Concord,NH,03301,6035551234,false\n"
)


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "persons.csv").write_text(HEADER + ROWS)
    (raw / "visits.csv").write_text(
        "visit_id,person_id,visit_class,visit_start,visit_end,principal_dx_category,facility_unit\n"
    )
    (raw / "problem_list.csv").write_text(
        "problem_id,person_id,icd10_code,problem_name,noted_date\n"
    )
    keys = tmp_path / "keys"
    keygen(keys, "riverside_health", shared_secret=keys / "shared.secret")
    return {
        "raw": raw,
        "keys": keys,
        "out": tmp_path / "landing",
        "mapping": MAPPING,
        "tmp": tmp_path,
    }


def _encode(s: dict[str, Path], **kw: object) -> None:
    encode_partner(
        str(kw.get("partner", "riverside_health")),
        Path(str(kw.get("secret", s["keys"] / "shared.secret"))),
        Path(str(kw.get("mapping", s["mapping"]))),
        Path(str(kw.get("input", s["raw"]))),
        s["out"],
        as_of=date(2026, 6, 30),
    )


def _nothing_written(s: dict[str, Path]) -> None:
    assert not s["out"].exists() or not any(s["out"].rglob("*"))
    assert not (s["keys"] / "riverside_health.crosswalk.csv").exists()


def _mapping_with(s: dict[str, Path], old: str, new: str) -> Path:
    text = s["mapping"].read_text()
    assert old in text
    path = s["tmp"] / "mapping.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_happy_path_writes(setup: dict[str, Path]) -> None:
    _encode(setup)
    assert len(list(setup["out"].glob("*/manifest.json"))) == 1
    assert (setup["keys"] / "riverside_health.crosswalk.csv").exists()


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        # a mapped column missing from the file: names file, column, mapping key and a hint
        (
            ("family_name", "familyname"),
            r"persons\.csv has no column 'familyname'.*persons\.last_name"
            r".*did you mean 'family_name'",
        ),
        # the date format does not fit the data
        (
            ('format: "%Y-%m-%d"}\n  sex', 'format: "%m/%d/%Y"}\n  sex'),
            r"persons\.csv column 'birth_date': 2 of 2 dates do not match"
            r".*data row 1.*persons\.dob\.format",
        ),
        # the optional locality mapped to a column the file does not have
        (
            ("locality: city", "locality: town"),
            r"persons\.csv has no column 'town'.*persons\.locality; the file has 12 columns",
        ),
        # an unknown key in the mapping
        (
            ("  phone: phone\n", "  phone: phone\n  telephone: phone\n"),
            r"persons\.telephone: Extra inputs are not permitted",
        ),
        # a value mapped outside the vocabulary
        (("EMER: ed_visit", "EMER: emergency"), r"event_type 'emergency' is not in the vocabulary"),
        # a mapping for another partner
        (
            ("partner_id: riverside_health", "partner_id: mercy_hospital"),
            r"is for partner 'mercy_hospital'",
        ),
    ],
)
def test_bad_mapping(setup: dict[str, Path], change: tuple[str, str], pattern: str) -> None:
    mapping = _mapping_with(setup, *change)
    with pytest.raises(EncodeError, match=pattern):
        _encode(setup, mapping=mapping)
    _nothing_written(setup)


def test_empty_input(setup: dict[str, Path]) -> None:
    (setup["raw"] / "persons.csv").write_text(HEADER)
    with pytest.raises(EncodeError, match=r"persons\.csv has no data rows"):
        _encode(setup)
    _nothing_written(setup)


def test_zero_byte_input(setup: dict[str, Path]) -> None:
    (setup["raw"] / "persons.csv").write_bytes(b"")
    with pytest.raises(EncodeError, match=r"persons\.csv"):
        _encode(setup)
    _nothing_written(setup)


def test_non_utf8_input(setup: dict[str, Path]) -> None:
    (setup["raw"] / "persons.csv").write_bytes((HEADER + ROWS).encode().replace(b"Ana", b"An\xe9"))
    with pytest.raises(
        EncodeError,
        match=r"persons\.csv is not valid utf-8 text at line 2 .*add `csv: \{encoding: cp1252\}`",
    ):
        _encode(setup)
    _nothing_written(setup)


def _tokens(out: Path) -> list[tuple[object, ...]]:
    (package,) = out.glob("*/persons.parquet")
    table = pq.read_table(package).drop(["record_pseudonym"]).to_pylist()
    return sorted(tuple(row.values()) for row in table)


# A spreadsheet export in another dialect, read through the mapping's `csv:` settings, gives the
# very encodings of the UTF-8, comma-separated file; without them the error names the fix.
@pytest.mark.parametrize(
    ("dialect", "write", "refusal"),
    [
        (
            "csv: {encoding: cp1252}\n",
            lambda text: text.encode("cp1252"),
            r"not valid utf-8 text at line 2 \(byte \d+\); add `csv: \{encoding: cp1252\}`",
        ),
        (
            'csv: {delimiter: ";"}\n',
            lambda text: text.replace(",", ";").encode(),
            r"reads as one column but its header holds 11 ';'.*add `csv: \{delimiter: ';'\}`",
        ),
        (
            "csv: {delimiter: '\\t', encoding: latin-1}\n",
            lambda text: text.replace(",", "\t").encode("latin-1"),
            r"not valid utf-8 text at line 2",
        ),
    ],
)
def test_csv_dialects(setup: dict[str, Path], dialect: str, write: Any, refusal: str) -> None:
    accented = (HEADER + ROWS).replace("Ferreira", "Ferreíra")
    (setup["raw"] / "persons.csv").write_text(accented)
    _encode(setup)
    expected = _tokens(setup["out"])
    shutil.rmtree(setup["out"])
    (setup["keys"] / "riverside_health.crosswalk.csv").unlink()
    (setup["raw"] / "persons.csv").write_text(accented)
    for path in setup["raw"].glob("*.csv"):  # one dialect for all of a partner's exports
        path.write_bytes(write(path.read_text()))
    with pytest.raises(EncodeError, match=refusal):
        _encode(setup)
    _nothing_written(setup)
    mapping = setup["tmp"] / "mapping.yaml"
    mapping.write_text(setup["mapping"].read_text() + dialect)
    _encode(setup, mapping=mapping)
    assert _tokens(setup["out"]) == expected


@pytest.mark.parametrize(
    ("dialect", "pattern"),
    [
        ("csv: {encoding: klingon}\n", r"csv\.encoding: .*unknown text encoding 'klingon'"),
        ("csv: {delimiter: ';;'}\n", r"csv\.delimiter: .*one character"),
        ("csv: {quote: x}\n", r"csv\.quote: Extra inputs are not permitted"),
    ],
)
def test_bad_csv_dialect(setup: dict[str, Path], dialect: str, pattern: str) -> None:
    mapping = setup["tmp"] / "mapping.yaml"
    mapping.write_text(setup["mapping"].read_text() + dialect)
    with pytest.raises(EncodeError, match=pattern):
        _encode(setup, mapping=mapping)
    _nothing_written(setup)


# A malformed CSV names the row or line and the fix, not polars' parser state.
@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (
            HEADER + ROWS + "RS-0000003,Al,Ng,1970-01-01,M,,1 A St,Concord,NH,03301,,true,x\n",
            r"data row 3 \(line 4\) has 13 fields, the header 12; quote values that hold ','",
        ),
        (
            HEADER.replace("given_name", "person_id") + ROWS,
            r"the header names column 'person_id' more than once",
        ),
        (
            HEADER + ROWS + '"RS-0000003,Al,Ng,1970-01-01,M,,1 A St,Concord,NH,03301,,true\n',
            r"a quoted value is not closed by line 4; close the quote",
        ),
    ],
)
def test_malformed_csv(setup: dict[str, Path], body: str, pattern: str) -> None:
    (setup["raw"] / "persons.csv").write_text(body)
    with pytest.raises(EncodeError, match=pattern):
        _encode(setup)
    _nothing_written(setup)


def test_duplicate_record_ids(setup: dict[str, Path]) -> None:
    (setup["raw"] / "persons.csv").write_text(HEADER + ROWS + ROWS.splitlines(keepends=True)[0])
    with pytest.raises(EncodeError, match=r"record_id: row 1 repeats a record id"):
        _encode(setup)
    _nothing_written(setup)


def test_missing_secret(setup: dict[str, Path]) -> None:
    with pytest.raises(EncodeError, match=r"shared secret file .*nope\.secret does not exist"):
        _encode(setup, secret=setup["keys"] / "nope.secret")
    _nothing_written(setup)


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o640])
def test_readable_secret_is_refused(setup: dict[str, Path], mode: int) -> None:
    secret = setup["keys"] / "shared.secret"
    os.chmod(secret, mode)
    with pytest.raises(EncodeError, match=rf"readable by others \(mode {mode:04o}\).*chmod 600"):
        _encode(setup)
    _nothing_written(setup)


def test_short_secret_is_refused(setup: dict[str, Path]) -> None:
    secret = setup["keys"] / "shared.secret"
    secret.write_text("c2hvcnQ=\n")
    with pytest.raises(EncodeError, match="fewer than 32 bytes"):
        _encode(setup)
    _nothing_written(setup)


def test_missing_input_file(setup: dict[str, Path]) -> None:
    (setup["raw"] / "visits.csv").unlink()
    with pytest.raises(EncodeError, match=r"visits\.csv does not exist"):
        _encode(setup)
    _nothing_written(setup)


def test_errors_never_echo_values(setup: dict[str, Path]) -> None:
    bad = HEADER + ROWS.replace("1990-11-23", "23.11.1990").replace("1961-04-09", "09.04.1961")
    (setup["raw"] / "persons.csv").write_text(bad)
    with pytest.raises(EncodeError) as info:
        _encode(setup)
    text = str(info.value)
    for value in ("23.11.1990", "Ferreira", "Ana", "RS-0000001", "212345671"):
        assert value not in text


def test_cli_refusal_exit_code(setup: dict[str, Path]) -> None:
    shutil.copy(setup["raw"] / "persons.csv", setup["tmp"] / "one.csv")
    (setup["tmp"] / "one.csv").write_text(HEADER)
    result = CliRunner().invoke(
        app,
        [
            "partner",
            "encode",
            "--partner",
            "riverside_health",
            "--secret",
            str(setup["keys"] / "shared.secret"),
            "--mapping",
            str(setup["mapping"]),
            "--input",
            str(setup["tmp"] / "one.csv"),
            "--out",
            str(setup["out"]),
        ],
    )
    assert result.exit_code == 1
    assert re.search(r"no data rows", result.output)
    assert "nothing was written" in result.output
    _nothing_written(setup)


def test_single_persons_file_input(setup: dict[str, Path]) -> None:
    _encode(setup, input=setup["raw"] / "persons.csv")
    manifest = next(setup["out"].glob("*/manifest.json"))
    files = json.loads(manifest.read_text())["files"]
    assert files["persons.parquet"]["rows"] == 2
    assert files["events.parquet"]["rows"] == 0


def test_parquet_input(setup: dict[str, Path]) -> None:
    import polars as pl

    frame = pl.read_csv(setup["raw"] / "persons.csv", infer_schema=False)
    frame.write_parquet(setup["tmp"] / "persons.parquet")
    _encode(setup, input=setup["tmp"] / "persons.parquet")
    assert len(list(setup["out"].glob("*/manifest.json"))) == 1


def test_byte_order_mark_is_ignored(setup: dict[str, Path]) -> None:
    (setup["raw"] / "persons.csv").write_bytes(b"\xef\xbb\xbf" + (HEADER + ROWS).encode())
    _encode(setup)
    assert len(list(setup["out"].glob("*/manifest.json"))) == 1


def _visits(units: list[str]) -> str:
    head = (
        "visit_id,person_id,visit_class,visit_start,visit_end,principal_dx_category,facility_unit\n"
    )
    return head + "".join(
        f"V{i},RS-000000{1 + i % 2},EMER,2026-01-{1 + i:02d},,,{unit}\n"
        for i, unit in enumerate(units)
    )


@pytest.mark.parametrize(
    ("units", "pattern"),
    [
        # Issue 17 #1: a clinician note mapped to program, holding a person's first and last name.
        (["Seen with Ana Ferreira today"] * 6, r"events column program: 6 value\(s\) hold the "
         r"first and last name of a person in this export \(outgoing event rows 1, 2, 3"),
        (['"Lindqvist, Rob"'] + ["Unit 4"] * 5, r"hold the first and last name.*rows 1\)"),
        # Repeated free text carrying a phone number, an SSN, a date: the hub's own detector.
        (["Call 603-555-0142 for intake"] * 6, r"events\.parquet: column program, row\(s\) "
         r"1, 2, 3, 4, 5, 6: 6 value\(s\) look like a phone number"),
        (["client 123-45-6789"] * 5, r"column program.*look like a Social Security number"),
        (["dob 3/14/1961"] * 5, r"column program.*look like a date"),
    ],
)  # fmt: skip
def test_outgoing_identifiers_are_refused(
    setup: dict[str, Path], units: list[str], pattern: str
) -> None:
    (setup["raw"] / "visits.csv").write_text(_visits(units))
    with pytest.raises(EncodeError, match=pattern) as refused:
        _encode(setup)
    assert "Ferreira" not in str(refused.value) and "555-0142" not in str(refused.value)
    _nothing_written(setup)


def test_rare_program_values_are_left_out_and_counted(setup: dict[str, Path]) -> None:
    (setup["raw"] / "visits.csv").write_text(_visits(["Emergency"] * 5 + ["Bed 12 east"] * 2))
    _encode(setup)
    (package,) = setup["out"].glob("*/")
    report = json.loads((package / "encoding_report.json").read_text())
    assert report["events"]["program_rare_left_out"] == 2
    programs = pq.read_table(package / "events.parquet").column("program").to_pylist()
    assert sorted(programs, key=str) == ["Emergency"] * 5 + [None] * 2


def _person(first: str = "Eve", last: str = "Stone", dob: str = "1990-01-01") -> str:
    return f"RS-0000003,{first},{last},{dob},F,,1 Oak St,Concord,NH,03301,,true"


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        # Issue 17 #7: an impossible date is unparseable, not missing.
        (_person(dob="2023-02-30"), "dob", "unparseable"),
        # Issue 17 #6: a second date format in the same export, parsed per row and reported.
        (_person(dob="03/14/1961"), "dob", "unparseable"),
        # Issue 17 #8: born in 1890 (136 years old), or 122 years old.
        (_person(dob="1890-05-01"), "dob", "before_1900"),
        (_person(dob="1904-05-01"), "dob", "implausible_age"),
        # Issue 17 #9: a NUL (or other control) character in a name.
        (_person(last="Sto\x00ne"), "last_name", "invalid"),
        (_person(first="E\x1bve"), "first_name", "invalid"),
        # Issue 17 #10: an over-long field (here 2 MB) is refused early, the encoder stays fast.
        (_person(first="A" * 2_000_000), "first_name", "invalid"),
    ],
)
def test_input_quality_is_reported_honestly(
    setup: dict[str, Path], row: str, field: str, reason: str
) -> None:
    (setup["raw"] / "persons.csv").write_bytes((HEADER + ROWS + row + "\n").encode())
    started = time.perf_counter()
    _encode(setup)
    assert time.perf_counter() - started < 30
    (package,) = setup["out"].glob("*/")
    report = json.loads((package / "encoding_report.json").read_text())
    assert report["fields"][field].get(reason) == 1, report["fields"][field]
    assert report["fields"][field].get("missing", 0) == 0
    if reason == "unparseable":
        assert report["dates"]["dob"] == {"format": "%Y-%m-%d", "unparseable": 1, "rows": [3]}
