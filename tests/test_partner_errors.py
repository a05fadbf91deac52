"""Refused input: a clear error naming file, column and row, and nothing written."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

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
    with pytest.raises(EncodeError, match=r"persons\.csv is not valid UTF-8"):
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
