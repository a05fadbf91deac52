"""Reading encoded person rows out of the hub's DuckDB into the shape the model reads."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from linkage.encoding.spec import PERSON_COLUMNS, SPEC_VERSION

SQL_DIR = Path(__file__).parent / "sql"
DEFAULT_RELATION = "staging.current_persons"
# A relation name is an identifier we must place in SQL text: only plain (schema.)name is allowed.
_RELATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
REQUIRED_COLUMNS = (
    "partner_id",
    *(c for c in PERSON_COLUMNS if c not in ("consented", "part2_consent", "age_90_plus")),
)


@cache
def sql(name: str) -> str:
    """The text of ``linkage/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()


def check_relation(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Refuse a relation that is not a plain name or lacks a spec column.

    Raises:
        ValueError: naming the relation and the missing columns (never a value).
    """
    if not _RELATION.match(relation):
        raise ValueError(
            f"linkage input {relation!r} is not a plain [schema.]table name; pass e.g. "
            f"{DEFAULT_RELATION!r}"
        )
    try:
        columns = {row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()}
    except duckdb.CatalogException as exc:
        raise ValueError(
            f"linkage input {relation!r} does not exist in this database; ingest a submission "
            "first (carehub demo, or drop a package into landing/)"
        ) from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValueError(
            f"linkage input {relation!r} lacks spec {SPEC_VERSION} column(s) {', '.join(missing)}; "
            "columns are defined in linkage/encoding/spec.py"
        )


def read_records(con: duckdb.DuckDBPyConnection, relation: str = DEFAULT_RELATION) -> pa.Table:
    """All encoded rows of ``relation`` with popcounts and a per-record digest, as Arrow.

    Also leaves their keys and digests in temp table ``linkage_records`` on ``con`` for the
    run's own SQL (only those: a full copy in the hub database would double the memory).
    """
    check_relation(con, relation)
    # ``relation`` passed check_relation: a plain [schema.]name that exists, never a value.
    con.execute(f"CREATE OR REPLACE TEMP VIEW linkage_source AS SELECT * FROM {relation}")  # noqa: S608
    try:
        records = con.sql(sql("prepare_records")).to_arrow_table()
    finally:
        con.execute("DROP VIEW IF EXISTS linkage_source")
    con.register("linkage_records_arrow", records)
    try:
        con.execute(sql("record_keys"))
    finally:
        con.unregister("linkage_records_arrow")
    return records


def training_fingerprint(records: pa.Table) -> str:
    """sha256 over the sorted ``partner_id:record_pseudonym`` keys and the spec version."""
    keys = sorted(
        f"{p}:{r}"
        for p, r in zip(
            records.column("partner_id").to_pylist(),
            records.column("record_pseudonym").to_pylist(),
            strict=True,
        )
    )
    digest = hashlib.sha256(f"spec={SPEC_VERSION}\n".encode())
    for key in keys:
        digest.update(key.encode())
        digest.update(b"\n")
    return digest.hexdigest()
