"""No test file writes its own DDL: test tables come from the real schema files.

Tests build hub.duckdb and marts.duckdb with ``tests/schema_support.py`` (which runs the
production DDL) and insert their rows by column name, so a test cannot drift from the schema it
claims to test. The files below are the only exceptions, each with the exact number of DDL
statements it may hold and why.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent

_DDL = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+|TEMPORARY\s+)?(?:TABLE|SCHEMA|VIEW)\b",
    re.IGNORECASE,
)

ALLOWED = {
    "test_marts_publish.py": (1, "an arbitrary database file to publish, not a hub table"),
    "test_ops_status.py": (1, "an arbitrary database file to publish, not a hub table"),
    "test_privacy_scan.py": (3, "arbitrary databases the privacy scan searches"),
    "test_spark_linkage.py": (1, "Spark (spark marker): the partner files as one relation"),
    "test_linkage_guards.py": (
        2,
        "Splink's scored pairs (views scored / scored_all of its work database), which Splink"
        " makes and no schema file defines: only the columns the guard SQL reads",
    ),
    "test_deletion.py": (
        3,
        "the quality tables stand for a table a future part adds (no production DDL has them);"
        " deletion must find it through the catalog",
    ),
}


def _ddl_counts() -> dict[str, int]:
    counts = {}
    for path in sorted(TESTS.glob("*.py")):
        if path.name == Path(__file__).name:  # its own examples below
            continue
        n = len(_DDL.findall(path.read_text()))
        if n:
            counts[path.name] = n
    return counts


def test_no_test_file_writes_its_own_ddl() -> None:
    counts = _ddl_counts()
    offenders = {name: n for name, n in counts.items() if name not in ALLOWED}
    assert not offenders, (
        f"hand-written DDL in {sorted(offenders)}: create the real schema with"
        " tests/schema_support.py (create_hub_schema, copy_hub_schema, create_marts_schema) and"
        " insert rows with insert_rows / add_persons / add_submission"
    )


def test_the_exceptions_are_exact() -> None:
    counts = _ddl_counts()
    assert {name: counts.get(name, 0) for name in ALLOWED} == {
        name: n for name, (n, _) in ALLOWED.items()
    }


def test_the_pattern_sees_the_usual_spellings() -> None:
    for text in (
        "CREATE TABLE t (v INT)",
        "create schema if not exists s",
        "CREATE OR REPLACE TABLE s.t AS SELECT 1",
        "CREATE OR REPLACE TEMP VIEW v AS SELECT 1",
        "CREATE\n    VIEW v AS SELECT 1",
    ):
        assert _DDL.search(text), text
    assert not _DDL.search("INSERT INTO staging.persons BY NAME SELECT 1")
