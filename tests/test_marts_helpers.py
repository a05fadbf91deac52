"""Helpers for the features / segments / marts / disclosure / report tests (no tests here).

The inputs (``staging.current_persons``, ``staging.current_events``, ``linkage.person_records``)
are created as plain tables with hand-made rows, so these tests do not wait on ingest or linkage.
Every value is synthetic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from carehub.home import HubHome
from warehouse.features import build_features
from warehouse.marts import create_sample_inputs, publish_marts
from warehouse.marts.publish import MartsResult
from warehouse.segments import compute_membership, load_segments

AS_OF = date(2026, 10, 31)

PERSONS_DDL = """
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS linkage;
CREATE OR REPLACE TABLE staging.current_persons (
    submission_id VARCHAR, partner_id VARCHAR, record_pseudonym VARCHAR, birth_year SMALLINT,
    age_90_plus BOOLEAN, sex VARCHAR, zip3 VARCHAR, consented BOOLEAN, part2_consent BOOLEAN);
CREATE OR REPLACE TABLE staging.current_events (
    submission_id VARCHAR, partner_id VARCHAR, record_pseudonym VARCHAR, event_id VARCHAR,
    event_type VARCHAR, event_date DATE, end_date DATE, category VARCHAR, result VARCHAR,
    program VARCHAR, part2 BOOLEAN);
CREATE OR REPLACE TABLE linkage.person_records (
    partner_id VARCHAR, record_pseudonym VARCHAR, person_key VARCHAR, run_id VARCHAR);
"""


# Every table of the published marts.duckdb.
MART_TABLES = frozenset(
    {
        "about",
        "dictionary",
        "program_evaluation",
        "sector_overlap",
        "sector_reach",
        "segment_counts",
        "segment_overlap",
        "segment_sizes",
        "segment_trends",
        "segments",
    }
)


def pseudonym(partner: str, local: str) -> str:
    """A synthetic 64-hex record pseudonym."""
    return hashlib.sha256(f"{partner}:{local}".encode()).hexdigest()


def person_key(n: int) -> str:
    return f"P{n:016x}"


@dataclass
class Record:
    """One partner record of a person, with its events ``(type, date, category, result)``."""

    partner: str
    birth_year: int | None = 1970
    sex: str = "F"
    zip3: str | None = "030"
    age_90_plus: bool = False
    consented: bool = True
    events: list[tuple[str, date, str | None, str | None]] = field(default_factory=list)


def load_people(con: duckdb.DuckDBPyConnection, people: dict[int, Iterable[Record]]) -> None:
    """Create the input tables holding ``people`` (person number -> records)."""
    con.execute(PERSONS_DDL)
    for n, records in people.items():
        for i, record in enumerate(records):
            pseudo = pseudonym(record.partner, f"{n}-{i}")
            con.execute(
                "INSERT INTO staging.current_persons VALUES ('s1', ?, ?, ?, ?, ?, ?, ?, true)",
                [
                    record.partner,
                    pseudo,
                    record.birth_year,
                    record.age_90_plus,
                    record.sex,
                    record.zip3,
                    record.consented,
                ],
            )
            con.execute(
                "INSERT INTO linkage.person_records VALUES (?, ?, ?, 'r1')",
                [record.partner, pseudo, person_key(n)],
            )
            for j, (event_type, day, category, result) in enumerate(record.events):
                con.execute(
                    "INSERT INTO staging.current_events VALUES "
                    "('s1', ?, ?, ?, ?, ?, NULL, ?, ?, NULL, false)",
                    [
                        record.partner,
                        pseudo,
                        hashlib.md5(f"{pseudo}{j}".encode()).hexdigest(),
                        event_type,
                        day,
                        category,
                        result,
                    ],
                )


def sample_hub(tmp_path: Path, persons: int = 3000, seed: float = 0.42) -> HubHome:
    """A hub home whose hub.duckdb holds generated inputs, features and segments."""
    home = HubHome(tmp_path / "home").ensure()
    with duckdb.connect(str(home.hub_db)) as con:
        create_sample_inputs(con, persons=persons, as_of=AS_OF, seed=seed)
        build_features(con)
        compute_membership(con, load_segments(home))
    return home


def published_sample(tmp_path: Path, persons: int = 3000, threshold: int = 11) -> MartsResult:
    """Generate inputs, compute features and segments, and publish the marts."""
    home = sample_hub(tmp_path, persons)
    with duckdb.connect(str(home.hub_db)) as con:
        return publish_marts(con, home, threshold)
