"""Synthetic hub inputs for tests and benchmarks of features, segments and marts.

Creates ``staging.current_persons``, ``staging.current_events`` and ``linkage.person_records`` as
plain tables with the columns of the real ones (the ingest and linkage parts own the real
tables; this lets the marts be exercised at any scale without running them). Every value is
synthetic.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from warehouse.features.sqlscript import run_script

_SQL = Path(__file__).with_name("sample_inputs.sql")


def create_sample_inputs(
    con: duckdb.DuckDBPyConnection, *, persons: int, as_of: date, seed: float = 0.42
) -> dict[str, int]:
    """Generate linked persons, their partner records and events ending at ``as_of``.

    Returns:
        Row counts: ``persons``, ``records``, ``events``.
    """
    run_script(
        con,
        _SQL,
        {"persons": persons, "as_of": as_of, "as_of_year": as_of.year, "seed": seed},
    )
    counts = {}
    for name, sql in (
        ("persons", "SELECT count(DISTINCT person_key) FROM linkage.person_records"),
        ("records", "SELECT count(*) FROM linkage.person_records"),
        ("events", "SELECT count(*) FROM staging.current_events"),
    ):
        ((count,),) = con.execute(sql).fetchall()
        counts[name] = int(count)
    return counts
