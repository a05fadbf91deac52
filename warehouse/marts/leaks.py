"""Last line of defence before a mart is swapped in: scan every table for anything personal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import duckdb

from contract.spec import BLOOM_FIELDS, TOKEN_COLUMNS

# Values shaped like hub identifiers: person keys, record pseudonyms, tokens, event ids.
IDENTIFIER_PATTERNS: Final = {
    "person key": re.compile(r"\bP[0-9a-f]{16}\b"),
    "pseudonym or token": re.compile(r"\b[0-9a-f]{32}(?:[0-9a-f]{32})?\b"),
}
FORBIDDEN_COLUMN_WORDS: Final = (
    "person_key",
    "pseudonym",
    "record_id",
    "event_id",
    *TOKEN_COLUMNS,
    *(f"bf_{field}" for field in BLOOM_FIELDS),
)
COUNT_COLUMNS: Final = ("people",)
_SQL = Path(__file__).parent / "sql"


def published_threshold(con: duckdb.DuckDBPyConnection) -> int:
    """The small-cell threshold the connected (published) mart was suppressed with."""
    ((threshold,),) = con.execute((_SQL / "published_threshold.sql").read_text()).fetchall()
    return int(threshold)


def scan_for_leaks(con: duckdb.DuckDBPyConnection, threshold: int) -> list[str]:
    """Problems found in the connected mart (empty when clean); never quotes a value.

    Checks every table of schema ``main``: no column named like an identifier or encoding, no
    text value shaped like a person key, pseudonym or token, no BLOB or BIT column, and no
    ``people`` count below ``threshold``.
    """
    problems: list[str] = []
    columns = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "ORDER BY table_name, column_index"
    ).fetchall()
    for table, column, data_type in columns:
        where = f"{table}.{column}"
        lowered = column.lower()
        if any(word in lowered for word in FORBIDDEN_COLUMN_WORDS):
            problems.append(f"{where}: column named like an identifier or encoding")
        if data_type in ("BLOB", "BIT"):
            problems.append(f"{where}: binary column")
        relation = con.table(table)
        if data_type == "VARCHAR":
            values = relation.select(f'"{column}"').distinct().fetchall()
            for (value,) in values:
                if value is None:
                    continue
                for label, pattern in IDENTIFIER_PATTERNS.items():
                    if pattern.search(value):
                        problems.append(f"{where}: a value looks like a {label}")
                        break
        if lowered in COUNT_COLUMNS:
            small = relation.filter(f'"{column}" IS NOT NULL AND "{column}" < {int(threshold)}')
            ((n,),) = small.aggregate("count(*)").fetchall()
            if n:
                problems.append(f"{where}: {n} published count(s) below the threshold {threshold}")
    return sorted(set(problems))
