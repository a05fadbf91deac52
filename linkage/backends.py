"""Where Splink runs: DuckDB on one machine (the default) or Spark when a region outgrows it.

The trained model is one Splink JSON file, saved from DuckDB. :func:`port_model` rewrites its
SQL (blocking rules and comparison levels) into the dialect of the engine that loads it, so the
same model and the same comparisons score pairs on both engines. Custom SQL in the model must be
portable: integer ``bit_count`` over BIGINT Bloom words, ``CAST``, ``NULLIF``, ``COALESCE`` and
arithmetic run on both; DuckDB-only functions do not.

Typical use::

    backend = LinkageBackend(engine="spark")
    db_api = backend.database_api()
    inputs = [backend.register(db_api, table, name) for name, table in tables.items()]
    linker = load_linker(model_path, inputs)

or, for predict + cluster in one call, :func:`predict_and_cluster`.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

import pyarrow as pa
import sqlglot
from sqlglot import exp

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession
    from splink import Linker
    from splink.internals.database_api import DatabaseAPISubClass
    from splink.internals.splink_dataframe import SplinkDataFrame

Engine = Literal["duckdb", "spark"]
BreakLineage = Literal["parquet", "persist", "checkpoint"]
Codegen = Literal["whole_stage", "expression", "interpreted"]
InputTable: TypeAlias = pa.Table | Path | str

logger = logging.getLogger(__name__)

# Splink's own SQL function names that differ between its DuckDB and Spark dialects
# (see splink/internals/dialects.py); the Spark ones are UDFs from the jar Splink ships.
_SPARK_FUNCTION_NAMES = {
    "jaro_similarity": "jaro_sim",
    "jaro_winkler_similarity": "jaro_winkler",
    "list_intersect": "array_intersect",
}


class UnportableModelError(ValueError):
    """A model's SQL does not parse in its own dialect, so it cannot be ported."""


@dataclass(frozen=True)
class SparkConfig:
    """How to start (or find) the Spark session that runs Splink.

    Attributes:
        master: Spark master URL; ``local[N]`` runs in this process's JVM on N cores.
        driver_memory: JVM heap of the driver (in local mode: all the memory Spark gets).
        shuffle_partitions: ``spark.sql.shuffle.partitions``; Spark's default of 200 costs
            seconds per stage on a small machine, so keep it near 2-4x the cores.
        work_dir: where Splink's intermediate parquet ("break lineage") goes; a fresh
            temporary folder, removed at exit, when not given. Holds encodings only, never
            raw identifiers, but treat it as hub storage.
        break_lineage_method: how Splink cuts long query plans: ``parquet`` (Splink's default,
            bounded memory), ``persist`` (in memory, fastest for small data) or ``checkpoint``.
        codegen: how Spark evaluates Splink's comparison SQL. The Bloom-filter Dice levels
            make one very long CASE expression per comparison: Spark's default whole-stage
            code generation exceeds the JVM's 64 KB method limit on it and falls back after a
            long compile, so ``expression`` (per-expression codegen) is the default;
            ``interpreted`` skips code generation entirely, the fastest choice for small
            local runs (tests, a few thousand records); ``whole_stage`` is Spark's default.
        app_name: shown in the Spark UI and logs.
        conf: any further ``spark.*`` settings, e.g. executor memory on a cluster.
    """

    master: str = "local[2]"
    driver_memory: str = "2g"
    shuffle_partitions: int = 8
    work_dir: Path | None = None
    break_lineage_method: BreakLineage = "parquet"
    codegen: Codegen = "expression"
    app_name: str = "carehub-linkage"
    conf: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkageBackend:
    """The engine Splink runs on; DuckDB unless a steward chooses Spark."""

    engine: Engine = "duckdb"
    spark: SparkConfig = field(default_factory=SparkConfig)

    @property
    def dialect(self) -> str:
        """Splink's SQL dialect name for this engine."""
        return self.engine

    def database_api(
        self, connection: duckdb.DuckDBPyConnection | None = None
    ) -> DatabaseAPISubClass:
        """A Splink database API for this engine.

        Args:
            connection: the DuckDB connection Splink works in (DuckDB engine only); an
                in-memory database when omitted.
        """
        if self.engine == "duckdb":
            import duckdb
            from splink import DuckDBAPI

            return DuckDBAPI(connection=connection or duckdb.connect())
        from splink import SparkAPI

        return SparkAPI(
            spark_session=spark_session(self.spark),
            break_lineage_method=self.spark.break_lineage_method,
            num_partitions_on_repartition=self.spark.shuffle_partitions,
        )

    def register(
        self, db_api: DatabaseAPISubClass, table: InputTable, name: str
    ) -> SplinkDataFrame:
        """Register one input table with Splink under ``name`` (the partner's dataset name).

        Args:
            db_api: from :meth:`database_api`.
            table: an Arrow table, a Parquet file or folder (``Path``), or, on DuckDB, the name
                of a table or view already in the connection.
            name: Splink's dataset display name and table name.
        """
        if isinstance(table, Path):
            if self.engine == "spark":
                frame: Any = spark_session(self.spark).read.parquet(str(table))
            else:
                frame = _duckdb_parquet_relation(db_api, table)
            return db_api.register(frame, dataset_display_name=name, table_name=_table_name(name))
        if isinstance(table, str) and self.engine == "spark":
            raise TypeError(
                f"input {name!r}: a table name only works on DuckDB; pass an Arrow table or a "
                "Parquet path to the Spark backend"
            )
        if isinstance(table, pa.Table) and self.engine == "spark":
            frame = spark_session(self.spark).createDataFrame(table)
            return db_api.register(frame, dataset_display_name=name, table_name=_table_name(name))
        return db_api.register(table, dataset_display_name=name, table_name=_table_name(name))


def _table_name(name: str) -> str:
    # Spark temp views outlive one SparkAPI; a unique name keeps runs in one session apart.
    return f"__carehub_input_{re.sub(r'[^0-9A-Za-z_]', '_', name)}_{secrets.token_hex(4)}"


def linkage_backend(
    engine: str = "duckdb",
    *,
    spark_master: str = "local[2]",
    spark_driver_memory: str = "2g",
    spark_shuffle_partitions: int = 8,
    spark_work_dir: str = "",
    spark_break_lineage: str = "parquet",
    spark_codegen: str = "expression",
    spark_conf: Mapping[str, str] | None = None,
) -> LinkageBackend:
    """A :class:`LinkageBackend` from plain settings (configuration files, env vars).

    Raises:
        ValueError: an unknown engine or break-lineage method, named with the allowed ones.
    """
    if engine not in get_args(Engine):
        raise ValueError(
            f"linkage engine {engine!r} is not known: set CAREHUB_LINKAGE_ENGINE (or the "
            f"resource's 'engine') to one of {', '.join(get_args(Engine))}"
        )
    if spark_break_lineage not in get_args(BreakLineage):
        raise ValueError(
            f"spark_break_lineage {spark_break_lineage!r} is not known: use one of "
            f"{', '.join(get_args(BreakLineage))}"
        )
    if spark_codegen not in get_args(Codegen):
        raise ValueError(
            f"spark_codegen {spark_codegen!r} is not known: use one of "
            f"{', '.join(get_args(Codegen))}"
        )
    if spark_shuffle_partitions < 1:
        raise ValueError("spark_shuffle_partitions must be at least 1")
    spark = SparkConfig(
        master=spark_master,
        driver_memory=spark_driver_memory,
        shuffle_partitions=spark_shuffle_partitions,
        work_dir=Path(spark_work_dir) if spark_work_dir else None,
        break_lineage_method=spark_break_lineage,  # type: ignore[arg-type]
        codegen=spark_codegen,  # type: ignore[arg-type]
        conf=dict(spark_conf or {}),
    )
    return LinkageBackend(engine=engine, spark=spark)  # type: ignore[arg-type]


def _duckdb_parquet_relation(db_api: DatabaseAPISubClass, path: Path) -> Any:
    con = db_api.duckdb_con  # type: ignore[attr-defined]
    return con.read_parquet(str(path / "*.parquet") if path.is_dir() else str(path))


# --- model portability -------------------------------------------------------------------


def _port_sql(sql: str, source: str, target: str, where: str) -> str:
    if sql.strip().upper() == "ELSE" or source == target:
        return sql
    try:
        tree = sqlglot.parse_one(sql, read=source)
    except sqlglot.errors.ParseError as exc:
        raise UnportableModelError(
            f"{where}: the SQL does not parse as {source}; fix the comparison in the model "
            f"definition ({exc.errors[0].get('description', 'parse error')})"
        ) from exc
    if target == "spark":
        tree = tree.transform(_to_spark_functions)
    return tree.sql(dialect=target)


def _to_spark_functions(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.JarowinklerSimilarity):
        return exp.Anonymous(this="jaro_winkler", expressions=[node.this, node.expression])
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    if isinstance(node, exp.Anonymous):
        renamed = _SPARK_FUNCTION_NAMES.get(str(node.this).lower())
        if renamed:
            return exp.Anonymous(this=renamed, expressions=node.expressions)
    return node


def port_model(model: Mapping[str, Any] | Path, dialect: str) -> dict[str, Any]:
    """A copy of a saved Splink model with its SQL rewritten for ``dialect``.

    Splink stores blocking rules and comparison-level conditions as SQL text in the dialect
    that trained the model, and reads them back in the dialect of whichever engine loads it.
    Quoting alone differs (DuckDB ``"col"`` is a string literal to Spark), so the text must be
    translated; sqlglot does the translation and Splink's own function names are mapped.

    Args:
        model: the model JSON (``Linker.misc.save_model_to_json``), as a dict or a path.
        dialect: ``"duckdb"`` or ``"spark"``.

    Returns:
        The settings dict, with ``sql_dialect`` set to ``dialect``; m and u values untouched.

    Raises:
        UnportableModelError: a condition does not parse in the model's own dialect.
    """
    settings: dict[str, Any] = (
        json.loads(model.read_text()) if isinstance(model, Path) else json.loads(json.dumps(model))
    )
    source = settings.get("sql_dialect", "duckdb")
    for i, rule in enumerate(settings.get("blocking_rules_to_generate_predictions", [])):
        where = f"blocking rule {i + 1}"
        if isinstance(rule, str):
            settings["blocking_rules_to_generate_predictions"][i] = _port_sql(
                rule, source, dialect, where
            )
            continue
        if "blocking_rule" in rule:
            rule["blocking_rule"] = _port_sql(rule["blocking_rule"], source, dialect, where)
        if "blocking_rules" in rule:  # composite rules (And/Or) keep their parts
            rule["blocking_rules"] = [
                _port_sql(part, source, dialect, where) if isinstance(part, str) else part
                for part in rule["blocking_rules"]
            ]
        rule["sql_dialect"] = dialect
    for comparison in settings.get("comparisons", []):
        name = comparison.get("output_column_name", "?")
        for level in comparison.get("comparison_levels", []):
            where = f"comparison {name!r}, level {level.get('label_for_charts', '?')!r}"
            level["sql_condition"] = _port_sql(level["sql_condition"], source, dialect, where)
    settings["sql_dialect"] = dialect
    return settings


def load_linker(model: Mapping[str, Any] | Path, inputs: Sequence[SplinkDataFrame]) -> Linker:
    """A Splink linker over registered ``inputs`` that scores with the saved ``model``.

    The model is ported to the dialect of the inputs' database API first, so a model trained
    on DuckDB predicts on Spark unchanged.
    """
    from splink import Linker

    db_api = inputs[0].db_api
    settings = port_model(model, db_api.sql_dialect.sql_dialect_str)
    return Linker(list(inputs), settings, None)


# --- predict + cluster -------------------------------------------------------------------


@dataclass(frozen=True)
class LinkageOutput:
    """Scored pairs and clusters as Arrow tables, whatever the engine.

    Attributes:
        predictions: Splink's predict output at ``predict_threshold`` (``source_dataset_l``,
            ``<unique_id>_l``, ``..._r``, ``match_weight``, ``match_probability`` and the
            gamma columns).
        clusters: one row per input record: ``cluster_id``, ``source_dataset`` and the unique
            id column.
    """

    predictions: pa.Table
    clusters: pa.Table


def predict_and_cluster(
    model: Mapping[str, Any] | Path,
    tables: Mapping[str, InputTable],
    *,
    backend: LinkageBackend | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    predict_threshold: float = 0.01,
    cluster_threshold: float = 0.9,
) -> LinkageOutput:
    """Score every blocked pair of ``tables`` with the saved model, then cluster.

    Args:
        model: the saved Splink model (JSON dict or path), trained on any engine.
        tables: one input per dataset (partner), by dataset name.
        backend: the engine; DuckDB in memory when omitted.
        connection: the DuckDB connection to work in (DuckDB engine only).
        predict_threshold: minimum match probability kept in ``predictions``.
        cluster_threshold: match probability at which a pair joins one cluster.
    """
    backend = backend or LinkageBackend()
    db_api = backend.database_api(connection)
    inputs = [backend.register(db_api, table, name) for name, table in tables.items()]
    linker = load_linker(model, inputs)
    predictions = linker.inference.predict(threshold_match_probability=predict_threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=cluster_threshold
    )
    return LinkageOutput(predictions.as_pyarrow_table(), clusters.as_pyarrow_table())


def cluster_partition(
    clusters: pa.Table, id_columns: Sequence[str] = ("source_dataset", "unique_id")
) -> frozenset[frozenset[tuple[Any, ...]]]:
    """The clusters as a set of sets of record ids, independent of cluster-id labels.

    Two engines agree on a clustering when their partitions are equal, whatever ids they
    gave the clusters.
    """
    columns = [clusters.column(c).to_pylist() for c in id_columns]
    groups: dict[Any, set[tuple[Any, ...]]] = {}
    for cluster_id, *record in zip(
        clusters.column("cluster_id").to_pylist(), *columns, strict=True
    ):
        groups.setdefault(cluster_id, set()).add(tuple(record))
    return frozenset(frozenset(members) for members in groups.values())


# --- the Spark session -------------------------------------------------------------------

# Spark's console logging: errors only. The code generator's "grows beyond 64 KB" error is
# silenced: Spark falls back to interpreted evaluation by itself (see SparkConfig.codegen).
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
logger.codegen.name = org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator
logger.codegen.level = off
"""

_session_lock = threading.Lock()
_session: SparkSession | None = None
_session_config: SparkConfig | None = None
_work_dir: Path | None = None


def spark_work_dir(config: SparkConfig | None = None) -> Path:
    """The running session's work folder (Splink's intermediate Parquet, input copies)."""
    spark_session(config)
    assert _work_dir is not None
    return _work_dir


def spark_session(config: SparkConfig | None = None) -> SparkSession:
    """The process's Spark session with Splink's UDF jar, started on first use.

    A JVM hosts one session: a later call with a different config gets the running session
    (logged), since Spark cannot change ``spark.jars`` or driver memory after start.

    Raises:
        ImportError: pyspark is not installed (install the ``spark`` extra).
    """
    global _session, _session_config, _work_dir
    with _session_lock:
        if _session is not None and _session._jsc is not None:
            if config is not None and config != _session_config:
                logger.warning("a Spark session is already running; its settings are kept")
            return _session
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "the Spark linkage backend needs pyspark: install carehub with the 'spark' extra"
            ) from exc
        from splink.backends.spark import similarity_jar_location

        config = config or SparkConfig()
        work_dir = config.work_dir
        if work_dir is None:
            work_dir = Path(tempfile.mkdtemp(prefix="carehub-spark-"))
            atexit.register(shutil.rmtree, work_dir, True)
        work_dir.mkdir(parents=True, exist_ok=True)
        log_config = work_dir / "log4j2.properties"
        log_config.write_text(_LOG4J2)
        builder = (
            SparkSession.builder.master(config.master)
            .appName(config.app_name)
            .config("spark.driver.memory", config.driver_memory)
            .config("spark.sql.shuffle.partitions", str(config.shuffle_partitions))
            .config("spark.default.parallelism", str(config.shuffle_partitions))
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile={log_config}")
        )
        if config.master.startswith("local"):
            # Spark otherwise looks up the host's public address and warns when it is a loopback.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = (
                builder.config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
            )
        if config.codegen != "whole_stage":
            builder = builder.config("spark.sql.codegen.wholeStage", "false")
        if config.codegen == "interpreted":
            builder = builder.config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        for key, value in config.conf.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        session.sparkContext.setCheckpointDir(str(work_dir / "checkpoints"))
        _session, _session_config, _work_dir = session, config, work_dir
        return session


def stop_spark() -> None:
    """Stop the process's Spark session, if one was started."""
    global _session, _session_config, _work_dir
    with _session_lock:
        if _session is not None:
            _session.stop()
        _session, _session_config, _work_dir = None, None, None


# --- the hub's linkage run on Spark ------------------------------------------------------
# These mirror linkage.link.link_all / link_new: Splink scores (and, for a full re-link,
# clusters) on Spark; the results come back into the DuckDB work database under the same view
# names, so the same SQL (linkage/sql/*.sql) turns them into links and the record map.

_KEY_COLUMNS = ("partner_id_l", "record_pseudonym_l", "partner_id_r", "record_pseudonym_r")


def _spark_input(backend: LinkageBackend, con: duckdb.DuckDBPyConnection, table: str) -> Path:
    """Copy a DuckDB work table to Parquet where the Spark driver (and executors) can read it."""
    folder = spark_work_dir(backend.spark) / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}-{secrets.token_hex(4)}.parquet"
    con.table(table).write_parquet(str(path))
    return path


def _scores_only(sdf: SplinkDataFrame) -> pa.Table:
    """Splink's predictions without the compared values: keys, weights, gammas."""
    columns = [c.unquote().name for c in sdf.columns]
    keep = [c for c in columns if c in _KEY_COLUMNS or not c.endswith(("_l", "_r"))]
    listed = ", ".join(f"`{c}`" for c in keep)
    spark = spark_session()
    return spark.sql(f"SELECT {listed} FROM {sdf.physical_name}").toArrow()  # noqa: S608


def _into_duckdb(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")  # noqa: S608
    con.unregister(f"{name}_arrow")


def spark_link_all(
    db_api: Any, model: Mapping[str, Any], threshold: float, backend: LinkageBackend
) -> Any:
    """:func:`linkage.link.link_all` with Splink's predict and clustering on Spark.

    Args:
        db_api: the DuckDB work API holding table ``records`` (see ``linkage.link``).
        model: the saved model's settings dict (any dialect; it is ported).
        threshold: the link threshold (match probability).
        backend: a Spark backend.

    Returns:
        A ``linkage.link.Scored``; its ``predictions`` and ``linker`` live in the DuckDB work
        database (scores only), so charts and SQL downstream are engine-independent.
    """
    from splink import Linker

    from linkage.estimate import ESTIMATE_FLOOR, estimate_accuracy
    from linkage.link import Scored
    from linkage.records import sql

    con = db_api.duckdb_con
    spark_api = backend.database_api()
    records = backend.register(spark_api, _spark_input(backend, con, "records"), "records_all")
    linker = load_linker(model, [records])
    # Down to the same floor as the DuckDB engine: the same scored pairs, the same estimate.
    predictions = linker.inference.predict(
        threshold_match_probability=min(ESTIMATE_FLOOR, threshold), warning_mode="never"
    )
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    _into_duckdb(con, "scored_spark", _scores_only(predictions))
    _into_duckdb(
        con,
        "full_clusters",
        spark_session()
        .sql(f"SELECT cluster_id, partner_id, record_pseudonym FROM {clusters.physical_name}")  # noqa: S608
        .toArrow(),
    )
    con.execute("CREATE OR REPLACE VIEW scored AS SELECT * FROM scored_spark")
    scored = db_api.table_to_splink_dataframe("scored_spark", "scored_spark")
    local = Linker(
        [db_api.register("records", dataset_display_name="records_all")],
        dict(model),
        log_level=None,
        validate_settings=False,
    )
    # Splink's own clustering above applies no guard check: no link is contested here.
    con.execute(
        sql("guarded_links"),
        {
            "threshold": threshold,
            "twin_gamma": None,
            "twin_phone_gamma": None,
            "namesake_gamma": None,
        },
    )
    return Scored(
        links=con.sql(sql("accepted_links")).to_arrow_table(),
        clusters=con.sql(sql("full_map")).to_arrow_table(),
        predictions=scored,
        linker=local,
        scored_pairs=int(con.table("scored").count("*").fetchall()[0][0]),
        estimate=estimate_accuracy(con),
    )


def spark_link_new(
    db_api: Any,
    model: Mapping[str, Any],
    threshold: float,
    new_keys: pa.Table,
    prev_keys: pa.Table,
    tf_columns: tuple[str, ...],
    backend: LinkageBackend,
    tf_tables: Mapping[str, pa.Table] | None = None,
) -> Any:
    """:func:`linkage.link.link_new` with ``predict_between`` / ``predict_within`` on Spark.

    The new records are scored against the existing ones and among themselves on Spark; the
    small incremental graph (new records and the persons they touch) is clustered in DuckDB,
    exactly as on the DuckDB engine. Arguments as for ``link_new``.
    """
    from splink import Linker
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    from linkage.link import SCORE_FLOOR, Scored, split_records, term_frequencies
    from linkage.records import sql

    con = db_api.duckdb_con
    for name, table in (("new_keys", new_keys), ("prev_keys", prev_keys)):
        _into_duckdb(con, name, table)
    lookups: dict[str, Any] | None = None
    split_records(con, dict(model))
    spark_api = backend.database_api()
    inputs = {
        name: backend.register(spark_api, _spark_input(backend, con, name), display)
        for name, display in (
            ("records", "records_all"),
            ("existing_records", "existing"),
            ("new_records", "new"),
        )
    }
    if tf_tables is not None:
        lookups = {}
        for column in tf_columns:
            _into_duckdb(con, f"carehub_tf_{column}", tf_tables[column])
            path = _spark_input(backend, con, f"carehub_tf_{column}")
            lookups[column] = backend.register(spark_api, path, f"carehub_tf_{column}")
    linker = load_linker(model, [inputs["records"]])
    term_frequencies(linker, tf_columns, lookups)
    floor = min(SCORE_FLOOR, threshold)
    between = linker.inference.predict_between(
        inputs["existing_records"],
        inputs["new_records"],
        threshold_match_probability=floor,
        warning_mode="never",
    )
    within = linker.inference.predict_within(
        [inputs["new_records"]], threshold_match_probability=floor, warning_mode="never"
    )
    _into_duckdb(con, "scored_between", _scores_only(between))
    _into_duckdb(con, "scored_within", _scores_only(within))
    con.execute(sql("new_links"), {"threshold": threshold})
    con.execute(sql("incremental_graph"))
    components = cluster_pairwise_predictions_at_threshold(
        nodes="inc_nodes", edges="inc_edges", db_api=db_api, node_id_column_name="node_id"
    )
    components.as_duckdbpyrelation().create_view("inc_clusters", replace=True)
    links = con.table("new_links").order(
        "partner_id_l, record_pseudonym_l, partner_id_r, record_pseudonym_r"
    )
    local = Linker(
        [db_api.register("records", dataset_display_name="records_all")],
        dict(model),
        log_level=None,
        validate_settings=False,
    )
    return Scored(
        links=links.to_arrow_table(),
        clusters=con.sql(sql("incremental_map")).to_arrow_table(),
        predictions=db_api.table_to_splink_dataframe("scored_between", "scored_between"),
        linker=local,
        scored_pairs=int(con.table("scored_between").count("*").fetchall()[0][0])
        + int(con.table("scored_within").count("*").fetchall()[0][0]),
    )
