"""Stable person keys: identical re-runs, the merge and split survivor rule, churn counts.

These drive :func:`linkage.keys.assign_keys` and :func:`linkage.store.write_run` with
hand-made clusterings on a real DuckDB file, so every rule is checked without a model.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from linkage.keys import Churn, assign_keys, new_person_key
from linkage.store import ensure_schema, write_run

T0 = datetime(2026, 11, 1, tzinfo=UTC)
Clustering = dict[str, str]  # record -> cluster label


def _run(con: duckdb.DuckDBPyConnection, clustering: Clustering, run: int) -> Churn:
    rows = sorted(clustering.items())
    table = pa.table(
        {
            "partner_id": ["p"] * len(rows),
            "record_pseudonym": [r for r, _ in rows],
            "cluster_id": [c for _, c in rows],
            "record_digest": ["d"] * len(rows),
        }
    )
    run_id = f"run{run}"
    churn = assign_keys(con, table, run_id)
    write_run(
        con,
        run_id=run_id,
        started_at=T0 + timedelta(hours=run),
        mode="full",
        model_version="m-test",
        links=pa.table(
            {
                c: pa.array([], pa.string())
                for c in (
                    "partner_id_l",
                    "record_pseudonym_l",
                    "partner_id_r",
                    "record_pseudonym_r",
                )
            }
            | {
                "match_weight": pa.array([], pa.float64()),
                "match_probability": pa.array([], pa.float64()),
            }
        ),
        replace_links=True,
        churn=churn,
        details={},
    )
    return churn


def _keys(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(
        con.execute("SELECT record_pseudonym, person_key FROM linkage.person_records").fetchall()
    )


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(tmp_path / "hub.duckdb"))
    ensure_schema(c)
    return c


def test_key_format_is_opaque_random() -> None:
    keys = {new_person_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(re.fullmatch(r"P[0-9a-f]{16}", k) for k in keys)


def test_identical_rerun_keeps_every_key(con: duckdb.DuckDBPyConnection) -> None:
    clustering = {"a1": "x", "a2": "x", "b1": "y", "c1": "z"}
    first = _run(con, clustering, 1)
    keys = _keys(con)
    # Cluster labels are arbitrary per run: relabel and re-run.
    second = _run(con, {r: f"other-{c}" for r, c in clustering.items()}, 2)
    assert _keys(con) == keys
    assert first == Churn(new=3)
    assert second == Churn(unchanged=3)
    created = con.execute(
        "SELECT DISTINCT created_run, updated_run FROM linkage.persons"
    ).fetchall()
    assert created == [("run1", "run1")]


# (name, runs of clusterings, expected churn of the last run, survivor check)
CASES = [
    (
        "merge keeps the oldest key",
        [
            {"a1": "x", "a2": "x"},
            {"a1": "x", "a2": "x", "b1": "y"},
            {"a1": "m", "a2": "m", "b1": "m"},
        ],
        Churn(merged=1, retired=1),
        ("a1", "a1"),  # the merged person keeps a1's (older) key
    ),
    (
        "merge of a newer and an older key, newer has more records",
        [
            {"a1": "x"},
            {"a1": "x", "b1": "y", "b2": "y", "b3": "y"},
            {"a1": "m", "b1": "m", "b2": "m", "b3": "m"},
        ],
        Churn(merged=1, retired=1),
        ("b1", "a1"),
    ),
    (
        "split: the largest part keeps the key",
        [{"a1": "x", "a2": "x", "a3": "x"}, {"a1": "s", "a2": "s", "a3": "t"}],
        Churn(split=1, split_off=1, updated=1),
        ("a1", "a1"),
    ),
    (
        "new record joins a person",
        [{"a1": "x", "b1": "y"}, {"a1": "x", "a2": "x", "b1": "y"}],
        Churn(updated=1, unchanged=1),
        ("a2", "a1"),
    ),
    (
        "new person only from new records",
        [{"a1": "x"}, {"a1": "x", "n1": "n", "n2": "n"}],
        Churn(new=1, unchanged=1),
        ("a1", "a1"),
    ),
    (
        "withdrawn records retire their key",
        [{"a1": "x", "b1": "y"}, {"a1": "x"}],
        Churn(retired=1, unchanged=1),
        ("a1", "a1"),
    ),
]


@pytest.mark.parametrize(("name", "runs", "churn", "survivor"), CASES, ids=[c[0] for c in CASES])
def test_survivor_rule_and_churn(
    con: duckdb.DuckDBPyConnection,
    name: str,
    runs: list[Clustering],
    churn: Churn,
    survivor: tuple[str, str],
) -> None:
    before: dict[str, str] = {}
    last = Churn()
    for i, clustering in enumerate(runs, start=1):
        before = _keys(con)
        last = _run(con, clustering, i)
    after = _keys(con)
    record, keeps_key_of = survivor
    assert after[record] == before[keeps_key_of], name
    assert last == churn, name
    persons = con.execute("SELECT count(*) FROM linkage.persons").fetchall()[0][0]
    assert persons == len(set(runs[-1].values()))


def test_merge_tie_goes_to_lower_key(con: duckdb.DuckDBPyConnection) -> None:
    _run(con, {"a1": "x", "b1": "y"}, 1)  # both keys created by the same run
    before = _keys(con)
    _run(con, {"a1": "m", "b1": "m"}, 2)
    assert set(_keys(con).values()) == {min(before.values())}


def test_key_events_tell_where_a_key_went(con: duckdb.DuckDBPyConnection) -> None:
    _run(con, {"a1": "x", "b1": "y"}, 1)
    first = _keys(con)
    _run(con, {"a1": "m", "b1": "m"}, 2)
    survivor = _keys(con)["a1"]
    loser = ({first["a1"], first["b1"]} - {survivor}).pop()
    events = con.execute(
        "SELECT person_key, event, related_key FROM linkage.key_events WHERE run_id = 'run2'"
    ).fetchall()
    assert events == [(loser, "merged", survivor)]


def test_runs_row_records_churn(con: duckdb.DuckDBPyConnection) -> None:
    _run(con, {"a1": "x", "a2": "x", "b1": "y"}, 1)
    row = con.execute("SELECT records, persons, churn->>'new' FROM linkage.runs").fetchall()
    assert row == [(3, 2, "2")]


def test_failed_write_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    _run(con, {"a1": "x"}, 1)
    before = _keys(con)
    table = pa.table(
        {
            "partner_id": ["p"],
            "record_pseudonym": ["a1"],
            "cluster_id": ["x"],
            "record_digest": ["d"],
        }
    )
    churn = assign_keys(con, table, "run2")
    with pytest.raises(duckdb.Error):
        write_run(
            con,
            run_id="run2",
            started_at=T0,
            mode="full",
            model_version="m",
            links=pa.table({"bad": [1]}),
            replace_links=True,
            churn=churn,
            details={},
        )
    assert _keys(con) == before
    assert con.execute("SELECT count(*) FROM linkage.runs").fetchall()[0][0] == 1
