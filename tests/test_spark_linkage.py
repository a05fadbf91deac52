"""Linkage on Spark (local mode) gives the same persons as on DuckDB, with the same model.

The same ``link_all`` / ``link_new`` run on both engines (``linkage.engines``).

A small synthetic ecosystem (``synth.generate``) goes through the real partner encoder; the
model is trained once on DuckDB and saved as JSON; the hub's full re-link and an incremental
batch then run on both engines. Clusters are compared as partitions of the records (cluster
labels differ between engines), links and their weights pair by pair.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (17)"),
]

from linkage.backends import (  # noqa: E402
    LinkageBackend,
    SparkConfig,
    cluster_partition,
    stop_spark,
)
from linkage.comparisons import TF_COLUMNS  # noqa: E402
from linkage.link import Scored, link_all, link_new, load_records  # noqa: E402
from linkage.model import ModelInfo, load_settings, splink_api, train  # noqa: E402
from linkage.records import read_records  # noqa: E402

RESIDENTS = 400
RECORD_ID = ("partner_id", "record_pseudonym")
PAIR = ("partner_id_l", "record_pseudonym_l", "partner_id_r", "record_pseudonym_r")


@dataclass(frozen=True)
class Ecosystem:
    records: pa.Table
    model: dict[str, Any]
    info: ModelInfo


def encode_region(root: Path, residents: int, seed: int) -> Path:
    """Synthesize a region and encode every partner's export; returns the landing folder."""
    from partner.encode import encode_partner
    from partner.keygen import keygen
    from synth import PARTNER_IDS, generate

    generate(root / "region", residents=residents, seed=seed, progress=False)
    keys = root / "keys"
    keys.mkdir()
    secret = keys / "shared.secret"
    mappings = Path(__file__).resolve().parents[1] / "partner" / "mappings"
    for partner_id in PARTNER_IDS:
        keygen(keys, partner_id, shared_secret=secret)
        encode_partner(
            partner_id,
            secret,
            mappings / f"{partner_id}.yaml",
            root / "region" / "partners" / partner_id,
            root / "landing" / partner_id,
        )
    return root / "landing"


@pytest.fixture(scope="module")
def ecosystem(tmp_path_factory: pytest.TempPathFactory) -> Ecosystem:
    root = tmp_path_factory.mktemp("spark-ecosystem")
    landing = encode_region(root, RESIDENTS, seed=11)
    con = duckdb.connect(str(root / "hub.duckdb"))
    con.execute(
        "CREATE TABLE encoded AS SELECT split_part(filename, '/', -3) AS partner_id, * "
        "EXCLUDE (filename) FROM read_parquet($glob, filename = true)",
        {"glob": str(landing / "*" / "*" / "persons.parquet")},
    )
    records = read_records(con, "encoded")
    info = train(records, root / "models")
    con.close()
    return Ecosystem(records, load_settings(info), info)


@pytest.fixture(scope="module")
def spark() -> Iterator[LinkageBackend]:
    # Interpreted evaluation: no code generation to compile, the fastest for a few records.
    yield LinkageBackend(
        "spark",
        SparkConfig(
            master="local[2]", driver_memory="1g", shuffle_partitions=4, codegen="interpreted"
        ),
    )
    stop_spark()


def _work(records: pa.Table) -> Any:
    db_api = splink_api()
    load_records(db_api, records)
    return db_api


def _links(scored: Scored) -> dict[tuple[str, ...], float]:
    rows = scored.links.select([*PAIR, "match_weight"]).to_pylist()
    return {tuple(r[c] for c in PAIR): r["match_weight"] for r in rows}


def _assert_same(duck: Scored, spark: Scored) -> None:
    assert cluster_partition(spark.clusters, RECORD_ID) == cluster_partition(
        duck.clusters, RECORD_ID
    )
    assert spark.scored_pairs == duck.scored_pairs
    duck_links, spark_links = _links(duck), _links(spark)
    assert spark_links.keys() == duck_links.keys()
    for pair, weight in duck_links.items():
        assert spark_links[pair] == pytest.approx(weight, abs=1e-6)


def test_full_relink_on_spark_equals_duckdb(ecosystem: Ecosystem, spark: LinkageBackend) -> None:
    threshold = ecosystem.info.link_threshold
    duck = link_all(_work(ecosystem.records), ecosystem.model, threshold)
    on_spark = link_all(_work(ecosystem.records), ecosystem.model, threshold, spark)

    _assert_same(duck, on_spark)
    # Not a trivial agreement: the ecosystem has people seen by several partners.
    sizes = pc.value_counts(duck.clusters.column("cluster_id")).field("counts")
    assert pc.max(sizes).as_py() >= 3
    assert duck.links.num_rows > RESIDENTS // 10


def test_incremental_batch_on_spark_equals_duckdb(
    ecosystem: Ecosystem, spark: LinkageBackend
) -> None:
    threshold = ecosystem.info.link_threshold
    records = ecosystem.records.sort_by([("record_pseudonym", "ascending")])
    cut = records.num_rows * 4 // 5
    existing, batch = records.slice(0, cut), records.slice(cut)
    first = link_all(_work(existing), ecosystem.model, threshold)
    prev_keys = (
        first.clusters.select(list(RECORD_ID))
        .append_column(
            "person_key", pc.binary_join_element_wise("P", first.clusters.column("cluster_id"), "")
        )
        .append_column("record_digest", first.clusters.column("record_digest"))
    )
    new_keys = batch.select(list(RECORD_ID))

    duck = link_new(_work(records), ecosystem.model, threshold, new_keys, prev_keys, TF_COLUMNS)
    on_spark = link_new(
        _work(records), ecosystem.model, threshold, new_keys, prev_keys, TF_COLUMNS, None, spark
    )

    _assert_same(duck, on_spark)
    assert duck.links.num_rows > 0
