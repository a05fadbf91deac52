"""The linkage backend choice: model portability between dialects, and its Dagster resource.

Fast: no Spark here (tests/test_spark_linkage.py runs the model on Spark for real).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pyarrow as pa
import pytest
import sqlglot

from linkage.backends import (
    LinkageBackend,
    UnportableModelError,
    cluster_partition,
    linkage_backend,
    port_model,
    predict_and_cluster,
)
from linkage.comparisons import settings_creator
from linkage.settings import LinkageSettings
from pipelines.resources import LinkageBackendResource


def _model(condition: str, rule: str = 'l."tok_ssn" = r."tok_ssn"') -> dict[str, Any]:
    return {
        "sql_dialect": "duckdb",
        "link_type": "link_and_dedupe",
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"}
        ],
        "comparisons": [
            {
                "output_column_name": "c",
                "comparison_levels": [
                    {"sql_condition": condition, "label_for_charts": "level", "m_probability": 0.9},
                    {"sql_condition": "ELSE", "label_for_charts": "else"},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        ('"tok_dob_l" = "tok_dob_r"', "`tok_dob_l` = `tok_dob_r`"),
        (
            "CAST(bit_count(bf_first_0_l & bf_first_0_r) AS INTEGER) >= 3",
            "CAST(BIT_COUNT(bf_first_0_l & bf_first_0_r) AS INT) >= 3",
        ),
        ("jaro_winkler_similarity(a_l, a_r) >= 0.9", "JARO_WINKLER(a_l, a_r) >= 0.9"),
        ("jaro_similarity(a_l, a_r) >= 0.9", "JARO_SIM(a_l, a_r) >= 0.9"),
        ("list_has_any(a_l, a_r)", "ARRAYS_OVERLAP(a_l, a_r)"),
        ("a_l::INTEGER = a_r::INTEGER", "CAST(a_l AS INT) = CAST(a_r AS INT)"),
        ("ELSE", "ELSE"),
    ],
)
def test_port_model_rewrites_conditions_for_spark(duckdb_sql: str, spark_sql: str) -> None:
    ported = port_model(_model(duckdb_sql), "spark")
    level = ported["comparisons"][0]["comparison_levels"][0]
    assert level["sql_condition"].upper() == spark_sql.upper()
    assert level["m_probability"] == 0.9  # parameters are carried over untouched
    assert ported["sql_dialect"] == "spark"
    rule = ported["blocking_rules_to_generate_predictions"][0]
    assert rule == {"blocking_rule": "l.`tok_ssn` = r.`tok_ssn`", "sql_dialect": "spark"}


def test_port_model_to_its_own_dialect_is_identity() -> None:
    model = _model('"a_l" = "a_r"')
    assert port_model(model, "duckdb") == model


def test_unparseable_condition_is_refused_naming_the_level() -> None:
    with pytest.raises(UnportableModelError, match=r"comparison 'c', level 'level'"):
        port_model(_model("a_l = = a_r"), "spark")


def test_the_hub_model_ports_to_spark_sql() -> None:
    """Every condition of the real comparisons parses as Spark SQL after porting."""
    settings = settings_creator(LinkageSettings()).create_settings_dict("duckdb")
    ported = port_model(settings, "spark")
    conditions = [
        level["sql_condition"]
        for comparison in ported["comparisons"]
        for level in comparison["comparison_levels"]
        if level["sql_condition"] != "ELSE"
    ]
    assert len(conditions) > 20
    for condition in conditions:
        assert '"' not in condition  # no DuckDB identifier quoting left: Spark reads it as text
        sqlglot.parse_one(condition, read="spark")
    assert any("BIT_COUNT" in c for c in conditions)


def test_saved_model_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(
        '{"sql_dialect": "duckdb", "blocking_rules_to_generate_predictions": [], "comparisons": []}'
    )
    assert port_model(path, "spark")["sql_dialect"] == "spark"


def _people() -> dict[str, pa.Table]:
    a = pa.table({"unique_id": ["1", "2", "3"], "tok": ["x", "y", "z"], "zip3": ["100"] * 3})
    b = pa.table({"unique_id": ["1", "2", "9"], "tok": ["x", "y", "q"], "zip3": ["100"] * 3})
    return {"hospital": a, "cbo": b}


def _exact_model() -> dict[str, Any]:
    return {
        "sql_dialect": "duckdb",
        "link_type": "link_and_dedupe",
        "probability_two_random_records_match": 0.01,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": 'l."zip3" = r."zip3"', "sql_dialect": "duckdb"}
        ],
        "comparisons": [
            {
                "output_column_name": "tok",
                "comparison_levels": [
                    {
                        "sql_condition": '"tok_l" IS NULL OR "tok_r" IS NULL',
                        "label_for_charts": "null",
                        "is_null_level": True,
                    },
                    {
                        "sql_condition": '"tok_l" = "tok_r"',
                        "label_for_charts": "exact",
                        "m_probability": 0.95,
                        "u_probability": 0.001,
                    },
                    {
                        "sql_condition": "ELSE",
                        "label_for_charts": "else",
                        "m_probability": 0.05,
                        "u_probability": 0.999,
                    },
                ],
            }
        ],
    }


def test_predict_and_cluster_on_duckdb_links_the_agreeing_records() -> None:
    out = predict_and_cluster(_exact_model(), _people(), predict_threshold=0.01)
    partition = cluster_partition(out.clusters)
    assert frozenset({("hospital", "1"), ("cbo", "1")}) in partition
    assert frozenset({("hospital", "2"), ("cbo", "2")}) in partition
    assert frozenset({("cbo", "9")}) in partition
    assert len(partition) == 4
    assert out.predictions.num_rows >= 2


def test_predict_and_cluster_reads_parquet_inputs(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    tables: dict[str, Any] = {}
    for name, table in _people().items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
        tables[name] = tmp_path / f"{name}.parquet"
    con = duckdb.connect()
    out = predict_and_cluster(_exact_model(), tables, connection=con, predict_threshold=0.01)
    assert len(cluster_partition(out.clusters)) == 4


def test_a_table_name_is_refused_on_spark() -> None:
    backend = LinkageBackend("spark")
    with pytest.raises(TypeError, match="only works on DuckDB"):
        backend.register(object(), "staging.persons", "x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "postgres"}, "CAREHUB_LINKAGE_ENGINE"),
        ({"spark_break_lineage": "delta"}, "spark_break_lineage"),
        ({"spark_codegen": "jit"}, "spark_codegen"),
        ({"spark_shuffle_partitions": 0}, "at least 1"),
    ],
)
def test_bad_backend_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        linkage_backend(**settings)


@dg.asset
def _engine_probe(linkage_backend: LinkageBackendResource) -> dict[str, Any]:
    backend = linkage_backend.backend()
    return {
        "engine": backend.engine,
        "master": backend.spark.master,
        "partitions": backend.spark.shuffle_partitions,
    }


def test_resource_defaults_to_duckdb() -> None:
    result = dg.materialize(
        [_engine_probe], resources={"linkage_backend": LinkageBackendResource()}
    )
    assert result.output_for_node("_engine_probe")["engine"] == "duckdb"


def test_resource_reads_its_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREHUB_LINKAGE_ENGINE", "spark")
    monkeypatch.setenv("CAREHUB_SPARK_MASTER", "spark://linkage-cluster:7077")
    monkeypatch.setenv("CAREHUB_SPARK_SHUFFLE_PARTITIONS", "64")
    resource = LinkageBackendResource.from_env()
    result = dg.materialize([_engine_probe], resources={"linkage_backend": resource})
    assert result.output_for_node("_engine_probe") == {
        "engine": "spark",
        "master": "spark://linkage-cluster:7077",
        "partitions": 64,
    }


def test_resource_without_environment_is_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CAREHUB_LINKAGE_ENGINE", "CAREHUB_SPARK_MASTER"):
        monkeypatch.delenv(var, raising=False)
    assert LinkageBackendResource.from_env().backend().engine == "duckdb"


def test_code_location_binds_the_backend_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREHUB_HOME", "/nonexistent-carehub-home")
    from pipelines.definitions import deploy_resources

    assert isinstance(deploy_resources()["linkage_backend"], LinkageBackendResource)
