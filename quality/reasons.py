"""Quarantine reasons: ``reason.json`` for machines, ``reason.txt`` to forward to the partner.

Both name the check, the file, the column and the row numbers, the class of the problem and the
fix; neither holds a value from the package. Every line of ``reason.txt`` is neutralised
against spreadsheet formula injection, since people paste such text into spreadsheets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from quality.findings import CHECK_INFO, Finding, by_check, neutralise_formula

REASON_VERSION = "1"


def reason_document(
    *,
    submission_id: str,
    partner_id: str,
    decided_at: datetime,
    findings: Sequence[Finding],
    outcome: str = "quarantined",
    purged_files: Sequence[str] = (),
    manifest_sha256: str | None = None,
    purge_reasons: Sequence[str] = (),
) -> dict[str, Any]:
    """The machine-readable reason (``reason.json``)."""
    blocking = [f for f in findings if f.blocking]
    return {
        "reason_version": REASON_VERSION,
        "submission_id": submission_id,
        "partner_id": partner_id,
        "outcome": outcome,
        "decided_at": decided_at.isoformat(timespec="seconds"),
        "manifest_sha256": manifest_sha256,
        "failed_checks": sorted({f.check for f in blocking}),
        "purged_files": list(purged_files),
        "purge_reasons": list(purge_reasons),
        "findings": [f.as_dict() for f in findings],
    }


def reason_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"


def summary(findings: Sequence[Finding]) -> str:
    """One line: the first blocking problem and how many more (for status and logs)."""
    blocking = [f for f in findings if f.blocking] or list(findings)
    if not blocking:
        return "no problems"
    first = blocking[0]
    where = first.where()
    more = f" (+{len(blocking) - 1} more)" if len(blocking) > 1 else ""
    return f"{first.check}: {where + ': ' if where else ''}{first.message}{more}"


def reason_text(document: dict[str, Any], findings: Sequence[Finding]) -> str:
    """The human-readable reason (``reason.txt``), safe to forward to the partner."""
    outcome = document["outcome"]
    lines = [
        f"Submission {document['submission_id']} from {document['partner_id']}",
        f"Outcome: {outcome} at {document['decided_at']}",
        "",
    ]
    if outcome == "duplicate":
        lines.append(
            "This package was already ingested; nothing was loaded twice and nothing needs "
            "to be done."
        )
    else:
        lines.append(
            "Nothing from this package was loaded. Please fix the problems below and send a "
            "new package (a new submission id). Row numbers count data rows from 1."
        )
    if document["purged_files"]:
        why = document.get("purge_reasons") or ["they may hold raw identifiers"]
        lines += [
            "",
            f"The hub deleted these files on arrival: {', '.join(document['purged_files'])}, "
            f"because {'; '.join(why)}. "
            "It keeps no identifier, not even in quarantine; the counts, columns and rows "
            "below are all that stays.",
        ]
    for check, hits in by_check(findings).items():
        info = CHECK_INFO[check]
        lines += ["", f"[{check}] {info.description}"]
        for f in hits:
            where = f.where()
            tag = "" if f.blocking else f" ({f.severity})"
            lines.append(f"  - {where + ': ' if where else ''}{f.message}{tag}")
            lines.append(f"    Fix: {f.fix}")
    return "\n".join(neutralise_formula(line) for line in lines) + "\n"
