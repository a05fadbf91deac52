"""The incremental split: only existing records that can meet a new one are scored."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from linkage.link import split_records

RULES = {
    "blocking_rules_to_generate_predictions": [
        {"blocking_rule": 'l."tok_name_dob" = r."tok_name_dob"', "sql_dialect": "duckdb"},
        {
            "blocking_rule": '(l."tok_phone" = r."tok_phone") AND (l."zip3" = r."zip3")',
            "sql_dialect": "duckdb",
        },
    ]
}
# id, tok_name_dob, tok_phone, zip3
ROWS = [
    ("n1", "A", "p1", "100"),  # new
    ("n2", None, "p2", "200"),  # new
    ("e1", "A", None, "900"),  # shares tok_name_dob with n1
    ("e2", "B", "p2", "200"),  # shares phone + zip3 with n2
    ("e3", "B", "p2", "300"),  # same phone as n2, other zip3: no rule holds
    ("e4", None, None, None),  # nulls never block
    ("e5", "C", "p1", "999"),  # same phone as n1, other zip3
]


def _con(rows: list[tuple[str, str | None, str | None, str | None]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    records = pa.table(
        {
            "partner_id": ["h"] * len(rows),
            "record_pseudonym": [r[0] for r in rows],
            "tok_name_dob": [r[1] for r in rows],
            "tok_phone": [r[2] for r in rows],
            "zip3": [r[3] for r in rows],
        }
    )
    new_keys = pa.table({"partner_id": ["h", "h"], "record_pseudonym": ["n1", "n2"]})
    # Splink's work relations (test data, not hub tables): split_records reads any relation.
    con.register("records", records)
    con.register("new_keys", new_keys)
    return con


def _ids(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {row[0] for row in con.table(table).select("record_pseudonym").fetchall()}


@pytest.mark.parametrize(
    ("model", "existing"),
    [
        (RULES, {"e1", "e2"}),
        # Rules that are not plain conditions: the whole existing side is read.
        (
            {"blocking_rules_to_generate_predictions": [{"blocking_rule": "x", "salt": 2}]},
            {"e1", "e2", "e3", "e4", "e5"},
        ),
        ({}, {"e1", "e2", "e3", "e4", "e5"}),
    ],
)
def test_existing_side_is_the_blocked_candidates(
    model: dict[str, object], existing: set[str]
) -> None:
    con = _con(ROWS)
    split_records(con, model)
    assert _ids(con, "new_records") == {"n1", "n2"}
    assert _ids(con, "existing_records") == existing


def test_restricted_split_finds_every_blocked_pair() -> None:
    con = _con(ROWS)
    split_records(con, RULES)
    pairs = """
        SELECT DISTINCT l.record_pseudonym FROM {existing} AS l JOIN new_records AS r
        ON l.tok_name_dob = r.tok_name_dob OR (l.tok_phone = r.tok_phone AND l.zip3 = r.zip3)
        WHERE l.record_pseudonym NOT LIKE 'n%'
    """
    restricted = {row[0] for row in con.sql(pairs.format(existing="existing_records")).fetchall()}
    everyone = {row[0] for row in con.sql(pairs.format(existing="records")).fetchall()}
    assert restricted == everyone == {"e1", "e2"}
