"""What a steward sees of the alerts: counts per partner and the last packages (no values)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.alerts.run import pending_batches, sql


@dataclass(frozen=True)
class RecipientCounts:
    """Alert files and items a partner was sent, and when last."""

    partner_id: str
    files: int
    items: int
    last: datetime


@dataclass(frozen=True)
class BatchRow:
    """One events package alerted on."""

    submission_id: str
    partner_id: str
    written_at: datetime
    latency_seconds: float
    events: int
    alerts_sent: int
    recipients: int
    counts: dict[str, int]


@dataclass(frozen=True)
class AlertStatus:
    """Alerts as ``carehub status`` shows them."""

    recipients: list[RecipientCounts]
    batches: list[BatchRow]
    pending: int
    waiting_for_linkage: int


def alert_status(con: duckdb.DuckDBPyConnection, *, last: int = 5) -> AlertStatus:
    """Counts per recipient, the ``last`` events packages, and how many wait (read-only: on
    a hub that never alerted, :func:`has_alerts` is false and this is not called)."""
    recipients = [
        RecipientCounts(str(p), int(f), int(i), t)
        for p, f, i, t in con.execute(sql("status")).fetchall()
    ]
    batches = [
        BatchRow(str(s), str(p), w, float(lat), int(e), int(a), int(r), dict(json.loads(str(c))))
        for s, p, w, lat, e, a, r, c in con.execute(
            sql("status_batches"), {"limit": last}
        ).fetchall()
    ]
    pending = pending_batches(con)
    return AlertStatus(
        recipients=recipients,
        batches=batches,
        pending=len(pending),
        waiting_for_linkage=sum(1 for b in pending if b[4] > 0),
    )


def has_alerts(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether hub.duckdb holds the alerts tables (an alert run happened)."""
    rows = con.execute(sql("tables_exist")).fetchall()
    return bool(rows[0][0])
