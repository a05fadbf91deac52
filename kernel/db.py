"""Opening the hub's DuckDB files, waiting politely while another process holds the lock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

LOCK_WAIT_SECONDS = 120.0


def connect(
    path: Path, *, read_only: bool = False, wait: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """Open ``path``; retry while another process holds DuckDB's file lock.

    Raises:
        duckdb.IOException: the lock was still held after ``wait`` seconds.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def connection(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context-managed :func:`connect` that always closes the connection."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def given_or_own(
    con: duckdb.DuckDBPyConnection | None, path: Path
) -> Iterator[duckdb.DuckDBPyConnection]:
    """``con`` when the caller has one open (left open), else a connection of its own to
    ``path``, closed afterwards."""
    if con is not None:
        yield con
        return
    with connection(path) as own:
        yield own
