"""Where Splink scores a hub run: one interface, a DuckDB and a Spark implementation.

:func:`linkage.link.link_all` and :func:`linkage.link.link_new` are written once against
:class:`Scorer`. Every run keeps its records, and everything after scoring (clustering, links,
the accuracy estimate, key assignment), in Splink's DuckDB work database (``linkage.model.
splink_api``), so the SQL in ``linkage/sql`` is engine-independent. A scorer decides only where
Splink's ``predict``/``predict_between``/``predict_within`` run and brings the scores back:

* :class:`DuckDBScorer` scores in the work database itself (Splink's ``DuckDBAPI``);
* :class:`SparkScorer` copies the inputs to Parquet, scores with Splink's ``SparkAPI`` on the
  model ported to Spark SQL (``linkage.backends.port_model``), and copies the scores (keys,
  weights and gammas, never the compared values) back into the work database.

Pick one with :func:`scorer` from the run's :class:`linkage.backends.LinkageBackend`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker
from splink.internals.splink_dataframe import SplinkDataFrame

from linkage.backends import LinkageBackend, SparkConfig, load_linker, spark_session, spark_work_dir
from linkage.splink_model import SplinkModel, copy_model, to_splink

_KEY_COLUMNS = ("partner_id_l", "record_pseudonym_l", "partner_id_r", "record_pseudonym_r")


class Scorer(Protocol):
    """Splink scoring for one run, over tables of the DuckDB work database ``db_api``."""

    def register(self, table: str, display_name: str) -> SplinkDataFrame:
        """Splink input for work-database table ``table`` (dataset ``display_name``)."""
        ...

    def register_lookup(self, name: str, table: pa.Table) -> SplinkDataFrame:
        """A term-frequency lookup table as a Splink input named ``name``."""
        ...

    def linker(self, model: SplinkModel, records: SplinkDataFrame) -> Linker:
        """A linker over ``records`` (from :meth:`register`) that scores with ``model``."""
        ...

    def keep(self, scores: SplinkDataFrame, name: str) -> SplinkDataFrame:
        """Expose ``scores`` as view ``name`` of the work database; returns them there."""
        ...

    def chart_linker(self, linker: Linker, model: SplinkModel) -> Linker:
        """A linker on the work database, for charts of the scores :meth:`keep` brought back."""
        ...


class DuckDBScorer:
    """Splink scores inside the DuckDB work database itself."""

    def __init__(self, db_api: DuckDBAPI) -> None:
        self.db_api = db_api

    def register(self, table: str, display_name: str) -> SplinkDataFrame:
        return self.db_api.register(table, dataset_display_name=display_name)

    def register_lookup(self, name: str, table: pa.Table) -> SplinkDataFrame:
        return self.db_api.register(table, table_name=name)

    def linker(self, model: SplinkModel, records: SplinkDataFrame) -> Linker:
        return Linker(
            [records], to_splink(copy_model(model)), log_level=None, validate_settings=False
        )

    def keep(self, scores: SplinkDataFrame, name: str) -> SplinkDataFrame:
        scores.as_duckdbpyrelation().create_view(name, replace=True)
        return scores

    def chart_linker(self, linker: Linker, model: SplinkModel) -> Linker:
        return linker


class SparkScorer:
    """Splink scores on Spark (a fresh ``SparkAPI`` per run, on the process's session)."""

    def __init__(self, db_api: DuckDBAPI, config: SparkConfig) -> None:
        from splink import SparkAPI

        self.db_api = db_api
        self.config = config
        self.spark_api = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=spark_session(config),
            break_lineage_method=config.break_lineage_method,
            num_partitions_on_repartition=config.shuffle_partitions,
        )

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        return self.db_api.duckdb_con

    def _parquet(self, table: str) -> Path:
        """Copy a work table to Parquet where the Spark driver (and executors) can read it."""
        folder = spark_work_dir(self.config) / "inputs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{table}-{secrets.token_hex(4)}.parquet"
        self._con.table(table).write_parquet(str(path))
        return path

    def register(self, table: str, display_name: str) -> SplinkDataFrame:
        return LinkageBackend("spark", self.config).register(
            self.spark_api, self._parquet(table), display_name
        )

    def register_lookup(self, name: str, table: pa.Table) -> SplinkDataFrame:
        _into_duckdb(self._con, name, table)
        return self.register(name, name)

    def linker(self, model: SplinkModel, records: SplinkDataFrame) -> Linker:
        return load_linker(model, [records])

    def keep(self, scores: SplinkDataFrame, name: str) -> SplinkDataFrame:
        columns = [c.unquote().name for c in scores.columns]
        keep = [c for c in columns if c in _KEY_COLUMNS or not c.endswith(("_l", "_r"))]
        listed = ", ".join(f"`{c}`" for c in keep)
        query = f"SELECT {listed} FROM {scores.physical_name}"  # noqa: S608 - Splink's names
        _into_duckdb(self._con, f"{name}_spark", spark_session(self.config).sql(query).toArrow())
        self._con.table(f"{name}_spark").create_view(name, replace=True)
        return self.db_api.table_to_splink_dataframe(f"{name}_spark", f"{name}_spark")

    def chart_linker(self, linker: Linker, model: SplinkModel) -> Linker:
        return work_linker(self.db_api, model, "records_all")


def work_linker(db_api: DuckDBAPI, model: SplinkModel, name: str) -> Linker:
    """A linker of ``model`` as saved (text pair keys) on the work database's ``records``,
    registered under ``name`` (each name once per work database)."""
    return Linker(
        [db_api.register("records", table_name=name, dataset_display_name="records_all")],
        to_splink(copy_model(model)),
        log_level=None,
        validate_settings=False,
    )


def _into_duckdb(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")  # noqa: S608
    con.unregister(f"{name}_arrow")


def scorer(db_api: DuckDBAPI, backend: LinkageBackend | None = None) -> Scorer:
    """The scorer of ``backend`` (DuckDB when None) for a run in work database ``db_api``."""
    if backend is None or backend.engine == "duckdb":
        return DuckDBScorer(db_api)
    return SparkScorer(db_api, backend.spark)
