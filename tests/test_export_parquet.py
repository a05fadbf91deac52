"""The marts written as Parquet for an external warehouse, published atomically; no
person-level table leaves."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from kernel.home import HubHome
from pipelines.defs.marts import export as marts_export
from tests.test_marts_helpers import published_sample
from warehouse import export
from warehouse.export import MANIFEST, MARTS_OUTPUT, ExportError, export_marts
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


def test_a_second_export_swaps_versions_and_readers_see_one_whole_version(
    tmp_path: Path,
) -> None:
    published_sample(tmp_path, persons=200)
    home = HubHome(tmp_path / "home")
    first = export_marts(home)
    second = export_marts(home)
    assert first.publication.version != second.publication.version
    assert current_dir(home.marts / "parquet").name == second.publication.version
    # The previous version stays readable for a reader that opened it before the swap.
    assert (first.publication.path / MANIFEST).exists()


@pytest.mark.parametrize("module", [export, marts_export])
def test_no_person_level_table_leaves(module: object) -> None:
    # The person-level export is gone: nothing in the library or the asset can write one.
    names = set(dir(module))
    assert "export_marts" in names
    assert not {"export_features", "FEATURE_TABLES", "FEATURES_OUTPUT"} & names


@pytest.mark.parametrize(
    ("export", "message"),
    [(export_marts, "publish the marts first")],
)
def test_missing_source_is_refused_with_the_fix(tmp_path: Path, export, message: str) -> None:
    home = HubHome(tmp_path / "home").ensure()
    with pytest.raises(ExportError, match=message):
        export(home)
    assert not (home.marts / "parquet").exists()
