"""The bad-input matrix: every class of bad package stopped at the door, with a reason.

Issue 4's 20 classes and issue 17's (unsigned, relabelled or edited packages; identifiers as an
extra column, in a column or file name, in free text; NUL characters, impossible dates and
birth years; manifest, folder, idempotency and row faults): one parametrised table.

For each case the test asserts: the error text; the quarantine record (folder, reason.json,
reason.txt, staging.deliveries row), and, where the package carried a raw identifier, that no
byte of it is left in the quarantine folder; that the staging tables are unchanged for the bad
partner; and that another partner's good package dropped at the same time is ingested whole
(0 rows lost). Reasons, the steward log and the deliveries table never repeat the bad value.

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

from contract.spec import EVENT_SCHEMA, PERSON_SCHEMA, SPEC_VERSION
from kernel import clock
from kernel.db import connection
from kernel.home import HubHome
from pipelines.defs.ingest.notices import announce
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
        PERSON_SCHEMA.get_field_index("tok_first_dob"), pa.field("dob_token", pa.string())
    )

    def rename(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        for row in persons:
            row["dob_token"] = row.pop("tok_first_dob")

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


def retired_spec(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, spec_version="1.0")


def retired_spec_2_0(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, spec_version="2.0")


def retired_spec_2_1(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, spec_version="2.1")


def token_bits_missing(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    rewrite_manifest(pkg, lambda m: m.pop("token_bits"))
    return pkg


def token_bits_too_wide(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, token_bits={"tok_phone": 40})


def token_bits_other_column(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, token_bits={"tok_phone": 13, "tok_ssn": 13})


def token_widths_differ(home: HubHome, salt: str) -> Path:
    # Another partner's package sets the widths (the spec's default ecosystem: 19 bits), then
    # this one was encoded with another ecosystem size (8,192 persons: 13 bits).
    drop(home, GOOD, salt=salt + "-first")
    with connection(home.hub_db) as c:
        assert [r.outcome for r in ingest_landing(home, c, now=NOW)] == ["ingested"]
    return drop(home, BAD, salt=salt, token_bits={"tok_phone": 13})


def full_width_phone(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, mutate=_set("persons", 2, "tok_phone", "ab" * 16))


def malformed_encoding(home: HubHome, salt: str) -> Path:
    return drop(home, BAD, salt=salt, mutate=_set("persons", 5, "tok_first_dob", "abc123"))


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


def _manifest_bytes(data: bytes) -> Builder:
    def build(home: HubHome, salt: str) -> Path:
        pkg = drop(home, BAD, salt=salt)
        (pkg / "manifest.json").write_bytes(data)
        return pkg

    return build


def _manifest_edit(edit: Callable[[dict[str, Any]], None]) -> Builder:
    """A package whose manifest is edited, then signed again by its partner (a buggy tool)."""

    def build(home: HubHome, salt: str) -> Path:
        pkg = drop(home, BAD, salt=salt)
        rewrite_manifest(pkg, edit)
        return pkg

    return build


def _package_edit(change: Callable[[Path], None]) -> Builder:
    """A package whose files are changed before its manifest is written (and signed)."""

    def build(home: HubHome, salt: str) -> Path:
        pkg = drop(home, BAD, salt=salt)
        change(pkg)
        rewrite_manifest(pkg)
        return pkg

    return build


def _rows(mutate: Callable[[list, list], None]) -> Builder:
    def build(home: HubHome, salt: str) -> Path:
        return drop(home, BAD, salt=salt, mutate=mutate)

    return build


def _each(file: str, column: str, value: Any) -> Callable[[list, list], None]:
    def mutate(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        for row in persons if file == "persons" else events:
            row[column] = value

    return mutate


def _sub_folder(pkg: Path) -> None:
    (pkg / "raw").mkdir()
    (pkg / "raw" / "export.csv").write_text("Zyxwick,Quorrel\n")


def _symlink(pkg: Path) -> None:
    (pkg / "notes.txt").symlink_to("/etc/hostname")


def _no_persons(pkg: Path) -> None:
    table = pq.read_table(pkg / "persons.parquet")
    pq.write_table(table.slice(0, 0), pkg / "persons.parquet")
    events = pq.read_table(pkg / "events.parquet")
    pq.write_table(events.slice(0, 0), pkg / "events.parquet")


def _orphan_event(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    events[4]["record_pseudonym"] = "f" * 64


def _duplicate_person(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    persons[6]["record_pseudonym"] = persons[5]["record_pseudonym"]


def _duplicate_event(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    events[9]["event_id"] = events[8]["event_id"]


def _end_before_start(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    events[3]["end_date"] = events[3]["event_date"] - timedelta(days=3)


def reused_submission_id(home: HubHome, salt: str) -> Path:
    pkg = drop(home, BAD, salt=salt)
    with connection(home.hub_db) as c:
        assert [r.outcome for r in ingest_landing(home, c, now=NOW)] == ["ingested"]
    again = drop(home, BAD, salt=salt + "-other", submission_id=pkg.name)
    return again


def supersedes_another_partner(home: HubHome, salt: str) -> Path:
    other = drop(home, GOOD, salt=salt)
    with connection(home.hub_db) as c:
        assert [r.outcome for r in ingest_landing(home, c, now=NOW)] == ["ingested"]
    return drop(home, BAD, salt=salt, supersedes=other.name)


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
    # The (sanitised) manifest stays; one that does not parse is deleted (its bytes are unknown).
    manifest_kept: bool = True


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
        manifest_kept=False,
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
        "retired_spec_version",
        retired_spec,
        "spec_version",
        f"is retired: the hub links encoding spec {SPEC_VERSION}",
    ),
    Case(
        "retired_spec_version_2_0",
        retired_spec_2_0,
        "spec_version",
        "spec 2.0's DOB and address tokens gave",
    ),
    Case(
        "retired_spec_version_2_1",
        retired_spec_2_1,
        "spec_version",
        "spec 2.1's full-width phone token gave",
    ),
    # Spec 2.2: the manifest records the widths of the truncated tokens, and they are the
    # widths of every submission the package is linked with.
    Case("token_bits_missing", token_bits_missing, "spec_version", "token_bits is missing"),
    Case("token_bits_too_wide", token_bits_too_wide, "spec_version", "from 1 to 32"),
    Case(
        "token_bits_other_column",
        token_bits_other_column,
        "spec_version",
        "token_bits must list exactly tok_phone",
    ),
    Case(
        "token_widths_differ",
        token_widths_differ,
        "spec_version",
        f"its tokens were encoded at tok_phone 13 bits, but {GOOD}'s current submission",
    ),
    Case("full_width_phone", full_width_phone, "encoding_format", "not 8 lower-hex"),
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
    # The manifest itself.
    Case(
        "manifest_not_json",
        _manifest_bytes(b"{not json"),
        "manifest_integrity",
        "not valid JSON",
        manifest_kept=False,
    ),
    Case(
        "manifest_not_utf8",
        _manifest_bytes(b'{"a": "\xff\xfe"}'),
        "manifest_integrity",
        "not valid UTF-8",
        manifest_kept=False,
    ),
    Case(
        "manifest_empty",
        _manifest_bytes(b"  \n"),
        "manifest_integrity",
        "manifest.json is empty",
        manifest_kept=False,
    ),
    Case(
        "manifest_is_a_list",
        _manifest_bytes(b"[1, 2]"),
        "manifest_integrity",
        "not a JSON object",
        manifest_kept=False,
    ),
    Case(
        "submission_id_differs_from_folder",
        _manifest_edit(
            lambda m: m.update(submission_id="harbor_housing-20260101T000000Z-0000abcd")
        ),
        "manifest_integrity",
        "does not equal the package folder",
    ),
    Case(
        "created_at_not_a_time",
        _manifest_edit(lambda m: m.update(created_at="last Tuesday")),
        "manifest_integrity",
        "created_at is missing or not an ISO 8601",
        secret="Tuesday",
    ),
    Case(
        "key_fingerprint_missing",
        _manifest_edit(lambda m: m.pop("key_fingerprint")),
        "manifest_integrity",
        "key_fingerprint is missing",
    ),
    Case(
        "supersedes_not_an_id",
        _manifest_edit(lambda m: m.update(supersedes="Zyxwick Quorrel")),
        "manifest_integrity",
        "supersedes is neither null nor a submission id",
        secret="Zyxwick",
        identifier="Zyxwick",
    ),
    Case(
        "files_not_an_object",
        _manifest_edit(lambda m: m.update(files=["persons.parquet"])),
        "manifest_integrity",
        "files is missing or not an object",
    ),
    Case(
        "file_not_listed",
        _manifest_edit(lambda m: m["files"].pop("events.parquet")),
        "manifest_integrity",
        "events.parquet is not listed in the manifest",
    ),
    Case(
        "sha256_not_hex",
        _manifest_edit(lambda m: m["files"]["events.parquet"].update(sha256="Zyxwick")),
        "manifest_integrity",
        "has no valid sha256",
        secret="Zyxwick",
        identifier="Zyxwick",
    ),
    Case(
        "row_count_not_an_integer",
        _manifest_edit(lambda m: m["files"]["persons.parquet"].update(rows="thirty")),
        "manifest_integrity",
        "has no integer row count",
    ),
    Case(
        "declared_schema_differs",
        _manifest_edit(lambda m: m["files"]["events.parquet"]["schema"].pop("program")),
        "manifest_integrity",
        "schema does not list the file's columns",
    ),
    Case(
        "listed_file_missing",
        _package_edit(lambda pkg: (pkg / "events.parquet").unlink()),
        "package_complete",
        "the manifest lists this file but it is not in the package",
        now=LATER,
    ),
    # The package folder.
    Case(
        "sub_folder_with_a_raw_export",
        _package_edit(_sub_folder),
        "package_complete",
        "holds a sub-folder",
        secret="Zyxwick",
        purged=True,
        identifier="Zyxwick",
    ),
    Case(
        "symbolic_link",
        _package_edit(_symlink),
        "package_complete",
        "symbolic link",
        purged=True,
    ),
    Case(
        "report_not_json",
        _package_edit(lambda pkg: (pkg / "encoding_report.json").write_text("counts: many")),
        "manifest_integrity",
        "encoding_report.json is not a UTF-8 JSON object",
    ),
    Case(
        "no_persons",
        _package_edit(_no_persons),
        "manifest_integrity",
        "has no rows; a submission needs at least one person",
    ),
    # Idempotency and replacement.
    Case(
        "reused_submission_id",
        reused_submission_id,
        "idempotency",
        "already ingested from a different package",
        now=LATER,
    ),
    Case(
        "supersedes_unknown",
        lambda home, salt: drop(
            home, BAD, salt=salt, supersedes="harbor_housing-20200101T000000Z-0badc0de"
        ),
        "idempotency",
        "supersedes names a submission the hub never ingested",
    ),
    Case(
        "supersedes_another_partners",
        supersedes_another_partner,
        "idempotency",
        "supersedes names another partner's submission",
        now=LATER,
    ),
    # Rows.
    Case("orphan_event", _rows(_orphan_event), "referential_integrity", "no row in"),
    Case(
        "duplicate_person",
        _rows(_duplicate_person),
        "duplicate_records",
        "repeats a pseudonym of another row",
    ),
    Case(
        "duplicate_event",
        _rows(_duplicate_event),
        "duplicate_records",
        "repeats the event id of another row",
    ),
    Case(
        "pseudonym_not_hex",
        _rows(_set("persons", 2, "record_pseudonym", "MRN-000123")),
        "encoding_format",
        "not 64 lower-hex",
        secret="MRN-000123",
    ),
    Case(
        "unknown_event_type",
        _rows(_set("events", 5, "event_type", "séance")),
        "payload_domains",
        "not a known event type",
        secret="séance",
    ),
    Case("sex_not_a_code", _rows(_set("persons", 1, "sex", "X")), "payload_domains", "F, M, U"),
    Case(
        "zip3_not_3_digits",
        _rows(_set("persons", 1, "zip3", "0210")),
        "payload_domains",
        "3 digits",
    ),
    # Issue 17 #8: impossible birth years, dates before 1900.
    Case(
        "birth_year_1850",
        _rows(_set("persons", 1, "birth_year", 1850)),
        "payload_domains",
        "not a plausible birth year",
    ),
    Case(
        "event_before_1900",
        _rows(_set("events", 1, "event_date", date(1899, 12, 31))),
        "payload_domains",
        "before 1900",
    ),
    Case(
        "end_before_start",
        _rows(_end_before_start),
        "payload_domains",
        "before the event's start date",
    ),
    Case(
        "screening_result_free_text",
        _rows(_set("events", 1, "result", "probably")),
        "payload_domains",
        "not positive or negative",
        secret="probably",
    ),
    Case(
        "missing_consent_flag",
        _rows(_set("persons", 3, "consented", None)),
        "payload_domains",
        "is empty",
    ),
    # Issue 17 #9: NUL and control characters.
    Case(
        "nul_in_program",
        _rows(_each("events", "program", "Harbor\x00East")),
        "payload_domains",
        "control character",
    ),
    # Identifiers where encodings belong.
    Case(
        "ssn_in_token",
        _rows(_set("persons", 4, "tok_ssn", "123-45-6789")),
        "plaintext_identifiers",
        "look like a Social Security number",
        secret="123-45-6789",
        purged=True,
        identifier="123-45-6789",
    ),
    Case(
        "phone_in_token",
        _rows(_set("persons", 4, "tok_phone", "(617) 555-0142")),
        "plaintext_identifiers",
        "look like a phone number",
        secret="555-0142",
        purged=True,
        identifier="555-0142",
    ),
    Case(
        "dob_in_token",
        _rows(_set("persons", 4, "tok_first_dob", "1961-03-14")),
        "plaintext_identifiers",
        "look like a date",
        secret="1961-03-14",
        purged=True,
        identifier="1961-03-14",
    ),
    Case(
        "email_in_program",
        _rows(_each("events", "program", "write to zyxwick@example.org")),
        "plaintext_identifiers",
        "look like an e-mail address",
        secret="zyxwick@",
        purged=True,
        identifier="zyxwick@",
    ),
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
        for result in results.values():
            announce(home, result)  # the steward log and notices, as the ingest asset writes them
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
            assert (folder / "manifest.json").exists() == case.manifest_kept

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
