"""The release ledger: every publication's shown numbers in hub.duckdb, attacked together."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_marts_helpers import sample_hub

from warehouse.disclosure import CellSet
from warehouse.disclosure.attacks import Release, differencing
from warehouse.disclosure.ledger import load_ledger, record_release
from warehouse.features.sqlscript import run_script
from warehouse.marts import publish_marts
from warehouse.marts.publish import PERTURBATION_SECRET
from warehouse.report import build_report

ROOT = Path(__file__).resolve().parents[1]
DROP_PERSONS = ROOT / "benchmarks" / "disclosure_drop_persons.sql"
AT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def _release(keys: list[Hashable], values: list[int], withheld: set[Hashable]) -> Release:
    cells = CellSet()
    for key, value in zip(keys, values, strict=True):
        cells.add(key, value)
    cells.add(("total",), sum(values))
    cells.add_total(("total",), keys)
    shown = {k: v for k, v in cells.values.items() if k not in withheld}
    return Release.of(cells, withheld, shown, 3)


CELLS = [
    ("count", "s", "2026-10", "18-34", "F", "000"),
    ("count", "s", "2026-10", None, "M", "030"),
    ("reach", "all_people", "health", True),
    ("reach", "all_people", "health", False),
]


@pytest.mark.parametrize(
    ("keys", "values", "withheld"),
    [
        (CELLS[:2], [4, 30], {CELLS[0]}),
        (CELLS[2:], [700, 40], set()),
        (["a", "b", "c"], [13, 3, 2], {"b", "c"}),
    ],
)
def test_a_release_reads_back_as_recorded(
    empty_hub_db: Path, keys: list[Hashable], values: list[int], withheld: set[Hashable]
) -> None:
    release = _release(keys, values, withheld)
    with duckdb.connect(str(empty_hub_db)) as con:
        record_release(con, "marts", "v1", AT, release, 11)
        record_release(con, "report", "r1", AT, None, 11, derived_from="marts:v1")
        (back,) = load_ledger(con, "marts")
        assert load_ledger(con, "report") == []  # re-shown numbers only: no cells of its own
        stored = con.execute("SELECT shown FROM ops.disclosure_cells").fetchall()
    assert back.shown == release.shown and back.max_noise == 3
    assert [(dict(c.coefs), c.sense, c.total) for c in back.constraints] == [
        (dict(c.coefs), c.sense, c.total) for c in release.constraints
    ]
    # Only what was published is kept: withheld counts are NULL, never the true count.
    assert sorted((v for (v,) in stored), key=lambda v: -1 if v is None else v) == sorted(
        (release.shown[k] for k in release.shown), key=lambda v: -1 if v is None else v
    )


def test_a_release_without_cells_names_its_source(empty_hub_db: Path) -> None:
    with duckdb.connect(str(empty_hub_db)) as con, pytest.raises(ValueError, match="re-shows"):
        record_release(con, "report", "r1", AT, None, 11)


def test_the_window_keeps_the_latest_releases_oldest_first(empty_hub_db: Path) -> None:
    with duckdb.connect(str(empty_hub_db)) as con:
        for night in range(5):
            release = _release(["a", "b"], [20 + night, 30], set())
            record_release(con, "marts", f"v{night}", AT.replace(day=night + 1), release, 11)
        got = load_ledger(con, "marts", window=3)
    assert [r.shown["a"] for r in got] == [22, 23, 24]


def _two_nights(tmp_path: Path, key: int) -> tuple[Any, list[Any], list[Any], int]:
    """Two nights under a fixed perturbation key (the noise decides which counts a sequence can
    narrow); the second night two clients are gone (a partner re-submitted)."""
    home = sample_hub(tmp_path, persons=800)
    secret = home.keys / PERTURBATION_SECRET
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(hashlib.sha256(f"perturbation key {key}".encode()).digest())
    with duckdb.connect(str(home.hub_db)) as con:
        publish_marts(con, home)
        build_report(home)
        keys = con.execute("SELECT list(person_key ORDER BY person_key) FROM features.persons")
        run_script(con, DROP_PERSONS, {"keys": keys.fetchall()[0][0][:2]})
        second = publish_marts(con, home)
        ledger = load_ledger(con, "marts")
        releases = con.execute(
            "SELECT output, derived_from, withheld FROM ops.disclosure_releases "
            "ORDER BY released_at, output"
        ).fetchall()
        ((smallest,),) = con.execute(
            "SELECT min(shown) FROM ops.disclosure_cells WHERE shown IS NOT NULL"
        ).fetchall()
    return second, ledger, releases, smallest


@pytest.mark.parametrize("key", [1, 2, 3])
def test_publications_are_recorded_and_what_the_ledger_finds_is_reported(
    tmp_path: Path, key: int
) -> None:
    """The ledger holds both nights and the report's release; the second publication reports
    exactly its own withheld counts that an attack on both nights narrows (``ledger_exposed``)."""
    second, ledger, releases, smallest = _two_nights(tmp_path, key)
    assert [(o, d is not None) for o, d, _ in releases] == [
        ("marts", False),
        ("report", True),
        ("marts", False),
    ]
    assert releases[-1][2] == second.suppressed_cells
    assert second.summary()["ledger_releases"] == 1
    assert smallest >= 11
    assert len(ledger) == 2
    assert ledger[0].shown != ledger[1].shown  # the two nights differ
    narrowed = differencing(ledger, 2, 11).narrowed
    assert second.ledger_exposed == sum(1 for iv in narrowed if iv.cell[0] == 1)


@pytest.mark.xfail(
    strict=True,
    reason="known gap (issue 16): on this 800-person sample the second night's shown counts "
    "narrow some of the first night's withheld counts below 11 (e.g. to [5, 13]) under every key "
    "tried; protect() withholds again only counts narrowed by their own number shown now, and "
    "reports only this night's exposures",
)
def test_no_sequence_of_two_nights_narrows_a_withheld_count(tmp_path: Path) -> None:
    _, ledger, _, _ = _two_nights(tmp_path, 1)
    assert not differencing(ledger, 2, 11).narrowed
