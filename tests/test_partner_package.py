"""``partner.package.write_package``: the package format, manifest last, and broken packages."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from contract.spec import (
    BLOOM_FIELDS,
    PERSON_COLUMNS,
    TOKEN_COLUMNS,
    bloom_columns,
    token_hex_chars,
)
from partner.package import PackageError, empty_events, read_manifest, write_package


def persons(n: int = 3) -> pl.DataFrame:
    data: dict[str, list[object]] = {
        "record_pseudonym": [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)],
        "birth_year": [1980 + i for i in range(n)],
        "age_90_plus": [False] * n,
        "sex": ["F"] * n,
        "zip3": ["033"] * n,
        "consented": [True] * n,
        "part2_consent": [False] * n,
    }
    data |= {c: ["0" * token_hex_chars(c)] * n for c in TOKEN_COLUMNS}
    data |= {c: [i - 1 for i in range(n)] for f in BLOOM_FIELDS for c in bloom_columns(f)}
    return pl.DataFrame(data).select(PERSON_COLUMNS)


def events(pseudonym: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_pseudonym": [pseudonym],
            "event_id": ["a" * 32],
            "event_type": ["ed_visit"],
            "event_date": [datetime(2026, 1, 2).date()],
            "end_date": [None],
            "category": ["injury"],
            "result": [None],
            "program": [None],  # a program used by one event is free text (left out)
            "part2": [False],
        },
        schema_overrides={"end_date": pl.Date, "result": pl.String, "program": pl.String},
    )


def test_write_package_layout(tmp_path: Path) -> None:
    p = persons()
    created = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    pkg = write_package(
        tmp_path / "landing" / "mercy_hospital",
        partner_id="mercy_hospital",
        persons=p,
        events=events(p["record_pseudonym"][0]),
        key_fingerprint="f" * 64,
        report={"persons": 3},
        created_at=created,
        supersedes="mercy_hospital-x",
    )
    assert (
        pkg.name.startswith("mercy_hospital-20261126T120000Z-")
        and len(pkg.name.split("-")[-1]) == 8
    )
    manifest = read_manifest(pkg)
    assert manifest["created_at"] == "2026-11-26T12:00:00Z"
    assert manifest["supersedes"] == "mercy_hospital-x"
    assert manifest["files"]["persons.parquet"]["schema"]["birth_year"] == "SMALLINT"
    assert manifest["files"]["persons.parquet"]["schema"]["bf_first_0"] == "BIGINT"
    assert manifest["files"]["events.parquet"]["schema"]["event_date"] == "DATE"
    assert manifest["files"]["events.parquet"]["rows"] == 1
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((pkg / name).read_bytes()).hexdigest() == meta["sha256"]
    # manifest.json is the newest file: the landing sensor may trust a folder that has one.
    mtimes = {f.name: f.stat().st_mtime_ns for f in pkg.iterdir()}
    assert mtimes["manifest.json"] == max(mtimes.values())
    assert json.loads((pkg / "encoding_report.json").read_text()) == {"persons": 3}


def test_arrow_and_empty_events(tmp_path: Path) -> None:
    pkg = write_package(
        tmp_path,
        partner_id="northside_food",
        persons=persons().to_arrow(),
        events=empty_events(),
        key_fingerprint="e" * 64,
        submission_id="northside_food-fixed-1",
    )
    assert pkg.name == "northside_food-fixed-1"
    assert pl.read_parquet(pkg / "events.parquet").height == 0


@pytest.mark.parametrize(
    ("mutate", "pattern"),
    [
        (lambda p: p.drop("tok_ssn"), r"persons\.parquet: missing column\(s\) tok_ssn"),
        (lambda p: p.with_columns(first_name=pl.lit("x")), r"unexpected column\(s\) first_name"),
        (
            lambda p: p.with_columns(bf_addr_3=pl.lit("abc")),
            r"column bf_addr_3 has type VARCHAR, expected BIGINT",
        ),
        (
            lambda p: p.with_columns(record_pseudonym=pl.lit("MRN0001")),
            r"row 1, column record_pseudonym is not 64",
        ),
        (
            lambda p: p.with_columns(record_pseudonym=pl.lit("a" * 64)),
            r"record_pseudonym has duplicates",
        ),
    ],
)
def test_invalid_persons_refused_before_writing(
    tmp_path: Path, mutate: object, pattern: str
) -> None:
    p = persons()
    bad = mutate(p)  # type: ignore[operator]
    with pytest.raises(PackageError, match=pattern):
        write_package(
            tmp_path / "out",
            partner_id="mercy_hospital",
            persons=bad,
            events=empty_events(),
            key_fingerprint="f" * 64,
        )
    assert not (tmp_path / "out").exists()


def test_orphan_event_refused(tmp_path: Path) -> None:
    with pytest.raises(
        PackageError, match=r"events\.parquet: row 1, column record_pseudonym has no row"
    ):
        write_package(
            tmp_path / "out",
            partner_id="mercy_hospital",
            persons=persons(),
            events=events("b" * 64),
            key_fingerprint="f" * 64,
        )


def test_unvalidated_broken_package_for_hub_tests(tmp_path: Path) -> None:
    broken = pa.table({"first_name": ["x"], "dob": ["1980-01-01"]})
    pkg = write_package(
        tmp_path,
        partner_id="Bad Partner!",
        persons=broken,
        events=broken,
        key_fingerprint="0" * 64,
        spec_version="9.9",
        validate=False,
        extra_files={"notes.txt": b"x"},
    )
    manifest = read_manifest(pkg)
    assert manifest["spec_version"] == "9.9"
    assert manifest["files"]["persons.parquet"]["schema"] == {
        "first_name": "VARCHAR",
        "dob": "VARCHAR",
    }
    assert (pkg / "notes.txt").exists()
