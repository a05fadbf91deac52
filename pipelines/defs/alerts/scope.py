"""What ``linked_persons`` links in an ``alerts_job`` run: the pending events packages only.

A hub-wide incremental run reads every current record to find the new ones (45 s at a million
records here); the packages an alert run is for name their records, so the run is scoped to
them (``linkage.incremental``). Anything the scoped run cannot decide alone (a first run, a new
model, a changed record) becomes a full run there.
"""

from typing import Any

import dagster as dg
import duckdb

from linkage.incremental import ScopedResult
from warehouse.alerts import ensure_schema, pending_batches

ALERTS_JOB = "alerts_job"


def alert_scope(context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection) -> list[str]:
    """The events packages to link in this run: every pending one in an ``alerts_job`` run,
    none (link hub-wide) in any other job."""
    if context.run.job_name != ALERTS_JOB:
        return []
    ensure_schema(con)
    return [submission_id for submission_id, *_ in pending_batches(con)]


def scoped_metadata(result: ScopedResult) -> dict[str, Any]:
    """Counts of a scoped run for the materialization (no pseudonym, no key)."""
    return {
        "run_id": result.run_id or "",
        "mode": f"scoped: {result.mode}",
        "reason": result.reason,
        "records": result.records,
        "records_added": result.new,
        "scored_pairs": result.scored_pairs,
        "links_written": result.links_written,
        "key_churn": dg.MetadataValue.json(result.churn.as_dict()),
        "seconds": round(result.seconds, 2),
    }
