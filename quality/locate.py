"""Find the rows behind a failed expectation, in DuckDB, without reading any value out.

Each rule kind has one static query in ``quality/sql/locate_<kind>.sql``; the table and column
are bound as parameters (``query_table($t)``, ``COLUMNS($cols)``) and come from allow-lists
(the temp tables of :mod:`quality.validate`, the spec's columns), never from the package.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final

import duckdb

from quality.findings import MAX_ROWS_LISTED
from quality.rules import TODAY, Rule

_SQL: Final = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    """The text of ``quality/sql/<name>.sql``."""
    return (_SQL / f"{name}.sql").read_text()


def _bound(value: int | str | None, as_of: date, *, year: bool) -> Any:
    if value == TODAY:
        return as_of.year if year else as_of
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value


def locate(
    con: duckdb.DuckDBPyConnection, table: str, rule: Rule, *, as_of: date
) -> tuple[int, tuple[int, ...]]:
    """How many rows of ``table`` break ``rule``, and the first 1-based row numbers.

    Args:
        con: The connection holding the temp table.
        table: ``ingest_persons`` or ``ingest_events`` (an allow-listed temp table).
        rule: The rule whose expectation failed.
        as_of: The submission's date, for rules bounded by :data:`quality.rules.TODAY`.
    """
    params: dict[str, Any] = {"t": table, "limit": MAX_ROWS_LISTED}
    if rule.kind not in {"pair_in_set", "a_not_before_b"}:
        params["cols"] = [rule.column]
    if rule.kind in {"match_regex", "not_match_regex"}:
        params["regex"] = rule.regex
    elif rule.kind == "in_set":
        params["values"] = list(rule.values)
    elif rule.kind == "between":
        year = isinstance(rule.min_value, int)
        params["min_value"] = _bound(rule.min_value, as_of, year=year)
        params["max_value"] = _bound(rule.max_value, as_of, year=year)
    elif rule.kind == "max_length":
        params["max_value"] = rule.max_value
    elif rule.kind == "pair_in_set":
        params["pairs"] = [f"{a}:{b}" for a, b in rule.pairs]
    row = con.execute(sql(f"locate_{rule.kind}"), params).fetchone()
    if row is None:
        return 0, ()
    return int(row[0]), tuple(int(r) for r in row[1] or ())
