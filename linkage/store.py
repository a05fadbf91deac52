"""The linkage tables of hub.duckdb: created idempotently, replaced in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from kernel import clock
from kernel.faults import pause_point
from linkage.keys import Churn
from linkage.records import sql


@dataclass(frozen=True)
class RunSummary:
    """The latest run for a steward: counts, threshold and the label-free estimate."""

    run_id: str
    mode: str
    finished_at: datetime | None
    records: int
    persons: int
    link_threshold: float | None
    estimate_run_id: str | None
    estimate: dict[str, Any] | None


def last_run_summary(con: duckdb.DuckDBPyConnection) -> RunSummary | None:
    """The latest linkage run with the latest full run's accuracy estimate; None before any."""
    row = con.execute(sql("last_estimate")).fetchone()
    if row is None:
        return None
    run_id, mode, finished_at, records, persons, threshold, estimate_run_id, estimate = row
    return RunSummary(
        run_id=run_id,
        mode=mode,
        finished_at=finished_at,
        records=records,
        persons=persons,
        link_threshold=threshold,
        estimate_run_id=estimate_run_id,
        estimate=json.loads(estimate) if estimate else None,
    )


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``linkage`` schema and its tables if missing."""
    con.execute(sql("schema"))


def write_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    started_at: datetime,
    mode: str,
    model_version: str,
    links: pa.Table,
    replace_links: bool,
    churn: Churn,
    details: dict[str, Any],
) -> None:
    """Write this run's answer, links, key events and run row, all or nothing.

    Expects the temp tables left by :func:`linkage.keys.assign_keys` on ``con``.
    """
    params = {"run_id": run_id}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(sql("next_records"), params)
        con.execute(sql("next_persons"), params)
        con.execute(sql("insert_key_events"), params)
        con.execute(sql("replace_answer"))
        if replace_links:
            con.execute(sql("clear_links"))
        con.register("links_arrow", links)
        con.execute(sql("insert_links"), params)
        con.unregister("links_arrow")
        con.execute(
            sql("insert_run"),
            {
                "run_id": run_id,
                "started_at": started_at,
                "finished_at": clock.now(),
                "mode": mode,
                "model_version": model_version,
                "churn": json.dumps(churn.as_dict()),
                "details": json.dumps(details, sort_keys=True),
            },
        )
        pause_point("linkage:before_commit")  # fault tests kill the run here
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
