"""What goes into one partner's extract: the minimum necessary, and nothing of any other partner.

For a recipient partner the content is, per record of its OWN that is consented and in at least one
segment its agreement allows: the record pseudonym (which only that partner can map back), those
segments, and the yes/no context flags the agreement allows. Context flags are derived from other
partners' consented records of the same linked person, honouring explicit (42 CFR Part 2) consent;
they never carry another partner's pseudonym, person key, partner id, date or payload value.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from contract.envelope import PAYLOAD_FORMAT
from contract.vocabulary import CONTEXT_FLAGS
from warehouse.governance import Agreement, Governance

_SQL = Path(__file__).parent


def _sql(name: str) -> str:
    return (_SQL / name).read_text()


class ExtractContentError(RuntimeError):
    """The content failed its own safety post-condition; nothing is written."""


@dataclass(frozen=True)
class ExtractRecord:
    """One row of an extract."""

    record_pseudonym: str
    segments: tuple[str, ...]
    flags: dict[str, bool]


@dataclass(frozen=True)
class ExtractContent:
    """The plaintext content of one extract, before encryption.

    Attributes:
        recipient: Receiving partner id.
        as_of: The day context windows are measured to.
        agreement: The agreement the content follows.
        segment_versions: Version of each allowed segment in the current membership.
        records: The rows, ordered by pseudonym.
        withheld: Consented in-segment records left out because the person's membership may
            rest on unconsented or Part 2 data elsewhere (exact; for the audit log only).
    """

    recipient: str
    as_of: date
    agreement: Agreement
    segment_versions: dict[str, str | None]
    records: list[ExtractRecord] = field(default_factory=list)
    withheld: int = 0

    def cohort_sizes(self) -> dict[str, int]:
        """Records per allowed segment (exact; disclose only through disclosure control)."""
        counts = Counter(s for record in self.records for s in record.segments)
        return {segment: counts.get(segment, 0) for segment in self.agreement.segments}

    def flag_counts(self) -> dict[str, int]:
        """Records with each allowed context flag set (exact)."""
        counts = Counter(f for record in self.records for f, on in record.flags.items() if on)
        return {flag: counts.get(flag, 0) for flag in self.agreement.context_flags}

    def payload(self, extract_id: str) -> dict[str, Any]:
        """The JSON document that is encrypted to the recipient."""
        return {
            "format": PAYLOAD_FORMAT,
            "extract_id": extract_id,
            "recipient": self.recipient,
            "as_of": self.as_of.isoformat(),
            "purpose": self.agreement.purpose,
            "segments": {
                name: {"version": self.segment_versions.get(name)}
                for name in self.agreement.segments
            },
            "context_flags": {
                name: {"meaning": CONTEXT_FLAGS[name]} for name in self.agreement.context_flags
            },
            "records": [
                {
                    "record_pseudonym": record.record_pseudonym,
                    "segments": list(record.segments),
                    "flags": {flag: record.flags[flag] for flag in self.agreement.context_flags},
                }
                for record in self.records
            ],
        }


def _present(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(_sql("table_exists.sql"), {"schema": schema, "table": table}).fetchone()
    return bool(row and row[0])


REQUIRED_TABLES = (
    ("linkage", "person_records"),
    ("staging", "current_persons"),
    ("staging", "current_events"),
    ("segments", "membership"),
)


def missing_inputs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Input tables/views of extract building that do not exist yet."""
    return [f"{s}.{t}" for s, t in REQUIRED_TABLES if not _present(con, s, t)]


def undefined_segments(con: duckdb.DuckDBPyConnection, governance: Governance) -> list[str]:
    """``partner: segment`` for agreed segments that ``segments.definitions`` does not define.

    Empty when the definitions table does not exist yet (nothing to check against).
    """
    if not _present(con, "segments", "definitions"):
        return []
    defined = {str(row[0]) for row in con.execute(_sql("defined_segments.sql")).fetchall()}
    return [
        f"{agreement.partner}: {segment}"
        for agreement in governance.agreements
        for segment in agreement.segments
        if segment not in defined
    ]


def prepare_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise the working tables (temp, this connection) that :func:`extract_content` reads.

    Call once per build, after :func:`missing_inputs` found nothing missing.
    """
    con.execute(_sql("inputs.sql"))


def extract_content(
    con: duckdb.DuckDBPyConnection,
    governance: Governance,
    agreement: Agreement,
    *,
    as_of: date,
) -> ExtractContent:
    """Select the content of the extract for ``agreement.partner`` (after :func:`prepare_inputs`).

    Raises:
        ExtractContentError: a selected pseudonym is not a current, consented record of the
            recipient (a defect upstream; nothing must be written).
    """
    partner = agreement.partner
    segments = list(agreement.segments)
    consent = governance.consent
    candidates = con.execute(
        _sql("cohort.sql"),
        {
            "partner": partner,
            "segments": segments,
            "explicit": list(consent.explicit_consent_categories),
        },
    ).fetchall()
    cohort = [
        (pseudonym, segs)
        for pseudonym, segs, unconsented, part2 in candidates
        if not (consent.withhold_unconsented_persons and unconsented)
        and not (consent.withhold_part2_persons and part2)
    ]
    versions = {
        str(name): (None if version is None else str(version))
        for name, version in con.execute(
            _sql("segment_versions.sql"), {"segments": segments}
        ).fetchall()
    }
    pseudonyms = [str(row[0]) for row in cohort]
    flags_on: dict[str, set[str]] = {}
    if agreement.context_flags and pseudonyms:
        partner_ids = sorted(governance.partners)
        rows = con.execute(
            _sql("context_flags.sql"),
            {
                "partner": partner,
                "cohort": pseudonyms,
                "partner_ids": partner_ids,
                "partner_sectors": [governance.partners[p].sector for p in partner_ids],
                "explicit": list(governance.consent.explicit_consent_categories),
                "as_of": as_of,
                "flags": list(agreement.context_flags),
            },
        ).fetchall()
        for pseudonym, flag in rows:
            flags_on.setdefault(str(pseudonym), set()).add(str(flag))
    records = [
        ExtractRecord(
            record_pseudonym=str(pseudonym),
            segments=tuple(str(s) for s in segs),
            flags={f: f in flags_on.get(str(pseudonym), set()) for f in agreement.context_flags},
        )
        for pseudonym, segs in cohort
    ]
    _check(con, partner, pseudonyms)
    return ExtractContent(
        partner, as_of, agreement, versions, records, withheld=len(candidates) - len(cohort)
    )


def _check(con: duckdb.DuckDBPyConnection, partner: str, pseudonyms: list[str]) -> None:
    if not pseudonyms:
        return
    row = con.execute(
        _sql("postcondition.sql"), {"partner": partner, "pseudonyms": pseudonyms}
    ).fetchone()
    bad = int(row[0]) if row else 0
    if bad:
        raise ExtractContentError(
            f"extract for {partner}: {bad} selected record(s) are not current consented records "
            "of the recipient; nothing was written. Check linkage.person_records against "
            "staging.current_persons (a stale linkage run?) and rebuild."
        )
