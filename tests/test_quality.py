"""Quality building blocks: formula neutralising, the plaintext detector, rules vs schema."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contract.spec import EVENT_COLUMNS, PERSON_COLUMNS, TOKEN_COLUMNS
from encoding.plaintext import scan
from quality.findings import CHECKS, Finding, neutralise_formula
from quality.locate import locate
from quality.plaintext import verified_columns
from quality.reasons import reason_document, reason_text
from quality.rules import EVENT_RULES, PERSON_RULES, RULES, FileName, Rule, rule_columns
from warehouse.ingest.package import sql as ingest_sql
from warehouse.staging import ensure_schema


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Harbor East Pantry", "Harbor East Pantry"),
        ("", ""),
    ],
)
def test_neutralise_formula(text: str, expected: str) -> None:
    assert neutralise_formula(text) == expected


HEX32 = "0123456789abcdef" * 2
HEX64 = HEX32 * 2


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("tok_fullname", "Maria Garcia", "name"),
        ("tok_fullname", "O'Brien-Smith", "name"),
        ("tok_fullname", "José Núñez", "name"),
        ("tok_dob_zip5_sex", "1961-03-14", "date"),
        ("tok_dob_zip5_sex", "03/14/1961", "date"),
        ("tok_dob_zip5_sex", "19610314", "date"),
        ("tok_dob_zip5_sex", "14 Mar 1961", "date"),
        ("tok_phone", "(617) 555-0142", "phone"),
        ("tok_phone", "617.555.0142", "phone"),
        ("tok_ssn", "123-45-6789", "ssn"),
        ("tok_ssn", "123456789", "ssn"),
        ("tok_first_addr", "maria@example.org", "email"),
        ("record_pseudonym", "Garcia", "name"),
        ("sex", "Female", "name"),
    ],
)
def test_detector_classifies_persons_columns(
    column: str, value: str, kind: str, tmp_path: Path
) -> None:
    con = duckdb.connect()
    persons = con.sql(
        "SELECT $h64 AS record_pseudonym, "
        "'F' AS sex, '021' AS zip3, $h32 AS tok_fullname, $h32 AS tok_dob_zip5_sex, "
        "$h32 AS tok_phone, $h32 AS tok_ssn, $h32 AS tok_first_addr FROM range(50)",
        params={"h64": HEX64, "h32": HEX32},
    ).to_arrow_table()
    for extra in ("tok_name_dob", "tok_first_dob", "tok_last_dob"):
        persons = persons.append_column(extra, pa.nulls(50, pa.string()))
    findings = _scan_with_value(con, tmp_path, persons, column, value, row=7)
    assert [(f.column, f.rows, f.extra["looks_like"]) for f in findings] == [(column, (7,), kind)]
    assert value not in findings[0].message


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        # Spec 2.2: a phone token is 8 hex, and at up to 32 bits some are all digits or all
        # letters a-f: in the column's format, never taken for a date or a name ...
        ("tok_phone", "19610314", None),
        ("tok_phone", "deadbeef", None),
        ("tok_phone", "0001a2f3", None),
        # ... while in a 32-hex token column the same 8 characters are off-format.
        ("tok_fullname", "19610314", "date"),
        ("tok_fullname", "deadbeef", "name"),
        ("tok_phone", "6175550142", "phone"),
    ],
)
def test_detector_knows_the_truncated_token_width(
    column: str, value: str, kind: str | None, tmp_path: Path
) -> None:
    con = duckdb.connect()
    persons = con.sql(
        "SELECT $h64 AS record_pseudonym, 'F' AS sex, '021' AS zip3, $h32 AS tok_fullname, "
        "'0000abcd' AS tok_phone FROM range(20)",
        params={"h64": HEX64, "h32": HEX32},
    ).to_arrow_table()
    for extra in sorted(set(TOKEN_COLUMNS) - {"tok_fullname", "tok_phone"}):
        persons = persons.append_column(extra, pa.nulls(20, pa.string()))
    findings = _scan_with_value(con, tmp_path, persons, column, value, row=4)
    expected = [] if kind is None else [(column, (4,), kind)]
    assert [(f.column, f.rows, f.extra["looks_like"]) for f in findings] == expected


def _stage(con: duckdb.DuckDBPyConnection, folder: Path, file: str, rows: pa.Table) -> None:
    """Stage ``rows`` as ingest does: written as the package's ``<file>.parquet``, then read
    into the temp table ``ingest_<file>`` (with its ``_row`` numbers) by ingest's own SQL."""
    path = folder / f"{file}.parquet"
    pq.write_table(rows, path)
    con.execute(ingest_sql(f"stage_{file}"), {"path": str(path)})


def _ingest_tables(
    folder: Path, persons: int, program: str, uses: int = 5
) -> duckdb.DuckDBPyConnection:
    """Staging-shaped ingest tables: ``persons`` clean person rows, ``uses`` events of
    ``program``."""
    con = duckdb.connect()
    rows = con.sql(
        "SELECT $h64 AS record_pseudonym, 'F' AS sex, '021' AS zip3 FROM range($n)",
        params={"h64": HEX64, "n": persons},
    ).to_arrow_table()
    for column in TOKEN_COLUMNS:
        rows = rows.append_column(column, pa.nulls(persons, pa.string()))
    _stage(con, folder, "persons", rows)
    _stage(
        con,
        folder,
        "events",
        con.sql(
            "SELECT $h64 AS record_pseudonym, "
            "$h32 AS event_id, 'service' AS event_type, 'food_pantry' AS category, "
            "NULL::VARCHAR AS result, $p AS program FROM range($uses)",
            params={"h64": HEX64, "h32": HEX32, "p": program, "uses": uses},
        ).to_arrow_table(),
    )
    return con


@pytest.mark.parametrize(
    ("program", "kind", "uses"),
    [
        ("Call 617-555-0142 for intake", "phone", 5),
        ("client ssn 123-45-6789", "ssn", 5),
        ("dob 3/14/1961", "date", 5),
        ("contact maria@example.org", "email", 5),
        ("Maria Garcia Pantry", None, 5),  # a repeated program name: not flagged as a name
        # Used by fewer than 5 events: a note or a name, not a program (issue 17 #1).
        ("seen with Maria Garcia", "free_text", 1),
        ("Harbor East Pantry", "free_text", 4),
    ],
)
def test_detector_searches_free_text(
    program: str, kind: str | None, uses: int, tmp_path: Path
) -> None:
    con = _ingest_tables(tmp_path, persons=1, program=program, uses=uses)
    findings = scan(con, {"persons.parquet": "ingest_persons", "events.parquet": "ingest_events"})
    assert [f.extra["looks_like"] for f in findings] == ([kind] if kind else [])


def test_rules_cover_spec_columns_and_staging_schema() -> None:
    assert set(rule_columns("persons.parquet")) <= set(PERSON_COLUMNS)
    assert set(rule_columns("events.parquet")) <= set(EVENT_COLUMNS)
    assert {r.rule_id for r in PERSON_RULES}.isdisjoint({r.rule_id for r in EVENT_RULES})
    assert len({r.rule_id for rules in RULES.values() for r in rules}) == sum(
        map(len, RULES.values())
    )
    con = duckdb.connect()
    ensure_schema(con)
    persons = [r[0] for r in con.execute("DESCRIBE staging.persons").fetchall()]
    events = [r[0] for r in con.execute("DESCRIBE staging.events").fetchall()]
    assert persons == ["submission_id", "partner_id", *PERSON_COLUMNS]
    assert events == ["submission_id", "partner_id", *EVENT_COLUMNS]


def test_locators_find_rows_without_values(tmp_path: Path) -> None:
    con = duckdb.connect()
    events = con.sql(
        "SELECT CASE WHEN range IN (2, 5) THEN 'visit' ELSE 'service' END AS event_type, "
        "CASE WHEN range = 3 THEN 'ed' ELSE 'food_pantry' END AS category, "
        "DATE '2026-01-01' + range::INTEGER AS event_date, "
        "CASE WHEN range = 4 THEN DATE '2025-01-01' END AS end_date FROM range(10)"
    ).to_arrow_table()
    _stage(con, tmp_path, "events", events)
    by_kind = {(r.column, r.kind): r for r in EVENT_RULES}
    as_of = date(2026, 1, 8)
    assert locate(con, "ingest_events", by_kind[("event_type", "in_set")], as_of=as_of) == (
        2,
        (3, 6),
    )
    assert locate(con, "ingest_events", by_kind[("event_type", "pair_in_set")], as_of=as_of) == (
        3,
        (3, 4, 6),
    )
    assert locate(con, "ingest_events", by_kind[("event_date", "between")], as_of=as_of) == (
        2,
        (9, 10),
    )
    assert locate(con, "ingest_events", by_kind[("end_date", "a_not_before_b")], as_of=as_of) == (
        1,
        (5,),
    )


def test_reason_text_is_neutralised_and_complete() -> None:
    finding = Finding(
        "payload_domains",
        "-1 trick: a message that starts like a formula",
        fix="=do this",
        file="events.parquet",
        column="program",
        rows=(3, 9),
        count=2,
    )
    doc = reason_document(
        submission_id="s",
        partner_id="p",
        decided_at=__import__("datetime").datetime(2026, 1, 1),
        findings=[finding],
    )
    text = reason_text(doc, [finding])
    assert "events.parquet, column program, rows 3, 9" in text
    assert doc["failed_checks"] == ["payload_domains"]
    assert not any(
        line.lstrip(" ").startswith(("=", "-", "+", "@")) and not line.startswith("  - ")
        for line in text.splitlines()
    )
    assert {c.name for c in CHECKS} >= {"plaintext_identifiers", "drift", "idempotency"}


def _rule(file: FileName, column: str, kind: str) -> Rule:
    return next(r for r in RULES[file] if r.column == column and r.kind == kind)


@pytest.mark.parametrize(
    ("rule", "verified"),
    [
        (_rule("persons.parquet", "record_pseudonym", "match_regex"), True),
        (_rule("persons.parquet", "tok_dob_zip5_sex", "match_regex"), True),
        (_rule("persons.parquet", "sex", "in_set"), True),
        (_rule("persons.parquet", "zip3", "match_regex"), True),
        (_rule("events.parquet", "event_id", "match_regex"), True),
        (_rule("events.parquet", "event_type", "in_set"), True),
        (_rule("events.parquet", "result", "in_set"), True),
        # Rules that do not pin the column's format leave it to the detector.
        (_rule("persons.parquet", "record_pseudonym", "unique"), False),
        (_rule("events.parquet", "category", "max_length"), False),
        (_rule("events.parquet", "program", "not_match_regex"), False),
        (replace(_rule("persons.parquet", "sex", "in_set"), values=("F", "Female")), False),
        (
            replace(_rule("persons.parquet", "tok_dob_zip5_sex", "match_regex"), regex="[0-9a-f]+"),
            False,
        ),
    ],
    ids=lambda v: v.rule_id if isinstance(v, Rule) else str(v),
)
def test_verified_columns_only_where_a_passed_rule_pins_the_format(
    rule: Rule, verified: bool
) -> None:
    assert verified_columns([rule]) == (
        frozenset({(rule.file, rule.column)}) if verified else frozenset()
    )


def test_detector_skips_only_verified_columns(tmp_path: Path) -> None:
    """A column GX verified is not scanned again; every other column still is."""
    con = _ingest_tables(tmp_path, persons=5, program="Harbor East")
    con.execute(
        "UPDATE ingest_persons SET tok_dob_zip5_sex = '1961-03-14', tok_ssn = '123-45-6789'"
    )
    tables: dict[FileName, str] = {
        "persons.parquet": "ingest_persons",
        "events.parquet": "ingest_events",
    }
    everything = scan(con, tables)
    assert {(f.column, f.extra["looks_like"]) for f in everything} == {
        ("tok_dob_zip5_sex", "date"),
        ("tok_ssn", "ssn"),
    }
    skipped = scan(con, tables, verified=frozenset({("persons.parquet", "tok_dob_zip5_sex")}))
    assert [(f.column, f.extra["looks_like"], f.rows) for f in skipped] == [
        ("tok_ssn", "ssn", (1, 2, 3, 4, 5))
    ]


def _scan_with_value(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    persons: pa.Table,
    column: str,
    value: str,
    row: int,
) -> list[Finding]:
    """Stage ``persons`` with ``value`` in ``column`` at 1-based ``row`` (and a few events),
    then run the detector."""
    values = persons.column(column).to_pylist()
    values[row - 1] = value
    persons = persons.set_column(
        persons.schema.get_field_index(column), column, pa.array(values, pa.string())
    )
    _stage(con, tmp_path, "persons", persons)
    _stage(
        con,
        tmp_path,
        "events",
        con.sql(
            "SELECT $h64 AS record_pseudonym, $h32 AS event_id, 'service' AS event_type, "
            "'food_pantry' AS category, NULL::VARCHAR AS result, 'Harbor' AS program "
            "FROM range(5)",
            params={"h64": HEX64, "h32": HEX32},
        ).to_arrow_table(),
    )
    return scan(con, {"persons.parquet": "ingest_persons", "events.parquet": "ingest_events"})
