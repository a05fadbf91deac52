"""What a check found: one :class:`Finding` per problem, naming where and the fix, never a value.

A finding names the file, the column and the (1-based) data rows, the class of the problem and
the fix. It never carries a value from the package: a value could be an identifier that a
partner left in by mistake, and findings go to ``reason.json``, ``reason.txt``, the steward log
and Dagster's event log. The partner client's checks (the plaintext-identifier detector of
``encoding/plaintext.py``) and the hub's (``quality/``) report with the same type; the hub's
check names and their descriptions are in ``quality/findings.py``.
"""

from __future__ import annotations

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
MAX_ROWS_LISTED: Final = 10


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
