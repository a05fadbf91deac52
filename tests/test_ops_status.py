"""carehub.ops_status: the "last good publication" section of `carehub status`."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from carehub.ops_status import publication_status, publications_table
from kernel import clock
from kernel.home import HubHome
from warehouse.governance import TEMPLATE
from warehouse.publish import publish_file

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive


def _db(value: int):
    def build(path: Path) -> dict[str, int | str]:
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE t AS SELECT $v AS v", {"v": value})
        return {"tables": 1, "as_of": "2026-06-30"}

    return build


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    hub = HubHome(tmp_path / "home").ensure()
    shutil.copy(TEMPLATE, hub.config / "governance.yaml")
    return hub


def test_nothing_published_yet(home: HubHome) -> None:
    assert publication_status(home) == []
    console = Console(record=True, width=120)
    console.print(publications_table(home))
    assert "No output published yet" in console.export_text()


def test_shows_the_latest_version_of_each_output(home: HubHome) -> None:
    publish_file(home, "marts", home.marts_db, _db(1), run_id="r1")
    latest = publish_file(home, "marts", home.marts_db, _db(2), run_id="r2")
    report = publish_file(home, "report", home.reports / "report.duckdb", _db(3))
    rows = {row.output: row for row in publication_status(home)}
    assert set(rows) == {"marts", "report"}
    assert rows["marts"].version == latest.version
    assert rows["report"].version == report.version
    assert not rows["marts"].overdue


@pytest.mark.parametrize(
    ("output", "hours_later", "overdue"),
    [
        ("marts", 25, False),
        ("marts", 27, True),
        ("report", 24 * 92, False),
        ("report", 24 * 94, True),
    ],
)
def test_overdue_follows_the_expected_cadence(
    home: HubHome, output: str, hours_later: int, overdue: bool
) -> None:
    publish_file(home, output, home.root / f"{output}.duckdb", _db(1))
    later = clock.now() + timedelta(hours=hours_later)
    (row,) = publication_status(home, now=later)
    assert row.overdue is overdue
    console = Console(record=True, width=140)
    console.print(publications_table(home, now=later))
    text = console.export_text()
    assert output in text
    assert ("overdue" in text) is overdue
    # The data's end month beside the publication date, and why they differ.
    assert "2026-06" in text and "last month with events" in text
