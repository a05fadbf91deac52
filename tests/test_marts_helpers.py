"""Helpers for the features / segments / marts / disclosure / report tests (no tests here).

The inputs (``staging.current_persons``, ``staging.current_events``, ``linkage.person_records``)
are the real schema (``tests/schema_support.py``) holding hand-made rows, so these tests do not
wait on ingest or linkage.
Every value is synthetic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from schema_support import add_submission, insert_rows

from kernel.home import HubHome
from warehouse.features import build_features
from warehouse.marts import create_sample_inputs, publish_marts
from warehouse.marts.publish import PERTURBATION_SECRET, MartsResult
from warehouse.segments import compute_membership, load_segments

AS_OF = date(2026, 10, 31)

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
    """Insert ``people`` (person number -> records) into the real hub schema of ``con``.

    ``con`` holds that schema already (a copy of the session template: the ``empty_hub_db``
    fixture). Each partner's rows belong to one ingested submission, so the real
    ``staging.current_*`` views show them.
    """
    persons: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    person_records: list[dict[str, object]] = []
    submissions: dict[str, str] = {}
    for n, records in people.items():
        for i, record in enumerate(records):
            if record.partner not in submissions:
                submissions[record.partner] = add_submission(con, record.partner)
            sub = submissions[record.partner]
            pseudo = pseudonym(record.partner, f"{n}-{i}")
            persons.append(
                {
                    "submission_id": sub,
                    "partner_id": record.partner,
                    "record_pseudonym": pseudo,
                    "birth_year": record.birth_year,
                    "age_90_plus": record.age_90_plus,
                    "sex": record.sex,
                    "zip3": record.zip3,
                    "consented": record.consented,
                    "part2_consent": True,
                }
            )
            person_records.append(
                {
                    "partner_id": record.partner,
                    "record_pseudonym": pseudo,
                    "person_key": person_key(n),
                    "run_id": "r1",
                }
            )
            for j, (event_type, day, category, result) in enumerate(record.events):
                events.append(
                    {
                        "submission_id": sub,
                        "partner_id": record.partner,
                        "record_pseudonym": pseudo,
                        "event_id": hashlib.md5(f"{pseudo}{j}".encode()).hexdigest(),
                        "event_type": event_type,
                        "event_date": day,
                        "category": category,
                        "result": result,
                        "part2": False,
                    }
                )
    insert_rows(con, "staging.persons", persons)
    insert_rows(con, "linkage.person_records", person_records)
    insert_rows(con, "staging.events", events)


# The perturbation key of every sample hub. A fresh key per run made tests on the published
# marts draws: the noise decides which counts are withheld and whether the audit complements
# any (test_marts_dagster.py fixes its key for the same reason).
SAMPLE_PERTURBATION_KEY = hashlib.sha256(b"sample hub perturbation key").digest()


def sample_hub(tmp_path: Path, persons: int = 3000, seed: float = 0.42) -> HubHome:
    """A hub home whose hub.duckdb holds generated inputs, features and segments, and whose
    perturbation key is fixed (``SAMPLE_PERTURBATION_KEY``)."""
    home = HubHome(tmp_path / "home").ensure()
    (home.keys / PERTURBATION_SECRET).write_bytes(SAMPLE_PERTURBATION_KEY)
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
