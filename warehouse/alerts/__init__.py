"""Real-time care-coordination alerts (docs/alerts.md).

Public API:

* :func:`process_alerts` - route the events of newly ingested events packages to the subscribed
  partners' own records of the same person; write one sealed, signed, audited alert file per
  recipient into ``outbox/<partner>/alerts/``; record what was sent (idempotency) and each
  package's counts and latency.
* :func:`pending_batches` - events packages not alerted on yet.
* :func:`alert_status` - counts per recipient and the last packages, for ``carehub status``.

The file is the extract envelope (``warehouse/extracts/envelope.py``) with ``kind: alert`` in
its manifest; ``partner/inbox.py`` is the reading side.
"""

from contract.envelope import ALERT_SUFFIX
from warehouse.alerts.run import (
    DECISIONS,
    PAYLOAD_FORMAT,
    AlertFile,
    AlertRun,
    BatchOutcome,
    alerts_dir,
    ensure_schema,
    is_events_package,
    pending_batches,
    process_alerts,
)
from warehouse.alerts.status import AlertStatus, alert_status, has_alerts

__all__ = [
    "ALERT_SUFFIX",
    "DECISIONS",
    "PAYLOAD_FORMAT",
    "AlertFile",
    "AlertRun",
    "AlertStatus",
    "BatchOutcome",
    "alert_status",
    "alerts_dir",
    "ensure_schema",
    "has_alerts",
    "is_events_package",
    "pending_batches",
    "process_alerts",
]
