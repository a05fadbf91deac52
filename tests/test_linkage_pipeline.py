"""The linkage assets on a real DuckDB file: Dagster materializations, incremental runs,
model lifecycle and charts. Records come from a small region run through the real encoder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl
import pyarrow as pa
import pytest
from schema_support import add_persons, copy_hub_schema

from contract.spec import SPEC_VERSION, TOKEN_COLUMNS
from kernel.home import HubHome
from linkage.accuracy import evaluate
from linkage.model import current_model
from linkage.run import ensure_model, run_linkage
from pipelines.defs.linkage.assets import (
    cluster_sizes_plausible,
    linkage_model,
    linked_persons,
    partner_match_rates_in_band,
)
from pipelines.resources import HubResource, LinkageBackendResource
from tests.test_linkage_support import encoded_region, fast_settings

ASSETS = [linkage_model, linked_persons, cluster_sizes_plausible, partner_match_rates_in_band]


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    return encoded_region(tmp_path_factory.mktemp("region"), residents=2500, seed=3, key_seed=3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, region) -> Path:
    """A models/ folder trained once on the region, copied into homes that reuse it."""
    home = _home(tmp_path_factory.mktemp("trained"), region[0])
    with duckdb.connect(str(home.hub_db)) as con:
        ensure_model(con, home, settings=fast_settings())
    return home.models


def _home(tmp_path: Path, records: pl.DataFrame, models: Path | None = None) -> HubHome:
    home = HubHome(tmp_path / "home").ensure()
    if models is not None:
        shutil.copytree(models, home.models, dirs_exist_ok=True)
    with duckdb.connect(str(copy_hub_schema(home.hub_db))) as con:
        add_persons(con, records.to_arrow())
    return home


def _set_records(home: HubHome, records: pl.DataFrame) -> None:
    """Make ``records`` the current persons, in place of the previous ones."""
    with duckdb.connect(str(home.hub_db)) as con:
        con.execute("DELETE FROM staging.persons")
        add_persons(con, records.to_arrow())


def _keys(home: HubHome) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(home.hub_db), read_only=True) as con:
        rows = con.execute(
            "SELECT partner_id, record_pseudonym, person_key FROM linkage.person_records"
        ).fetchall()
    return {(p, r): k for p, r, k in rows}


def _materialize(home: HubHome, selection: list, config: dict | None = None):
    return dg.materialize(
        selection,
        resources={
            "hub": HubResource(home=str(home.root)),
            "linkage_backend": LinkageBackendResource(),
        },
        run_config={"ops": config or {}},
        raise_on_error=True,
    )


def test_materialize_linkage_assets(tmp_path: Path, region, trained: Path) -> None:
    records, truth = region
    home = _home(tmp_path, records, trained)
    result = _materialize(home, ASSETS)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == {
        "cluster_sizes_plausible",
        "partner_match_rates_in_band",
    }
    assert all(c.passed for c in checks), [c.description for c in checks]

    model_meta = result.asset_materializations_for_node("linkage_model")[0].metadata
    assert model_meta["trained_now"].value is False  # the saved model is reused
    for name in ("chart_match_weights", "chart_m_u_parameters", "chart_unlinkables"):
        assert Path(model_meta[name].value).is_file()
    meta = result.asset_materializations_for_node("linked_persons")[0].metadata
    assert meta["mode"].value == "full"
    assert meta["records"].value == records.height
    assert meta["key_churn"].value["new"] == meta["persons"].value
    assert Path(meta["chart_waterfall"].value).is_file()

    # Accuracy on this small region, through the real encoder; the label-free estimate in
    # the metadata is near it.
    with duckdb.connect(str(home.hub_db)) as con:
        metrics = evaluate(con, truth.to_arrow())
    assert metrics.f1 >= 0.97, metrics.lines()
    assert abs(meta["estimated_f1"].value - metrics.f1) < 0.03
    assert 0.5 <= meta["link_threshold"].value <= 0.99
    assert metrics.blocking_recall is not None and metrics.blocking_recall >= 0.99

    # Same data again: the saved model is reused and every key stays.
    keys = _keys(home)
    again = _materialize(home, ASSETS)
    assert (
        again.asset_materializations_for_node("linkage_model")[0].metadata["trained_now"].value
        is False
    )
    meta2 = again.asset_materializations_for_node("linked_persons")[0].metadata
    assert meta2["mode"].value == "incremental"
    assert meta2["key_churn"].value["unchanged"] == meta["persons"].value
    assert _keys(home) == keys


@pytest.mark.parametrize(
    ("limits", "failing", "message"),
    [
        ({"max_cluster_size": 1}, "cluster_sizes_plausible", "(limit 1)"),
        ({"singleton_share_high": 0.01}, "cluster_sizes_plausible", "outside [0.05, 0.01]"),
        ({"partner_match_rate_low": 0.99}, "partner_match_rates_in_band", "outside [0.99,"),
    ],
)
def test_checks_judge_by_the_resource_settings(
    tmp_path: Path, region, trained: Path, limits: dict[str, Any], failing: str, message: str
) -> None:
    # The checks read the same LinkageSettings as the run (from the resource), not defaults.
    home = _home(tmp_path, region[0].gather_every(4), trained)  # every partner, fewer rows
    result = dg.materialize(
        ASSETS,
        resources={
            "hub": HubResource(home=str(home.root)),
            "linkage_backend": LinkageBackendResource(**limits),
        },
        raise_on_error=False,
    )
    outcome = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not outcome[failing].passed
    assert message in (outcome[failing].description or "")
    assert all(c.passed for name, c in outcome.items() if name != failing)


@pytest.mark.slow
def test_retrain_then_full_relink_keeps_keys(tmp_path: Path, region, trained: Path) -> None:
    records, _truth = region
    home = _home(tmp_path, records, trained)
    result = _materialize(home, ASSETS)
    keys = _keys(home)
    # Retraining on request: a new model version, then a full re-link with stable keys.
    retrained = _materialize(home, ASSETS, {"linkage_model": {"config": {"retrain": True}}})
    versions = {
        m.metadata["model_version"].value
        for r in (result, retrained)
        for m in r.asset_materializations_for_node("linkage_model")
    }
    assert len(versions) == 2
    meta3 = retrained.asset_materializations_for_node("linked_persons")[0].metadata
    assert meta3["mode"].value == "full"
    changed = sum(1 for k, v in _keys(home).items() if keys[k] != v)
    assert changed <= 0.01 * len(keys)


def test_incremental_batch_links_against_existing_persons(
    tmp_path: Path, region, trained: Path
) -> None:
    records, _truth = region
    # Hold back one in eight records as the "new submission".
    held = (
        pl.col("record_pseudonym")
        .str.slice(0, 2)
        .is_in(
            [
                "00",
                "11",
                "22",
                "33",
                "44",
                "55",
                "66",
                "77",
                "88",
                "99",
                "aa",
                "bb",
                "cc",
                "dd",
                "ee",
                "ff",
                "0a",
                "1b",
                "2c",
                "3d",
                "4e",
                "5f",
                "6a",
                "7b",
                "8c",
                "9d",
                "ae",
                "bf",
                "c0",
                "d1",
                "e2",
                "f3",
            ]
        )
    )
    home = _home(tmp_path, records.filter(~held), trained)
    with duckdb.connect(str(home.hub_db)) as con:
        first = run_linkage(con, home)
    before = _keys(home)
    _set_records(home, records)
    with duckdb.connect(str(home.hub_db)) as con:
        inc = run_linkage(con, home)
    after = _keys(home)
    assert inc.mode == "incremental"
    assert inc.added == records.height - first.records > 0
    assert inc.scored_pairs < first.scored_pairs  # only pairs with a new record were scored
    # Existing records keep their keys unless their person merged.
    moved = {k for k, v in before.items() if after[k] != v}
    assert len(moved) <= inc.churn.retired * 5
    assert inc.churn.unchanged > 0.8 * first.persons
    assert inc.churn.updated > 0  # new records joined existing persons
    # An incremental answer equals a full re-link up to a few borderline pairs.
    with duckdb.connect(str(home.hub_db)) as con:
        full = run_linkage(con, home, full_relink=True)
    assert full.mode == "full"
    assert abs(full.persons - inc.persons) <= max(3, 0.005 * inc.persons)


def test_model_json_has_version_fingerprint_and_no_identifiers(
    tmp_path: Path, region, trained: Path
) -> None:
    records, _ = region
    home = _home(tmp_path, records, trained)
    with duckdb.connect(str(home.hub_db)) as con:
        result = run_linkage(con, home)
    info = current_model(home.models)
    assert info is not None and info.version == result.model.info.version
    saved = json.loads(info.path.read_text())
    keys = sorted(
        f"{p}:{r}" for p, r in zip(records["partner_id"], records["record_pseudonym"], strict=True)
    )
    digest = hashlib.sha256(f"spec={SPEC_VERSION}\n".encode())
    for k in keys:
        digest.update(f"{k}\n".encode())
    assert saved["carehub"]["fingerprint"] == digest.hexdigest()
    assert saved["link_type"] == "link_and_dedupe"
    # No pseudonym or token value in the model or any chart.
    needles = set(records["record_pseudonym"].head(200).to_list())
    for col in TOKEN_COLUMNS:
        needles |= set(records[col].drop_nulls().head(50).to_list())
    for path in [info.path, *result.charts.values()]:
        text = Path(path).read_text()
        assert not [n for n in needles if n in text], path


def test_bad_input_is_refused_by_name(tmp_path: Path, region) -> None:
    home = HubHome(tmp_path / "home").ensure()
    with duckdb.connect(str(home.hub_db)) as con:
        # Test data, not a hub table: a relation with too few columns to link.
        con.register("two_columns", pa.table({"partner_id": ["p"], "record_pseudonym": ["r"]}))
        with pytest.raises(ValueError, match=r"lacks spec .* column\(s\) birth_year"):
            run_linkage(con, home, relation="two_columns")
        with pytest.raises(ValueError, match="not a plain"):
            run_linkage(con, home, relation="staging.current_persons; DROP TABLE x")
    records, _ = region
    empty = _home(tmp_path / "empty", records.head(0))
    with duckdb.connect(str(empty.hub_db)) as con:
        with pytest.raises(ValueError, match=r"no current records in staging\.current_persons"):
            run_linkage(con, empty)
        # The run's temporary views over the relation are gone after the refusal.
        views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        assert not views & {"linkage_rows", "linkage_source", "prepared_records"}


def _partition(keys: dict[tuple[str, str], str]) -> set[frozenset[tuple[str, str]]]:
    persons: dict[str, set[tuple[str, str]]] = {}
    for record, key in keys.items():
        persons.setdefault(key, set()).add(record)
    return {frozenset(records) for records in persons.values()}


@pytest.mark.spark
def test_linked_persons_asset_on_spark_equals_duckdb(tmp_path: Path, region, trained: Path) -> None:
    # The asset as a steward runs it, with the backend resource switched to Spark.
    records = region[0].head(400)
    duck, spark = _home(tmp_path / "d", records, trained), _home(tmp_path / "s", records, trained)
    # A 400-record slice is below the match-rate checks' bands: link without them here.
    assets = [linkage_model, linked_persons]
    spark_resources = {
        "hub": HubResource(home=str(spark.root)),
        "linkage_backend": LinkageBackendResource(engine="spark", spark_codegen="interpreted"),
    }
    _materialize(duck, assets)
    dg.materialize(assets, resources=spark_resources, raise_on_error=True)
    assert _partition(_keys(spark)) == _partition(_keys(duck))
    assert len(_keys(spark)) == records.height
    # A further batch: an incremental run on each engine (the batch, its blocking neighbours
    # and the hub's term-frequency lookups go to Spark), still the same persons.
    more = region[0].head(520)
    for home in (duck, spark):
        _set_records(home, more)
    _materialize(duck, assets)
    dg.materialize(assets, resources=spark_resources, raise_on_error=True)
    assert _partition(_keys(spark)) == _partition(_keys(duck))
    assert len(_keys(spark)) == more.height
    for home in (duck, spark):
        with duckdb.connect(str(home.hub_db), read_only=True) as con:
            rows = con.execute("SELECT mode FROM linkage.runs ORDER BY started_at").fetchall()
        modes = [m for (m,) in rows]
        assert modes == ["full", "incremental"]
