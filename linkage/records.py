"""Reading encoded person rows out of the hub's DuckDB into the shape the model reads."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from contract.spec import PERSON_COLUMNS, SPEC_VERSION

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
            "columns are defined in contract/spec.py"
        )


def open_source(con: duckdb.DuckDBPyConnection, relation: str = DEFAULT_RELATION) -> int:
    """Point the run's SQL at ``relation`` and key its records; returns how many there are.

    Leaves on ``con``: temp views ``linkage_rows`` (the relation), ``prepared_records`` (its
    rows in the shape the model reads) and temp table ``linkage_records`` (keys and digests
    of every record, for the run's own SQL).
    """
    check_relation(con, relation)
    # ``relation`` passed check_relation: a plain [schema.]name that exists, never a value.
    con.execute(f"CREATE OR REPLACE TEMP VIEW linkage_rows AS SELECT * FROM {relation}")  # noqa: S608
    _prepare_from("linkage_rows", con)
    con.execute(sql("record_keys"))
    return int(con.execute(sql("count_records")).fetchall()[0][0])


def define_token_key(con: duckdb.DuckDBPyConnection) -> None:
    """Temp macro ``token_key(token)`` on ``con``: the 64-bit key a token is linked on
    (``sql/token_key.sql``); every query that reads tokens beside prepared records uses it."""
    con.execute(sql("token_key"))


def _prepare_from(source: str, con: duckdb.DuckDBPyConnection) -> None:
    define_token_key(con)
    # ``source`` is one of this module's own view names.
    con.execute(f"CREATE OR REPLACE TEMP VIEW linkage_source AS SELECT * FROM {source}")  # noqa: S608
    con.execute("CREATE OR REPLACE TEMP VIEW prepared_records AS " + sql("prepare_records"))


def open_scoped_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Temp view ``scoped_rows``: the current rows (``staging.current_persons``' rule) of the
    records keyed in temp table ``scope_keys(partner_id, record_pseudonym)`` only, without
    numbering every row of the hub as the view does (``sql/scoped_rows.sql``)."""
    con.execute(sql("scoped_rows"))


def use_rows(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """Point ``prepared_records`` at ``view``, one of this package's own temp views (a scoped
    run's rows, see linkage/incremental.py)."""
    _prepare_from(view, con)


def close_source(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the views :func:`open_source` made (``linkage_records`` stays for the caller)."""
    for view in ("prepared_records", "linkage_source", "subset_rows", "linkage_rows"):
        con.execute(f"DROP VIEW IF EXISTS {view}")


def prepared(con: duckdb.DuckDBPyConnection, *, subset: bool = False) -> pa.Table:
    """The prepared rows of the open source: all, or only those keyed in temp table
    ``subset_keys(partner_id, record_pseudonym)`` (prepared for those rows only)."""
    if subset:
        con.execute(sql("subset_rows"))
        _prepare_from("subset_rows", con)
    try:
        return con.sql(sql("prepared_all")).to_arrow_table()
    finally:
        if subset:
            _prepare_from("linkage_rows", con)


def read_records(con: duckdb.DuckDBPyConnection, relation: str = DEFAULT_RELATION) -> pa.Table:
    """All encoded rows of ``relation`` with popcounts and a per-record digest, as Arrow.

    Also leaves their keys and digests in temp table ``linkage_records`` on ``con`` for the
    run's own SQL (only those: a full copy in the hub database would double the memory).
    """
    open_source(con, relation)
    try:
        return prepared(con)
    finally:
        close_source(con)


def training_fingerprint(records: pa.Table) -> str:
    """sha256 over the sorted ``partner_id:record_pseudonym`` keys and the spec version."""
    keys = pc.binary_join_element_wise(
        records.column("partner_id"), records.column("record_pseudonym"), ":"
    )
    ordered = pc.take(keys, pc.sort_indices(keys)).to_pylist()
    digest = hashlib.sha256(f"spec={SPEC_VERSION}\n".encode())
    if ordered:
        digest.update(("\n".join(ordered) + "\n").encode())
    return digest.hexdigest()
