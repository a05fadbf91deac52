"""The hub's named checks, and the findings of a validation grouped under them.

:class:`Finding` (and ``MAX_ROWS_LISTED``) are in ``contract/findings.py``: the partner
client's own checks report the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from contract.findings import MAX_ROWS_LISTED, CheckName, Finding, Severity

__all__ = [
    "CHECKS",
    "CHECK_INFO",
    "MAX_ROWS_LISTED",
    "CheckInfo",
    "CheckName",
    "Finding",
    "Severity",
    "blocking",
    "by_check",
    "neutralise_formula",
]


@dataclass(frozen=True)
class CheckInfo:
    """How a check shows in Dagster: its description and whether it blocks the data."""

    name: CheckName
    description: str
    blocking: bool


CHECKS: Final[tuple[CheckInfo, ...]] = (
    CheckInfo(
        "package_complete",
        "The package is complete: manifest.json present (written last), every listed file "
        "present, no file outside the manifest, no path leaving the package.",
        True,
    ),
    CheckInfo(
        "manifest_integrity",
        "manifest.json parses; every file's sha256 and row count match; no file is empty "
        "or corrupt.",
        True,
    ),
    CheckInfo(
        "partner_and_key",
        "The partner is registered and active in config/governance.yaml, and the submission's "
        "key fingerprint is the registered (or a still-accepted) one.",
        True,
    ),
    CheckInfo(
        "spec_version",
        "The submission uses a spec version the hub links, and its truncated tokens have the "
        "widths of every submission it is linked with (one announced ecosystem size).",
        True,
    ),
    CheckInfo(
        "schema_and_types",
        "Exactly the columns of the spec, with their types; no identifier column smuggled in.",
        True,
    ),
    CheckInfo(
        "encoding_format",
        "Every pseudonym, event id and token is lower hex of its length (Great Expectations).",
        True,
    ),
    CheckInfo(
        "payload_domains",
        "Dates between 1900 and today, codes within their allowed sets, field lengths, no "
        "spreadsheet formulas (Great Expectations).",
        True,
    ),
    CheckInfo(
        "duplicate_records",
        "record_pseudonym unique in persons.parquet, event_id unique in events.parquet "
        "(Great Expectations).",
        True,
    ),
    CheckInfo(
        "referential_integrity",
        "Every event's record_pseudonym has a row in persons.parquet.",
        True,
    ),
    CheckInfo(
        "plaintext_identifiers",
        "No column holds what looks like a name, date, phone number, SSN or e-mail address "
        "where only encodings and codes belong.",
        True,
    ),
    CheckInfo(
        "drift",
        "Volume and null rates against the partner's own previous submissions (warning only).",
        False,
    ),
    CheckInfo(
        "idempotency",
        "The package is not a re-delivery of an ingested one, and any `supersedes` names an "
        "ingested submission of the same partner.",
        True,
    ),
)
CHECK_INFO: Final[dict[str, CheckInfo]] = {c.name: c for c in CHECKS}

# Leading characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Make ``text`` inert in a spreadsheet: prefix a leading formula trigger with ``'``.

    >>> neutralise_formula("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop a submission."""
    return [f for f in findings if f.blocking]


def by_check(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by check name, in :data:`CHECKS` order (checks without findings omitted)."""
    grouped: dict[str, list[Finding]] = {}
    for info in CHECKS:
        hits = [f for f in findings if f.check == info.name]
        if hits:
            grouped[info.name] = hits
    return grouped
