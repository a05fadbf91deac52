"""warehouse.publish: build aside, swap atomically, record in ops.publications."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kernel.db import connection
from kernel.home import HubHome
from warehouse.publish import current_dir, last_publications, publish_dir, publish_file

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive


def _home(tmp_path: Path) -> HubHome:
    return HubHome(tmp_path / "home").ensure()


def _write_db(value: int):
    def build(path: Path) -> dict[str, int]:
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE t AS SELECT $v AS v", {"v": value})
        return {"value": value}

    return build


def _read_db(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("SELECT v FROM t").fetchone()
    assert row is not None
    return int(row[0])


def test_file_is_swapped_and_recorded(tmp_path: Path) -> None:
    home = _home(tmp_path)
    first = publish_file(home, "marts", home.marts_db, _write_db(1), run_id="r1")
    second = publish_file(home, "marts", home.marts_db, _write_db(2), run_id="r2")
    assert _read_db(home.marts_db) == 2
    assert first.version != second.version
    with connection(home.hub_db) as con:
        (latest,) = last_publications(con, "marts")
        total = con.execute("SELECT count(*) FROM ops.publications").fetchone()
    assert latest.version == second.version
    assert latest.details == {"value": 2}
    assert latest.run_id == "r2"
    assert total == (2,)
    assert sorted(p.name for p in home.marts.iterdir()) == ["marts.duckdb"]


def test_failed_build_leaves_last_good_version(tmp_path: Path) -> None:
    home = _home(tmp_path)
    publish_file(home, "marts", home.marts_db, _write_db(1))

    def broken(path: Path) -> None:
        _write_db(2)(path)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish_file(home, "marts", home.marts_db, broken)
    assert _read_db(home.marts_db) == 1
    assert sorted(p.name for p in home.marts.iterdir()) == ["marts.duckdb"]
    with connection(home.hub_db) as con:
        assert len(last_publications(con)) == 1


def test_stale_building_file_from_a_crash_is_removed(tmp_path: Path) -> None:
    home = _home(tmp_path)
    stale = home.marts / ".marts.duckdb.20260101T000000Z-abcdef.building"
    stale.write_bytes(b"half written")
    publish_file(home, "marts", home.marts_db, _write_db(3))
    assert not stale.exists()
    assert _read_db(home.marts_db) == 3


def test_builder_must_create_the_file(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with pytest.raises(FileNotFoundError, match="did not create"):
        publish_file(home, "marts", home.marts_db, lambda path: None)
    assert not home.marts_db.exists()


def test_directory_publication_swaps_a_link_and_keeps_versions(tmp_path: Path) -> None:
    home = _home(tmp_path)
    target = home.reports / "ecosystem"
    seen = []
    for n in range(5):

        def build(folder: Path, n: int = n) -> dict[str, int]:
            (folder / "report.html").write_text(f"version {n}")
            return {"n": n}

        pub = publish_dir(home, "report", target, build, keep=2)
        seen.append(pub)
        assert (target / "report.html").read_text() == f"version {n}"
        assert current_dir(target) == pub.path
    versions = [p for p in (home.reports / ".versions" / "ecosystem").iterdir()]
    assert len(versions) == 2
    assert seen[-1].path in versions
    with connection(home.hub_db) as con:
        (latest,) = last_publications(con, "report")
    assert latest.details == {"n": 4}


def test_failed_directory_build_keeps_the_link(tmp_path: Path) -> None:
    home = _home(tmp_path)
    target = home.reports / "ecosystem"
    publish_dir(home, "report", target, lambda d: (d / "a.txt").write_text("good") and None)

    def broken(folder: Path) -> None:
        (folder / "a.txt").write_text("bad")
        raise OSError("killed")

    with pytest.raises(OSError, match="killed"):
        publish_dir(home, "report", target, broken)
    assert (target / "a.txt").read_text() == "good"
    leftovers = [p.name for p in (home.reports / ".versions" / "ecosystem").iterdir()]
    assert not [name for name in leftovers if name.endswith(".building")]
