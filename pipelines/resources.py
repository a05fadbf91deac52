"""Dagster resources. Configured from ``EnvVar`` at launch, never from ``os.environ`` at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from carehub.db import connection
from carehub.home import HubHome


class HubResource(dg.ConfigurableResource):
    """The hub's home directory and its DuckDB warehouse (``warehouse/hub.duckdb``)."""

    home: str

    @property
    def paths(self) -> HubHome:
        return HubHome.resolve(self.home).ensure()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connection(self.paths.hub_db, read_only=read_only) as con:
            yield con
