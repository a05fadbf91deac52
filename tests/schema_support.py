"""The real hub schema for tests, and hand-made rows put into it by column name (no tests here).

Test DDL comes only from the schema files production runs: ``warehouse/staging/schema.sql``
(:func:`warehouse.staging.ensure_schema`), ``linkage/sql/schema.sql``
(:func:`linkage.store.ensure_schema`), ``warehouse/segments/membership_ddl.sql``,
``warehouse/publish_ddl.sql``,
``warehouse/disclosure/sql/ledger_ddl.sql`` and, for marts.duckdb,
``warehouse/marts/sql/marts_schema.sql``.
The session fixtures ``hub_db_template`` / ``empty_hub_db`` (``tests/conftest.py``) hand out
copies of one template file built from them. Tests insert their rows with :func:`insert_rows`,
which matches columns by name (``INSERT INTO ... BY NAME``), so a column added to a hub table
later does not break them. ``tests/test_no_test_ddl.py`` keeps hand-written DDL out of the
test files.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import itertools
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

import linkage.store
import warehouse.disclosure.ledger
import warehouse.publish
import warehouse.staging
from warehouse.features.sqlscript import run_script

ROOT = Path(__file__).resolve().parents[1]
MEMBERSHIP_DDL = ROOT / "warehouse" / "segments" / "membership_ddl.sql"
MARTS_SCHEMA = ROOT / "warehouse" / "marts" / "sql" / "marts_schema.sql"

# The layers of hub.duckdb, each created by its production DDL.
LAYERS = ("staging", "linkage", "segments", "ops")

# A fixed moment for hand-made submissions (nothing under test reads it).
SUBMITTED_AT = datetime(2026, 11, 1, tzinfo=UTC)

_names = itertools.count()


def create_hub_schema(con: duckdb.DuckDBPyConnection, layers: Iterable[str] = LAYERS) -> None:
    """Create the real schema of each of ``layers`` of hub.duckdb in ``con``."""
    for layer in layers:
        if layer == "staging":
            warehouse.staging.ensure_schema(con)
        elif layer == "linkage":
            linkage.store.ensure_schema(con)
        elif layer == "segments":
            run_script(con, MEMBERSHIP_DDL)
        elif layer == "ops":
            warehouse.publish.ensure_schema(con)
            warehouse.disclosure.ledger.ensure_schema(con)
        else:
            raise ValueError(f"unknown hub layer {layer!r}; one of {', '.join(LAYERS)}")


def create_marts_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables of the published marts.duckdb (``marts_schema.sql``) in ``con``."""
    run_script(con, MARTS_SCHEMA)


@functools.cache
def hub_db_template() -> Path:
    """A hub.duckdb holding every layer's empty real schema, built once per process."""
    folder = Path(tempfile.mkdtemp(prefix="carehub-hub-schema-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "hub.duckdb"
    with duckdb.connect(str(path)) as con:
        create_hub_schema(con)
    return path


def copy_hub_schema(dest: Path) -> Path:
    """Put a copy of :func:`hub_db_template` at ``dest`` (faster than running the DDL again)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(hub_db_template(), dest)
    return dest


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]] | pa.Table
) -> None:
    """Insert ``rows`` (dicts, or an Arrow table) into ``table``, matching columns by name.

    Columns a row leaves out get their default (NULL unless the DDL says otherwise).
    """
    data = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows))
    if data.num_rows == 0:
        return
    name = f"_test_rows_{next(_names)}"
    con.register(name, data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        con.unregister(name)


def add_submission(
    con: duckdb.DuckDBPyConnection,
    partner_id: str,
    submission_id: str | None = None,
    *,
    state: str = "ingested",
    at: datetime = SUBMITTED_AT,
) -> str:
    """Add a ``staging.submissions`` row with every NOT NULL column filled; its id.

    The staging views (``staging.current_persons``, ``staging.current_events``) show only rows
    whose submission is in state ``ingested``.
    """
    submission_id = submission_id or f"{partner_id}-{at:%Y%m%dT%H%M%SZ}-00000001"
    insert_rows(
        con,
        "staging.submissions",
        [
            {
                "submission_id": submission_id,
                "partner_id": partner_id,
                "state": state,
                "received_at": at,
                "ingested_at": at,
                "created_at": at,
                "persons_rows": 0,
                "events_rows": 0,
                "key_fingerprint": "ab" * 32,
                "spec_version": "1.0",
                "manifest_sha256": hashlib.sha256(submission_id.encode()).hexdigest(),
                "manifest": "{}",
            }
        ],
    )
    return submission_id


def add_persons(
    con: duckdb.DuckDBPyConnection, records: pa.Table | Sequence[Mapping[str, Any]]
) -> None:
    """Make ``records`` (with ``partner_id``) the current persons: one submission per partner.

    Rows go into ``staging.persons`` under a new ``ingested`` submission of their partner, so
    the real ``staging.current_persons`` view shows them.
    """
    data = records if isinstance(records, pa.Table) else pa.Table.from_pylist(list(records))
    if data.num_rows == 0:
        return
    partners = sorted({str(p) for p in data.column("partner_id").to_pylist()})
    subs = {p: add_submission(con, p, f"{p}-test-{next(_names):08d}") for p in partners}
    column = pa.array([subs[str(p)] for p in data.column("partner_id").to_pylist()], pa.string())
    if "submission_id" in data.column_names:
        data = data.drop_columns(["submission_id"])
    insert_rows(con, "staging.persons", data.append_column("submission_id", column))
