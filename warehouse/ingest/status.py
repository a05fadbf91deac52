"""Submissions by state, for stewards: ingested, superseded, quarantined (with reason), pending."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kernel.db import connection
from kernel.home import HubHome
from warehouse.ingest.landing import scan
from warehouse.ingest.package import sql


@dataclass(frozen=True)
class SubmissionRow:
    """One line of the status listing (names, states, counts only)."""

    submission_id: str
    partner_id: str
    state: str
    at: datetime | None
    detail: str
    location: str = ""


@dataclass
class IngestStatus:
    """Submissions grouped by state.

    Attributes:
        ingested: Current submissions (state ``ingested``).
        superseded: Replaced by a later submission (or ``deleted``).
        quarantined: Rejected packages with their one-line reason (and duplicates).
        pending: Packages in landing: still being written, or ready and waiting for the sensor.
    """

    ingested: list[SubmissionRow] = field(default_factory=list)
    superseded: list[SubmissionRow] = field(default_factory=list)
    quarantined: list[SubmissionRow] = field(default_factory=list)
    pending: list[SubmissionRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: [row.__dict__ for row in getattr(self, name)]
            for name in ("ingested", "superseded", "quarantined", "pending")
        }


def _reason_from_folder(home: HubHome, location: str | None) -> str | None:
    if not location:
        return None
    path = home.root / location / "reason.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    checks = data.get("failed_checks") or []
    return f"failed: {', '.join(checks)}" if checks else None


def collect(home: HubHome) -> IngestStatus:
    """Read staging (read-only) and the landing area."""
    status = IngestStatus()
    if home.hub_db.exists():
        with connection(home.hub_db, read_only=True) as con:
            has_staging = con.execute(sql("has_staging")).fetchone()
            if has_staging and has_staging[0]:
                for sid, pid, state, at, prow, erow, sup, sup_by, warns in con.execute(
                    sql("status_submissions")
                ).fetchall():
                    detail = f"{prow} persons, {erow} events"
                    if warns:
                        detail += f", {warns} drift warning(s)"
                    if sup:
                        detail += f", supersedes {sup}"
                    if state == "ingested":
                        status.ingested.append(SubmissionRow(sid, pid, state, at, detail))
                    else:
                        extra = f", superseded by {sup_by}" if sup_by else ""
                        status.superseded.append(SubmissionRow(sid, pid, state, at, detail + extra))
                for sid, pid, outcome, at, location, summary in con.execute(
                    sql("status_deliveries")
                ).fetchall():
                    if location and not (home.root / location).exists():
                        continue  # removed by the retention sweep
                    status.quarantined.append(
                        SubmissionRow(
                            sid,
                            pid,
                            outcome,
                            at,
                            summary or _reason_from_folder(home, location) or "",
                            location or "",
                        )
                    )
    for entry in scan(home):
        detail = entry.reason if entry.state != "ready" else "complete; waiting for the sensor"
        status.pending.append(
            SubmissionRow(
                entry.submission_id,
                entry.partner_id,
                entry.state,
                entry.last_change,
                detail,
                str(entry.path.relative_to(home.root)),
            )
        )
    return status
