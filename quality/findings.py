"""What a validation found: one :class:`Finding` per problem, grouped under a named check.

A finding names the file, the column and the (1-based) data rows, the class of the problem and
the fix. It never carries a value from the package: a value could be an identifier that a
partner left in by mistake, and findings go to ``reason.json``, ``reason.txt``, the steward log
and Dagster's event log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

CheckName = Literal[
    "package_complete",
    "manifest_integrity",
    "partner_and_key",
    "spec_version",
    "schema_and_types",
    "encoding_format",
    "payload_domains",
    "duplicate_records",
    "referential_integrity",
    "plaintext_identifiers",
    "drift",
    "idempotency",
]
Severity = Literal["error", "warning", "info"]


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
    CheckInfo("spec_version", "The submission uses a spec version the hub knows.", True),
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
MAX_ROWS_LISTED: Final = 10


def neutralise_formula(text: str) -> str:
    """Make ``text`` inert in a spreadsheet: prefix a leading formula trigger with ``'``.

    >>> neutralise_formula("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


@dataclass(frozen=True)
class Finding:
    """One problem in one submission.

    Attributes:
        check: The check that found it (one Dagster asset check per name).
        message: What is wrong, naming the class of a bad value, never the value itself.
        fix: What the partner (or steward) should do.
        severity: ``error`` blocks the submission; ``warning`` and ``info`` are reported only.
        file: The package file concerned, if any.
        column: The column concerned, if any.
        rows: Up to :data:`MAX_ROWS_LISTED` 1-based data row numbers, if known.
        count: How many values or rows are affected, if known.
        expectation: The Great Expectations expectation type, when GX found it.
    """

    check: CheckName
    message: str
    fix: str
    severity: Severity = "error"
    file: str | None = None
    column: str | None = None
    rows: tuple[int, ...] = ()
    count: int | None = None
    expectation: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    def where(self) -> str:
        """``persons.parquet, column tok_first_dob, rows 3, 9`` (the parts that are known)."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.column:
            parts.append(f"column {self.column}")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = self.count is not None and self.count > len(self.rows)
            parts.append(f"row{'s' if len(self.rows) > 1 else ''} {shown}{' ...' if more else ''}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rows"] = list(self.rows)
        if not out["extra"]:
            del out["extra"]
        return out


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
