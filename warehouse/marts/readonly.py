"""Opening the published marts the way analysts do: read-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from kernel.db import connection


@contextmanager
def open_marts(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to ``marts.duckdb`` (waits while a writer holds the lock)."""
    with connection(Path(path), read_only=True) as con:
        yield con
