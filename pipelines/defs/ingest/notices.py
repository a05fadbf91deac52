"""What the steward hears about ingest: the library decides and returns an outcome, this tells.

Each decision made now gets a line in ``logs/carehub.log``; a quarantine, a supersede and a
sweep of empty folders are also steward notices (``pipelines.notify``: the configured hooks). A
re-run that only reports an earlier decision (``already_decided``) says nothing again. Names,
counts and ids only, never a value.
"""

from __future__ import annotations

from collections.abc import Iterable

from kernel.home import HubHome
from kernel.steward_log import log_line
from pipelines.notify import Notice, notify
from warehouse.ingest import IngestResult
from warehouse.ingest.landing import LandingEntry, bounded


def announce(home: HubHome, result: IngestResult) -> None:
    """Log (and, for a quarantine or a supersede, notify) the decision in ``result``."""
    if result.already_decided:
        return
    sid, partner = result.submission_id, result.partner_id
    if result.outcome == "quarantined":
        where = result.location.relative_to(home.root) if result.location else home.quarantine
        failed = sorted({f.check for f in result.findings if f.blocking})
        notify(
            home,
            Notice(
                level="warning",
                subject=f"Submission quarantined: {sid}",
                message=f"from {partner}: {result.message}; nothing was loaded. Forward "
                f"{where}/reason.txt to the partner.",
                source="ingest",
                details={"partner_id": partner, "failed_checks": ", ".join(failed)},
            ),
        )
    elif result.outcome == "duplicate":
        log_line(home, "info", "ingest", f"{sid}: {result.message}")
    elif result.outcome == "ingested":
        log_line(home, "info", "ingest", f"{sid} from {partner}: {result.message}")
        if result.superseded:
            notify(
                home,
                Notice(
                    level="warning",
                    subject=f"Submission superseded: {result.superseded}",
                    message=f"{result.superseded} from {partner} is SUPERSEDED by {sid}: its "
                    "rows no longer count as current",
                    source="ingest",
                    details={"partner_id": partner},
                ),
            )


def announce_swept(home: HubHome, swept: list[str], entries: Iterable[LandingEntry]) -> None:
    """One notice for the empty stale folders quarantined in one pass (none: nothing)."""
    if not swept:
        return
    notify(
        home,
        Notice(
            level="warning",
            subject=f"{len(swept)} empty package folder(s) quarantined",
            message=f"empty past the grace period, quarantined in one pass: {bounded(swept)}",
            source="ingest",
            details={"partners": ", ".join(sorted({e.partner_id for e in entries}))[:200]},
        ),
    )
