"""Dagster resources. Configured from ``EnvVar`` at launch, never from ``os.environ`` at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field

from kernel.db import connection
from kernel.home import HubHome
from linkage.backends import LinkageBackend, linkage_backend
from pipelines.dagster_home import ensure_dagster_home


class HubResource(dg.ConfigurableResource):
    """The hub's home directory and its DuckDB warehouse (``warehouse/hub.duckdb``)."""

    home: str

    @property
    def paths(self) -> HubHome:
        return ensure_dagster_home(HubHome.resolve(self.home))

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connection(self.paths.hub_db, read_only=read_only) as con:
            yield con


class LinkageBackendResource(dg.ConfigurableResource):
    """Where Splink runs: ``duckdb`` (default, in the hub's process) or ``spark``.

    The same saved model JSON scores on either engine (see ``linkage.backends``). The
    ``spark_*`` settings apply only when ``engine`` is ``spark``; see docs/deployment.md.
    """

    engine: str = "duckdb"
    spark_master: str = "local[2]"
    spark_driver_memory: str = "2g"
    spark_shuffle_partitions: int = 8
    spark_work_dir: str = ""
    spark_break_lineage: str = "parquet"
    spark_codegen: str = "expression"
    spark_conf: dict[str, str] = Field(default_factory=dict)

    def backend(self) -> LinkageBackend:
        """The configured :class:`linkage.backends.LinkageBackend`.

        Raises:
            ValueError: ``engine`` or ``spark_break_lineage`` is not a known choice.
        """
        return linkage_backend(
            engine=self.engine,
            spark_master=self.spark_master,
            spark_driver_memory=self.spark_driver_memory,
            spark_shuffle_partitions=self.spark_shuffle_partitions,
            spark_work_dir=self.spark_work_dir,
            spark_break_lineage=self.spark_break_lineage,
            spark_codegen=self.spark_codegen,
            spark_conf=self.spark_conf,
        )

    @classmethod
    def from_env(cls) -> LinkageBackendResource:
        """The resource with each setting bound to its ``CAREHUB_LINKAGE_*`` env var if set.

        Called when the code location loads (never at import). Unset variables keep the
        defaults, so a hub without any of them links on DuckDB.
        """
        fields = {
            "engine": "CAREHUB_LINKAGE_ENGINE",
            "spark_master": "CAREHUB_SPARK_MASTER",
            "spark_driver_memory": "CAREHUB_SPARK_DRIVER_MEMORY",
            "spark_work_dir": "CAREHUB_SPARK_WORK_DIR",
            "spark_break_lineage": "CAREHUB_SPARK_BREAK_LINEAGE",
            "spark_codegen": "CAREHUB_SPARK_CODEGEN",
        }
        bound: dict[str, Any] = {
            name: dg.EnvVar(var) for name, var in fields.items() if dg.EnvVar(var).get_value()
        }
        if dg.EnvVar("CAREHUB_SPARK_SHUFFLE_PARTITIONS").get_value():
            bound["spark_shuffle_partitions"] = dg.EnvVar.int("CAREHUB_SPARK_SHUFFLE_PARTITIONS")
        return cls(**bound)
