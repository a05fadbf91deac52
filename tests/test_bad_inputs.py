"""The 20 bad inputs of issue 4: each stopped at the door, with a reason, nothing else disturbed.

For each case the test asserts four things: the error text, the quarantine record (folder,
reason.json, reason.txt, staging.deliveries row), that the staging tables are unchanged for the
bad partner, and that another partner's good package dropped at the same time is ingested.
Reasons, the steward log and the deliveries table must never repeat the bad value.

One hub home is shared by the module (so the GX project is built once); each case uses fresh
submission ids, so cases do not see each other's packages.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carehub.db import connection
from carehub.home import HubHome
from kernel import clock
from partner.package import EVENT_SCHEMA, PERSON_SCHEMA
from tests.ingest_support import drop, make_home, rewrite_manifest, staging_counts
from warehouse.ingest import ingest_landing

BAD = "harbor_housing"
GOOD = "northside_food"
NOW = clock.now()
LATER = NOW + timedelta(hours=2)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> HubHome:
    return make_home(tmp_path_factory.mktemp("bad_inputs") / "home")


Builder = Callable[[HubHome, str], Path]


def _set(file: str, row: int, column: str, value: Any) -> Callable[[list, list], None]:
    def mutate(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        (persons if file == "persons" else events)[row][column] = value

    return mutate


def empty_file(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    (pkg / "events.parquet").write_bytes(b"")
    rewrite_manifest(pkg)  # the export was empty when it was packaged
    return pkg


def truncated_parquet(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    data = (pkg / "persons.parquet").read_bytes()
    (pkg / "persons.parquet").write_bytes(data[: len(data) // 2])
    rewrite_manifest(pkg)  # packaged after the cut: checksums agree, the file is still broken
    return pkg


def wrong_column_names(home: HubHome, salt: str) -> Path:
    schema = PERSON_SCHEMA.set(
        PERSON_SCHEMA.get_field_index("tok_dob"), pa.field("dob_token", pa.string())
    )

    def rename(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        for row in persons:
            row["dob_token"] = row.pop("tok_dob")

    return drop(home, BAD, salt=salt, mutate=rename, persons_schema=schema)


def wrong_column_types(home: HubHome, salt: str) -> Path:
    schema = EVENT_SCHEMA.set(
        EVENT_SCHEMA.get_field_index("event_date"), pa.field("event_date", pa.string())
    )

    def as_text(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        for row in events:
            row["event_date"] = row["event_date"].strftime("%m/%d/%Y")

    return drop(home, BAD, salt=salt, mutate=as_text, events_schema=schema)


def missing_manifest(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    (pkg / "manifest.json").unlink()
    return pkg


def checksum_mismatch(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    with (pkg / "encoding_report.json").open("a") as fh:
        fh.write(" ")
    return pkg


def row_count_mismatch(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    rewrite_manifest(pkg, lambda m: m["files"]["events.parquet"].update(rows=31))
    return pkg


def wrong_fingerprint(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, key_fingerprint="ab" * 16)


def unknown_spec(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, spec_version="9.9")


def malformed_encoding(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, mutate=_set("persons", 5, "tok_dob", "abc123"))


def plaintext_name(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, mutate=_set("persons", 3, "tok_fullname", "Zyxwick Quorrel"))


def pii_column(home: HubHome, salt: str) -> Path:
    schema = PERSON_SCHEMA.append(pa.field("first_name", pa.string())).append(
        pa.field("dob", pa.date32())
    )

    def smuggle(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        for row in persons:
            row["first_name"] = "Zyxwick"
            row["dob"] = date(1961, 3, 14)

    return drop(home, BAD, salt=salt, mutate=smuggle, persons_schema=schema)


def future_dates(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, mutate=_set("events", 2, "event_date", date(2031, 1, 1)))


def giant_values(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, mutate=_set("events", 7, "program", "Q" * 100_000))


def duplicate_submission(home: HubHome, salt: str) -> Path:
    # Delivered and ingested once (by the previous ingest in this helper), then again.
    pkg = drop(home, BAD, salt=salt)
    with connection(home.hub_db) as c:
        results = ingest_landing(home, c, now=NOW)
    assert [r.outcome for r in results] == ["ingested"], [r.message for r in results]
    archived = home.archive / BAD / pkg.name
    shutil.copytree(archived, pkg)
    return pkg


def unknown_partner(home: HubHome, salt: str) -> Path:
    return drop(home, "acme_clinic", salt=salt, key_fingerprint="cd" * 16)


def path_traversal(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)

    def escape(manifest: dict[str, Any]) -> None:
        manifest["files"]["../../secret_place/x.txt"] = {"sha256": "0" * 64}

    rewrite_manifest(pkg, escape)
    return pkg


def formula_injection(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, mutate=_set("events", 4, "program", "=cmd|' /C calc'!A0"))


def non_utf8(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    events = pq.read_table(pkg / "events.parquet")
    raw = [b"Harbor \xff\xfe Pantry" if i == 6 else b"ok" for i in range(events.num_rows)]
    broken = pa.array(raw, pa.binary()).view(pa.string())
    events = events.set_column(events.schema.get_field_index("program"), "program", broken)
    pq.write_table(events, pkg / "events.parquet")
    rewrite_manifest(pkg)
    return pkg


def still_being_written(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    (pkg / "manifest.json").rename(pkg / "manifest.json.tmp")
    return pkg


def unsigned(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, signing_key=None)


def signed_by_another_partner(home: HubHome, salt: str) -> Path:
    # Issue 17 #2: a genuine package of one partner relabelled as another's. Every partner
    # shares the linkage secret, so only the partner's own signature tells them apart.
    pkg = drop(home, GOOD, salt=salt)
    relabelled = home.landing / BAD / pkg.name.replace(GOOD, BAD, 1)
    relabelled.parent.mkdir(parents=True, exist_ok=True)
    pkg.rename(relabelled)

    def relabel(manifest: dict[str, Any]) -> None:
        manifest["partner_id"] = BAD
        manifest["submission_id"] = relabelled.name

    rewrite_manifest(relabelled, relabel, signer=GOOD)
    return relabelled


def edited_after_signing(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["supersedes"] = None
    manifest["created_at"] = "2026-11-19T12:00:00Z"  # the signature still covers the old time
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    return pkg


def garbage_signature(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["signature"] = {"alg": "Ed25519", "kid": "x", "value": "not base64!"}
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    return pkg


def _extra_column(file: str, name: str, value: Any) -> Builder:
    """A package with one more column than spec 1.0, holding ``value`` in every row."""

    def build(home: HubHome, salt: str) -> Path:
        base = PERSON_SCHEMA if file == "persons" else EVENT_SCHEMA
        schema = base.append(pa.field(name, pa.string()))

        def add(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
            for row in persons if file == "persons" else events:
                row[name] = value

        kind = "persons_schema" if file == "persons" else "events_schema"
        return drop(home, BAD, salt=salt, mutate=add, **{kind: schema})

    return build


def note_in_program(home: HubHome, salt: str) -> Path:
    # Issue 17 #1, past the partner client: a clinician note with a full name in every event.
    def note(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        for i, row in enumerate(events):
            row["program"] = f"seen with Zyxwick Quorrel {i}"

    return drop(home, BAD, salt=salt, mutate=note)


def _extra_file(name: str, data: bytes) -> Builder:
    def build(home: HubHome, salt: str) -> Path:
        return drop(home, BAD, salt=salt, extra_files={name: data})

    return build


@dataclass(frozen=True)
class Case:
    """One bad input: how to build it and what the hub must say."""

    name: str
    build: Builder
    check: str
    text: str
    outcome: str = "quarantined"
    now: datetime = NOW
    partner: str = BAD
    secret: str | None = None  # a value that must never appear in reasons or logs
    purged: bool = False
    # A raw identifier that must not be anywhere in the quarantine folder (any byte of any file).
    identifier: str | None = None


CASES = [
    Case("empty_file", empty_file, "manifest_integrity", "empty (0 bytes)"),
    Case("truncated_parquet", truncated_parquet, "manifest_integrity", "not a readable Parquet"),
    Case(
        "wrong_column_names", wrong_column_names, "schema_and_types", "required column is missing"
    ),
    Case("wrong_column_types", wrong_column_types, "schema_and_types", "has type VARCHAR"),
    Case(
        "missing_manifest",
        missing_manifest,
        "package_complete",
        "manifest.json is missing",
        now=LATER,
    ),
    # Changed after packaging: pending during the grace period, then quarantined.
    Case(
        "checksum_mismatch",
        checksum_mismatch,
        "manifest_integrity",
        "sha256 does not match",
        now=LATER,
    ),
    Case("row_count_mismatch", row_count_mismatch, "manifest_integrity", "manifest says 31"),
    Case("wrong_key_fingerprint", wrong_fingerprint, "partner_and_key", "wrong or stale"),
    Case("unknown_spec_version", unknown_spec, "spec_version", "not one the hub knows"),
    Case(
        "malformed_encoding",
        malformed_encoding,
        "encoding_format",
        "not 32 lower-hex",
        secret="abc123",
    ),
    Case(
        "plaintext_name",
        plaintext_name,
        "plaintext_identifiers",
        "look like a name",
        secret="Zyxwick",
        purged=True,
        identifier="Zyxwick",
    ),
    Case(
        "pii_column",
        pii_column,
        "schema_and_types",
        "identifier column was smuggled",
        secret="Zyxwick",
        purged=True,
        identifier="Zyxwick",
    ),
    Case("future_dates", future_dates, "payload_domains", "in the future", secret="2031"),
    Case("giant_values", giant_values, "payload_domains", "longer than 80", secret="QQQQ"),
    Case(
        "duplicate_submission",
        duplicate_submission,
        "idempotency",
        "already ingested",
        outcome="duplicate",
        now=LATER,
    ),
    Case(
        "unknown_partner",
        unknown_partner,
        "partner_and_key",
        "not registered",
        partner="acme_clinic",
    ),
    Case(
        "path_traversal",
        path_traversal,
        "package_complete",
        "path traversal",
        secret="secret_place",
    ),
    Case(
        "formula_injection",
        formula_injection,
        "payload_domains",
        "spreadsheet formula",
        secret="=cmd",
    ),
    Case("non_utf8", non_utf8, "schema_and_types", "not valid UTF-8"),
    Case("still_being_written", still_being_written, "", "", outcome="pending"),
    Case("unsigned_manifest", unsigned, "partner_and_key", "manifest is not signed"),
    Case(
        "note_with_names_in_program",
        note_in_program,
        "plaintext_identifiers",
        "free text (a note, a name)",
        secret="Zyxwick",
        purged=True,
        identifier="Zyxwick",
    ),
    # Issue 17 #5: identifiers as an extra column, in a column name, or as an extra file.
    Case(
        "note_column_with_names",
        _extra_column("events", "note", "Zyxwick Quorrel said so"),
        "schema_and_types",
        "unexpected column",
        secret="Zyxwick",
        purged=True,
        identifier="Zyxwick",
    ),
    Case(
        "name_as_column_name",
        _extra_column("persons", "Zyxwick_Quorrel", "x"),
        "schema_and_types",
        "unexpected column (not in spec 1.0)",
        secret="Zyxwick",
        purged=True,
        identifier="Zyxwick",
    ),
    Case(
        "raw_export_as_extra_file",
        _extra_file("patients.csv", b"first,last,ssn\nZyxwick,Quorrel,123-45-6789\n"),
        "package_complete",
        "not part of spec 1.0",
        secret="123-45-6789",
        purged=True,
        identifier="123-45-6789",
    ),
    Case(
        "name_as_file_name",
        _extra_file("Zyxwick_Quorrel.txt", b"hello"),
        "package_complete",
        "not part of spec 1.0",
        secret="Zyxwick",
        purged=True,
        identifier="Zyxwick",
    ),
    Case(
        "signed_by_another_partner",
        signed_by_another_partner,
        "partner_and_key",
        "made by another partner",
    ),
    Case("edited_after_signing", edited_after_signing, "partner_and_key", "does not verify"),
    Case("garbage_signature", garbage_signature, "partner_and_key", "does not verify"),
]


def _steward_log(home: HubHome) -> str:
    path = home.logs / "carehub.log"
    return path.read_text() if path.exists() else ""


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(home: HubHome, case: Case) -> None:
    bad_pkg = case.build(home, case.name)
    sid = bad_pkg.name
    with connection(home.hub_db) as c:
        before = staging_counts(c, case.partner) if _has_staging(c) else (0, 0, 0)
        good_before = staging_counts(c, GOOD) if _has_staging(c) else (0, 0, 0)
        good_pkg = drop(home, GOOD, salt=f"good-{case.name}")
        results = {r.submission_id: r for r in ingest_landing(home, c, now=case.now)}
        bad = results[sid]
        good = results[good_pkg.name]

        # 4. Another partner's good package, dropped at the same time, is ingested.
        assert good.outcome == "ingested", good.message
        assert staging_counts(c, GOOD) == (
            good_before[0] + 1,
            good_before[1] + 30,
            good_before[2] + 30,
        )

        # 3. Staging is unchanged for the bad partner.
        assert staging_counts(c, case.partner) == before

        # 1. The error text.
        assert bad.outcome == case.outcome, bad.message
        if case.outcome == "pending":
            assert "being written" in bad.message
            assert bad_pkg.is_dir() and not (home.quarantine / BAD / sid).exists()
            # Once the writer finishes, the very same package goes through.
            (bad_pkg / "manifest.json.tmp").rename(bad_pkg / "manifest.json")
            done = {r.submission_id: r for r in ingest_landing(home, c, now=NOW)}
            assert done[sid].outcome == "ingested", done[sid].message
            return
        hits = [f for f in bad.findings if f.check == case.check and case.text in f.message]
        assert hits, [f"{f.check}: {f.message}" for f in bad.findings]

        # 2. The quarantine record.
        folder = bad.location
        assert folder is not None and folder.parent == home.quarantine / case.partner
        assert not bad_pkg.exists()
        reason = json.loads((folder / "reason.json").read_text())
        text = (folder / "reason.txt").read_text()
        assert reason["submission_id"] == sid and reason["outcome"] == case.outcome
        if case.outcome == "quarantined":
            assert case.check in reason["failed_checks"]
            assert any(f["check"] == case.check and f["fix"] for f in reason["findings"])
        assert case.text in text and "Fix:" in text
        assert not any(
            line.startswith(("=", "+", "-", "@", "\t", "\r")) for line in text.splitlines()
        )
        row = c.execute(
            "SELECT outcome, summary, checks::VARCHAR FROM staging.deliveries "
            "WHERE submission_id = $s ORDER BY decided_at DESC LIMIT 1",
            {"s": sid},
        ).fetchone()
        assert row is not None and row[0] == case.outcome
        if case.purged:
            assert not (folder / "persons.parquet").exists()
            assert reason["purged_files"] and reason["purge_reasons"]
            assert "deleted these files on arrival" in text
        else:
            assert (folder / "manifest.json").exists() or case.name == "missing_manifest"

        # Quarantine never stores identifiers: not one byte of any file left there.
        if case.identifier:
            for path in folder.rglob("*"):
                if path.is_file():
                    assert case.identifier.encode() not in path.read_bytes(), path.name

        # Never the value: not in the reasons, the deliveries record or the steward log.
        if case.secret:
            for where in (text, json.dumps(reason), row[1], row[2], _steward_log(home)):
                assert case.secret.lower() not in where.lower(), case.name


def _has_staging(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'staging'"
    ).fetchone()
    return bool(row and row[0])
