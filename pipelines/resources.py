"""Dagster resources. Configured from ``EnvVar`` at launch, never from ``os.environ`` at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field

from kernel.db import connection
from kernel.home import HubHome
from linkage.backends import LinkageBackend, linkage_backend
from linkage.settings import LinkageSettings
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


_DEFAULTS = LinkageSettings()


class LinkageBackendResource(dg.ConfigurableResource):
    """The linkage settings of the code location, and where Splink runs: ``duckdb`` (default,
    in the hub's process) or ``spark``.

    The same saved model JSON scores on either engine (see ``linkage.engines``). The
    ``spark_*`` settings apply only when ``engine`` is ``spark``; see docs/deployment.md.
    :meth:`settings` is what the linkage assets and their checks all use, so a check judges
    a run by the settings that made it.
    """

    engine: str = "duckdb"
    spark_master: str = "local[2]"
    spark_driver_memory: str = "2g"
    spark_shuffle_partitions: int = 8
    spark_work_dir: str = ""
    spark_break_lineage: str = "parquet"
    spark_codegen: str = "expression"
    spark_conf: dict[str, str] = Field(default_factory=dict)
    # The linkage asset checks' limits (linkage.settings.LinkageSettings has their reasons).
    max_cluster_size: int = _DEFAULTS.max_cluster_size
    singleton_share_low: float = _DEFAULTS.singleton_share_band[0]
    singleton_share_high: float = _DEFAULTS.singleton_share_band[1]
    partner_match_rate_low: float = _DEFAULTS.partner_match_rate_band[0]
    partner_match_rate_high: float = _DEFAULTS.partner_match_rate_band[1]

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

    def settings(self) -> LinkageSettings:
        """The :class:`linkage.settings.LinkageSettings` of every linkage asset and check.

        Raises:
            ValueError: a backend setting is not a known choice.
        """
        return replace(
            _DEFAULTS,
            backend=self.backend(),
            max_cluster_size=self.max_cluster_size,
            singleton_share_band=(self.singleton_share_low, self.singleton_share_high),
            partner_match_rate_band=(self.partner_match_rate_low, self.partner_match_rate_high),
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
