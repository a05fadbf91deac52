"""The staging schema of ``hub.duckdb`` and the transactional load of one submission.

A submission is loaded in ONE DuckDB transaction: its persons and events rows, its
``staging.submissions`` row (keyed by ``submission_id`` and, for idempotency, by the sha256 of its
``manifest.json``), its drift profile, the ``superseded`` mark on the submission it replaces and
its ``staging.deliveries`` record. Either all of it is committed or none of it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

import duckdb

from kernel.faults import pause_point

_SQL: Final = Path(__file__).parent
PERSONS_TABLE: Final = "ingest_persons"
EVENTS_TABLE: Final = "ingest_events"

__all__ = [
    "EVENTS_TABLE",
    "PERSONS_TABLE",
    "SubmissionRecord",
    "SupersedeError",
    "ensure_schema",
    "find_by_manifest",
    "find_submission",
    "load_submission",
    "record_delivery",
    "sql",
    "table_counts",
]


@cache
def sql(name: str) -> str:
    """The text of ``warehouse/staging/<name>.sql``."""
    return (_SQL / f"{name}.sql").read_text()


class SupersedeError(RuntimeError):
    """The submission to replace is no longer ``ingested`` (raced by another load)."""


@dataclass(frozen=True)
class SubmissionRecord:
    """The ``staging.submissions`` row of a validated submission."""

    submission_id: str
    partner_id: str
    received_at: datetime
    created_at: datetime | None
    supersedes: str | None
    persons_rows: int
    events_rows: int
    key_fingerprint: str
    spec_version: str
    manifest_sha256: str
    manifest: dict[str, Any]
    warnings: int = 0


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging schema, tables and views if missing (idempotent)."""
    con.execute(sql("schema"))


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in ``staging.submissions``, ``staging.persons`` and ``staging.events``."""
    row = con.execute(sql("table_counts")).fetchone()
    assert row is not None
    return {"submissions": row[0], "persons": row[1], "events": row[2]}


def find_by_manifest(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[str, str] | None:
    """``(submission_id, state)`` of the submission loaded from this manifest, if any."""
    row = con.execute(sql("find_manifest"), {"sha256": sha256}).fetchone()
    return (row[0], row[1]) if row else None


def find_submission(con: duckdb.DuckDBPyConnection, submission_id: str) -> dict[str, Any] | None:
    """The staging row of ``submission_id`` (id, partner, state, manifest hash), if any."""
    cur = con.execute(sql("find_submission"), {"submission_id": submission_id})
    row = cur.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cur.description]
    return dict(zip(names, row, strict=True))


def record_delivery(
    con: duckdb.DuckDBPyConnection,
    *,
    submission_id: str,
    partner_id: str,
    outcome: str,
    decided_at: datetime,
    manifest_sha256: str | None,
    location: str | None,
    summary: str,
    checks: list[dict[str, Any]],
) -> None:
    """Append one ``staging.deliveries`` row (names, counts and row numbers only)."""
    con.execute(
        sql("insert_delivery"),
        {
            "submission_id": submission_id,
            "partner_id": partner_id,
            "outcome": outcome,
            "decided_at": decided_at,
            "manifest_sha256": manifest_sha256,
            "location": location,
            "summary": summary,
            "checks": json.dumps(checks, sort_keys=True),
        },
    )


def load_submission(
    con: duckdb.DuckDBPyConnection,
    record: SubmissionRecord,
    *,
    profile: list[tuple[str, str, float]],
    checks: list[dict[str, Any]],
    ingested_at: datetime,
    location: str,
) -> None:
    """Load the validated temp tables ``ingest_persons``/``ingest_events`` in one transaction.

    Args:
        con: Connection holding the temp tables.
        record: The submission's row.
        profile: ``(file, column, value)`` drift profile (non-null rates and row counts).
        checks: Check results (names and counts) for ``staging.deliveries``.
        ingested_at: Commit time recorded on the rows.
        location: Where the package will be archived (recorded for stewards).

    Raises:
        SupersedeError: ``record.supersedes`` is not an ingested submission of the partner any
            more; nothing is written.
    """
    ids = {"submission_id": record.submission_id, "partner_id": record.partner_id}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql("load_persons"), ids)
        con.execute(sql("load_events"), ids)
        con.execute(
            sql("insert_submission"),
            {
                **ids,
                "received_at": record.received_at,
                "ingested_at": ingested_at,
                "created_at": record.created_at,
                "supersedes": record.supersedes,
                "persons_rows": record.persons_rows,
                "events_rows": record.events_rows,
                "key_fingerprint": record.key_fingerprint,
                "spec_version": record.spec_version,
                "manifest_sha256": record.manifest_sha256,
                "manifest": json.dumps(record.manifest, sort_keys=True),
                "warnings": record.warnings,
            },
        )
        if record.supersedes:
            replaced = con.execute(
                sql("supersede"), {**ids, "supersedes": record.supersedes}
            ).fetchall()
            if not replaced:
                raise SupersedeError(record.supersedes)
        if profile:
            con.execute(
                sql("insert_profiles"),
                {
                    "submission_id": record.submission_id,
                    "files": [p[0] for p in profile],
                    "columns": [p[1] for p in profile],
                    "profile_values": [float(p[2]) for p in profile],
                },
            )
        record_delivery(
            con,
            **ids,
            outcome="ingested",
            decided_at=ingested_at,
            manifest_sha256=record.manifest_sha256,
            location=location,
            summary=f"{record.persons_rows} persons, {record.events_rows} events",
            checks=checks,
        )
        pause_point("ingest:before_commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
