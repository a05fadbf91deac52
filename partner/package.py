"""Write a submission package: Parquet files, the encoding report, then ``manifest.json`` last.

The format is documented in ``docs/submission-format.md`` and ``docs/architecture.md``. The
landing sensor only looks at a folder whose ``manifest.json`` exists, so the manifest is written
to ``manifest.json.tmp`` and renamed into place after every other file is complete.

``write_package`` is also the tool the hub's tests use to build packages, including deliberately
broken ones: ``validate=False`` skips every check and writes the tables exactly as given.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contract.ids import HEX64, new_submission_id, partner_id_problem
from contract.manifest import (
    EVENTS_FILE,
    KINDS,
    MANIFEST_FILE,
    MAX_EVENTS_PACKAGE_ROWS,
    PERSONS_FILE,
    REPORT_FILE,
    file_sha256,
    sign_manifest,
)
from contract.spec import (
    DEFAULT_ECOSYSTEM_PERSONS,
    EVENT_SCHEMA,
    PERSON_SCHEMA,
    SPEC_VERSION,
    duckdb_type,
    token_widths,
)
from encoding.plaintext import scan_tables
from kernel import clock

_HEX64 = re.compile(HEX64)


class PackageError(ValueError):
    """The tables cannot form a valid package; the message names the file, column and fix."""


def _to_arrow(table: Any, name: str) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    to_arrow = getattr(table, "to_arrow", None)  # polars.DataFrame
    if callable(to_arrow):
        out = to_arrow()
        if isinstance(out, pa.Table):
            return out
    if hasattr(table, "columns") and hasattr(table, "dtypes"):  # pandas.DataFrame
        return pa.Table.from_pandas(table, preserve_index=False)
    raise PackageError(f"{name}: expected a pyarrow Table or polars/pandas DataFrame")


def conform(table: Any, schema: pa.Schema, file: str) -> pa.Table:
    """Select and cast ``table`` to ``schema`` (the contract's), naming what is missing or wrong."""
    tbl = _to_arrow(table, file)
    missing = [c for c in schema.names if c not in tbl.column_names]
    extra = [c for c in tbl.column_names if c not in schema.names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(extra)}")
        raise PackageError(
            f"{file}: {'; '.join(parts)}. Spec {SPEC_VERSION} needs exactly the columns of "
            "docs/submission-format.md, in any order."
        )
    columns = []
    for field in schema:
        col = tbl.column(field.name)
        try:
            columns.append(col.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise PackageError(
                f"{file}: column {field.name} has type {duckdb_type(col.type)}, "
                f"expected {duckdb_type(field.type)}; convert it before packaging"
            ) from exc
    return pa.Table.from_arrays(columns, schema=schema)


def _check_kind(kind: str, events: int) -> None:
    if kind not in KINDS:
        raise PackageError(f"package kind must be one of {', '.join(KINDS)}")
    if kind == "events" and not 1 <= events <= MAX_EVENTS_PACKAGE_ROWS:
        raise PackageError(
            f"{EVENTS_FILE}: an events package holds 1 to {MAX_EVENTS_PACKAGE_ROWS} events "
            f"(this one has {events}); send more as a full export, or split them"
        )


def _check_persons(persons: pa.Table) -> None:
    pseud = persons.column("record_pseudonym").to_pylist()
    for row, value in enumerate(pseud, start=1):
        if value is None or not _HEX64.fullmatch(value):
            raise PackageError(
                f"{PERSONS_FILE}: row {row}, column record_pseudonym is not 64 lower-hex "
                "characters; it must be the keyed pseudonym, never a raw record id"
            )
    if len(set(pseud)) != len(pseud):
        raise PackageError(
            f"{PERSONS_FILE}: column record_pseudonym has duplicates; one row per partner record"
        )


def _check_events(events: pa.Table, persons: pa.Table) -> None:
    known = set(persons.column("record_pseudonym").to_pylist())
    for row, value in enumerate(events.column("record_pseudonym").to_pylist(), start=1):
        if value not in known:
            raise PackageError(
                f"{EVENTS_FILE}: row {row}, column record_pseudonym has no row in "
                f"{PERSONS_FILE}; every event must belong to a packaged record"
            )


def _check_no_identifiers(persons: pa.Table, events: pa.Table) -> None:
    """The hub's plaintext-identifier detector, run on every outgoing column before writing.

    One detector (``encoding.plaintext``), both sides: what the hub would refuse on arrival
    never leaves the partner.
    """
    findings = scan_tables(persons, events)
    if findings:
        lines = [
            f"{f.file}: column {f.column}, row(s) {', '.join(map(str, f.rows))}"
            f"{' ...' if (f.count or 0) > len(f.rows) else ''}: {f.message}"
            for f in findings
        ]
        raise PackageError(
            "refusing to write a package that holds what looks like raw identifiers:\n  "
            + "\n  ".join(lines)
            + "\nFix the mapping so that only codes and program or unit names go into these "
            "columns (row numbers count the outgoing rows from 1, in export order)"
        )


def _write_parquet(table: pa.Table, path: Path) -> dict[str, Any]:
    pq.write_table(table, path, compression="zstd")
    return {
        "sha256": file_sha256(path),
        "rows": table.num_rows,
        "schema": {f.name: duckdb_type(f.type) for f in table.schema},
    }


def write_package(
    out_dir: str | Path,
    *,
    partner_id: str,
    persons: Any,
    events: Any,
    key_fingerprint: str,
    report: Mapping[str, Any] | None = None,
    supersedes: str | None = None,
    created_at: datetime | None = None,
    submission_id: str | None = None,
    spec_version: str = SPEC_VERSION,
    validate: bool = True,
    extra_files: Mapping[str, bytes] | None = None,
    signing_key: Ed25519PrivateKey | None = None,
    kind: str = "full",
    token_bits: Mapping[str, int] | None = None,
) -> Path:
    """Write one submission package into ``out_dir/<submission_id>/`` and return that folder.

    Args:
        out_dir: Parent folder, e.g. the hub's ``landing/<partner_id>/``; created if missing.
        partner_id: Registered partner id (lower-case, digits, underscores).
        persons: persons table (pyarrow Table, polars or pandas DataFrame), the contract's columns.
        events: events table, the contract's columns (may have zero rows).
        key_fingerprint: Fingerprint of the shared secret (``encoding.key_fingerprint``).
        report: Encoding report (counts only); ``{}`` when omitted.
        supersedes: ``submission_id`` this package replaces as a whole, if any.
        created_at: Creation time (UTC now when omitted).
        submission_id: Fixed id (tests); generated from partner and time when omitted.
        spec_version: Written into the manifest as given (tests may write unknown versions).
        validate: Conform the tables to the contract and check pseudonyms and event references.
            ``False`` writes the tables exactly as given, for building broken packages.
        extra_files: Further files to place in the package (tests only; not in the manifest).
        signing_key: The partner's Ed25519 package-signing key; the manifest is signed with it
            (the hub refuses unsigned packages). ``None`` writes an unsigned manifest (tests).
        kind: ``full`` (an export) or ``events`` (new events for real-time alerts: at least
            one and at most :data:`MAX_EVENTS_PACKAGE_ROWS` events; ``"kind": "events"`` is
            written into the manifest).
        token_bits: The widths of the truncated tokens (``encoding.encoder.token_bits``), which
            the manifest records for the hub's check that every partner used the same
            ecosystem size; default the spec's widths for ``DEFAULT_ECOSYSTEM_PERSONS`` (tests).

    Returns:
        The package folder. ``manifest.json`` is its last file, written by atomic rename.

    Raises:
        PackageError: With ``validate=True``, when a table breaks the spec. Nothing is written.
        FileExistsError: When the package folder already exists.
    """
    problem = partner_id_problem(partner_id) if validate else None
    if problem:
        raise PackageError(problem)
    created = (created_at or clock.now()).astimezone(UTC).replace(microsecond=0)
    sub_id = submission_id or new_submission_id(partner_id, created)
    if validate:
        persons_tbl = conform(persons, PERSON_SCHEMA, PERSONS_FILE)
        events_tbl = conform(events, EVENT_SCHEMA, EVENTS_FILE)
        _check_kind(kind, events_tbl.num_rows)
        _check_persons(persons_tbl)
        _check_events(events_tbl, persons_tbl)
        _check_no_identifiers(persons_tbl, events_tbl)
    else:
        persons_tbl = _to_arrow(persons, PERSONS_FILE)
        events_tbl = _to_arrow(events, EVENTS_FILE)

    package = Path(out_dir) / sub_id
    package.mkdir(parents=True, exist_ok=False)
    files: dict[str, dict[str, Any]] = {
        PERSONS_FILE: _write_parquet(persons_tbl, package / PERSONS_FILE),
        EVENTS_FILE: _write_parquet(events_tbl, package / EVENTS_FILE),
    }
    report_path = package / REPORT_FILE
    report_path.write_text(json.dumps(dict(report or {}), indent=2, sort_keys=True) + "\n")
    files[REPORT_FILE] = {"sha256": file_sha256(report_path)}
    for name, data in (extra_files or {}).items():
        (package / name).write_bytes(data)

    manifest = {
        "spec_version": spec_version,
        "submission_id": sub_id,
        "partner_id": partner_id,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "key_fingerprint": key_fingerprint,
        "supersedes": supersedes,
        "token_bits": dict(
            token_bits if token_bits is not None else token_widths(DEFAULT_ECOSYSTEM_PERSONS)
        ),
        "files": files,
    }
    if kind != "full":
        manifest["kind"] = kind
    if signing_key is not None:
        manifest = sign_manifest(manifest, signing_key)
    tmp = package / (MANIFEST_FILE + ".tmp")
    with tmp.open("w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, package / MANIFEST_FILE)
    return package


def read_manifest(package: str | Path) -> dict[str, Any]:
    """Load a package's ``manifest.json``."""
    data: dict[str, Any] = json.loads((Path(package) / MANIFEST_FILE).read_text())
    return data


def empty_events() -> pa.Table:
    """A zero-row events table of the contract's schema."""
    return EVENT_SCHEMA.empty_table()
