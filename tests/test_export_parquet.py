"""Marts and features written as Parquet for an external warehouse, published atomically."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from carehub.home import HubHome
from tests.test_marts_helpers import published_sample, sample_hub
from warehouse.export import (
    FEATURES_OUTPUT,
    MANIFEST,
    MARTS_OUTPUT,
    ExportError,
    export_features,
    export_marts,
)
from warehouse.publish import current_dir, last_publications


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def test_marts_export_matches_the_published_marts(tmp_path: Path) -> None:
    marts = published_sample(tmp_path, persons=400)
    home = HubHome(tmp_path / "home")

    result = export_marts(home, run_id="run-1")

    folder = current_dir(home.marts / "parquet")
    manifest = _manifest(folder)
    assert manifest["source"]["marts_version"] == marts.version
    with duckdb.connect(str(home.marts_db), read_only=True) as con:
        for table in result.tables:
            expected = con.execute(f'SELECT count(*) FROM "{table.table}"').fetchone()
            assert expected is not None
            parquet = pq.read_table(folder / table.file)
            assert parquet.num_rows == table.rows == expected[0]
            assert parquet.column_names == list(table.columns)
    assert {t.table for t in result.tables} >= {"segment_counts", "about"}
    with duckdb.connect(str(home.hub_db)) as con:
        (last,) = last_publications(con, MARTS_OUTPUT)
    assert last.version == result.publication.version and last.run_id == "run-1"


def test_features_export_is_person_level_and_recorded(tmp_path: Path) -> None:
    home = sample_hub(tmp_path, persons=300)

    result = export_features(home)

    folder = current_dir(home.warehouse / "parquet")
    assert {t.table for t in result.tables} == {
        "features__person_features",
        "segments__membership",
        "segments__membership_monthly",
    }
    with duckdb.connect(str(home.hub_db)) as con:
        (persons,) = con.execute("SELECT count(*) FROM features.person_features").fetchone()  # type: ignore[misc]
        (last,) = last_publications(con, FEATURES_OUTPUT)
    exported = pq.read_table(folder / "features__person_features.parquet")
    assert exported.num_rows == persons > 0
    assert "person_key" in exported.column_names
    listed = {t["file"]: t for t in _manifest(folder)["tables"]}
    assert listed["features__person_features.parquet"]["rows"] == persons
    assert (
        last.details["tables"]["segments__membership"]
        == result.summary()["tables"]["segments__membership"]
    )


def test_a_second_export_swaps_versions_and_readers_see_one_whole_version(
    tmp_path: Path,
) -> None:
    home = sample_hub(tmp_path, persons=200)
    first = export_features(home)
    second = export_features(home)
    assert first.publication.version != second.publication.version
    assert current_dir(home.warehouse / "parquet").name == second.publication.version
    # The previous version stays readable for a reader that opened it before the swap.
    assert (first.publication.path / MANIFEST).exists()


@pytest.mark.parametrize(
    ("export", "message"),
    [(export_marts, "publish the marts first"), (export_features, "build the features first")],
)
def test_missing_source_is_refused_with_the_fix(tmp_path: Path, export, message: str) -> None:
    home = HubHome(tmp_path / "home").ensure()
    with pytest.raises(ExportError, match=message):
        export(home)
    assert not (home.marts / "parquet").exists()
