"""Linkage scoped to an events package's records (linkage/incremental.py), on a real DuckDB
file with records from a small region run through the real encoder and a real Splink model.

The scoped run must give the same persons as the hub-wide incremental run (run_linkage) it
replaces on the alert path, read only the package's records, and hand over to a full run
whenever it cannot decide alone.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from schema_support import SUBMITTED_AT, add_persons, add_submission, copy_hub_schema, insert_rows

from kernel.home import HubHome
from linkage.incremental import link_submissions
from linkage.run import ensure_model, run_linkage
from tests.test_linkage_support import encoded_region, fast_settings

PARTNER = "mercy_hospital"
PACKAGE = f"{PARTNER}-20261102T000000Z-events01"


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    records, _truth = encoded_region(
        tmp_path_factory.mktemp("region"), residents=2000, seed=5, key_seed=5
    )
    return records


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, region: pl.DataFrame) -> Path:
    home = _home(tmp_path_factory.mktemp("trained"), region, None)
    with duckdb.connect(str(home.hub_db)) as con:
        ensure_model(con, home, settings=fast_settings())
    return home.models


def _home(root: Path, records: pl.DataFrame, models: Path | None) -> HubHome:
    home = HubHome(root / "home").ensure()
    if models is not None:
        shutil.copytree(models, home.models, dirs_exist_ok=True)
    with duckdb.connect(str(copy_hub_schema(home.hub_db))) as con:
        add_persons(con, records.to_arrow())
    return home


def _held(records: pl.DataFrame) -> pl.Expr:
    """One in eight of Mercy's records: held back from the full export, sent in the package."""
    return (pl.col("partner_id") == PARTNER) & pl.col("record_pseudonym").str.slice(0, 1).is_in(
        ["0", "8"]
    )


def _package(home: HubHome, rows: pl.DataFrame) -> None:
    """An ingested events package of Mercy's whose persons rows are ``rows``."""
    with duckdb.connect(str(home.hub_db)) as con:
        add_submission(con, PARTNER, PACKAGE, at=SUBMITTED_AT + timedelta(days=1))
        insert_rows(
            con, "staging.persons", rows.with_columns(submission_id=pl.lit(PACKAGE)).to_arrow()
        )


def _partition(home: HubHome) -> set[frozenset[tuple[str, str]]]:
    with duckdb.connect(str(home.hub_db), read_only=True) as con:
        rows = con.execute(
            "SELECT person_key, partner_id, record_pseudonym FROM linkage.person_records"
        ).fetchall()
    persons: dict[str, set[tuple[str, str]]] = {}
    for key, partner, record in rows:
        persons.setdefault(key, set()).add((partner, record))
    return {frozenset(p) for p in persons.values()}


def _runs(home: HubHome) -> int:
    with duckdb.connect(str(home.hub_db), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM linkage.runs").fetchall()[0][0])


def test_new_records_of_a_package_join_the_persons_a_hub_wide_run_gives(
    tmp_path: Path, region: pl.DataFrame, trained: Path
) -> None:
    base = region.filter(~_held(region))
    mercy = region.filter(pl.col("partner_id") == PARTNER)
    # The package: every held-back record (new) and as many already linked ones (same).
    sent = pl.concat([mercy.filter(_held(mercy)), mercy.filter(~_held(mercy)).head(100)])
    homes = []
    for name in ("scoped", "hub_wide"):
        home = _home(tmp_path / name, base, trained)
        with duckdb.connect(str(home.hub_db)) as con:
            run_linkage(con, home)
        _package(home, sent)
        homes.append(home)
    scoped, hub_wide = homes
    with duckdb.connect(str(scoped.hub_db)) as con:
        result = link_submissions(con, scoped, [PACKAGE])
        # What it left for a hub-wide run afterwards: nothing.
        after = run_linkage(con, scoped)
    with duckdb.connect(str(hub_wide.hub_db)) as con:
        expected = run_linkage(con, hub_wide)
    new = mercy.filter(_held(mercy)).height
    assert (result.mode, result.records, result.new, result.changed) == (
        "linked",
        sent.height,
        new,
        0,
    )
    assert result.run_id is not None and result.links_written > 0
    assert result.churn.updated > 0  # new records joined existing persons
    assert (expected.mode, expected.added) == ("incremental", new)
    assert (after.added, after.links_written) == (0, 0)
    assert _partition(scoped) == _partition(hub_wide)


@pytest.mark.parametrize(
    ("case", "mode", "runs_written"),
    [
        ("only linked records, same digests", "nothing new", 0),
        ("a linked record changed", "full run", 1),
        ("no linkage run yet", "full run", 1),
    ],
)
def test_what_a_scoped_run_leaves_to_a_full_run(
    tmp_path: Path, region: pl.DataFrame, trained: Path, case: str, mode: str, runs_written: int
) -> None:
    home = _home(tmp_path, region, trained)
    if case != "no linkage run yet":
        with duckdb.connect(str(home.hub_db)) as con:
            run_linkage(con, home)
    sent = region.filter(pl.col("partner_id") == PARTNER).head(50)
    if case == "a linked record changed":
        sent = sent.with_columns(
            zip3=pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("999")).otherwise(pl.col("zip3"))
        )
    _package(home, sent)
    before = _runs(home)
    with duckdb.connect(str(home.hub_db)) as con:
        result = link_submissions(con, home, [PACKAGE])
    assert result.mode == mode
    assert result.records == 50
    assert result.changed == (1 if case == "a linked record changed" else 0)
    assert _runs(home) - before == runs_written
    assert (result.full is not None) == (mode == "full run")
