"""Turn newly ingested events packages into care alerts: route, seal, write, record, audit.

One call of :func:`process_alerts` handles every events package that is ingested and linked but
not yet alerted on (``alerts.batches`` says which were). ``sql/candidates.sql`` finds, per
event, alert type and subscribed recipient record of the same person, a candidate;
:mod:`warehouse.alerts.certainty` gives each the widest link path between the two records; and
``sql/decide.sql`` decides: ``send``, or why not (``withheld_consent``, ``withheld_part2``,
``stale``, ``uncertain``, ``duplicate``). Every recipient then gets one file listing only its
own pseudonyms, sealed in the extract envelope (HPKE to its key, signed by the hub) and
recorded in the hash-chained audit.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa

import linkage.store
from contract.envelope import ALERT_PAYLOAD_FORMAT, ALERT_SUFFIX
from contract.vocabulary import ALERT_TYPES
from kernel import clock
from kernel.home import HubHome
from linkage.records import open_scoped_rows
from warehouse import audit, staging
from warehouse.alerts.certainty import certainty_table
from warehouse.disclosure import DEFAULT_THRESHOLD, disclose
from warehouse.extracts.build import publish_key_set
from warehouse.extracts.envelope import envelope_bytes, manifest_sha256, seal
from warehouse.governance import Governance, Subscription
from warehouse.governance_flow import approved_proof
from warehouse.keys import SigningKey, ensure_signing_key

# The alert contract is the partner client's (partner/package.py), as packages' is.
PAYLOAD_FORMAT: Final = ALERT_PAYLOAD_FORMAT
ALERTS_DIR: Final = "alerts"
DECISIONS: Final = (
    "send",
    "duplicate",
    "uncertain",
    "withheld_consent",
    "withheld_part2",
    "stale",
)
_SQL: Final = Path(__file__).parent / "sql"
# When a namesake link (same full name, other birth dates) may still carry an alert: the date
# looks mistyped (person_links.sql). Measured on the synthetic regions of two seeds at 100k and
# 1M records (benchmarks/RESULTS.md, "Issue 21: alert recall"): identical DOB filters are one
# date under first and last name exchanged; one part of the date off gives Dice 0.82-0.91,
# unrelated dates of one name 0.70-0.81 (the floor of the links the model accepts); parent and
# child of one name were 14+ years apart, a mistyped year 0, 1 or 10.
NAMESAKE_RULE: Final = {"same_dob_dice": 0.99, "typo_dob_dice": 0.82, "generation_years": 14}


@cache
def sql(name: str) -> str:
    """The text of ``warehouse/alerts/sql/<name>.sql``."""
    return (_SQL / f"{name}.sql").read_text()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``alerts`` schema and its tables if missing (and the staging and linkage
    tables they are routed from, so a hub that never linked reads as nothing pending)."""
    staging.ensure_schema(con)
    linkage.store.ensure_schema(con)
    con.execute(sql("schema"))


@dataclass(frozen=True)
class BatchOutcome:
    """What one events package led to (counts only).

    Attributes:
        submission_id: The events package.
        partner_id: Who sent it.
        received_at: When it arrived (its manifest landed).
        written_at: When its alerts were written.
        events: Event rows in the package.
        counts: Routed items by decision (:data:`DECISIONS`).
        recipients: Partners alerted.
    """

    submission_id: str
    partner_id: str
    received_at: datetime
    written_at: datetime
    events: int
    counts: dict[str, int]
    recipients: int

    @property
    def latency_seconds(self) -> float:
        """Arrival to alert written."""
        return (self.written_at - self.received_at).total_seconds()


@dataclass(frozen=True)
class AlertFile:
    """One sealed alert file for one recipient."""

    recipient: str
    alert_id: str
    path: Path
    items: int
    alert_types: tuple[str, ...]
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AlertRun:
    """One pass of :func:`process_alerts`.

    Attributes:
        run_id: The Dagster run (or CLI invocation) id.
        batches: Events packages decided in this pass.
        files: Alert files written.
        waiting: Events packages left for later: some of their records are not linked yet.
    """

    run_id: str
    batches: list[BatchOutcome] = field(default_factory=list)
    files: list[AlertFile] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Alert items sent."""
        return sum(f.items for f in self.files)

    def total(self, decision: str) -> int:
        """Items with ``decision`` over all batches."""
        return sum(b.counts.get(decision, 0) for b in self.batches)

    @property
    def latencies(self) -> list[float]:
        return [b.latency_seconds for b in self.batches]

    @property
    def median_latency(self) -> float | None:
        return statistics.median(self.latencies) if self.batches else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_alert_id(recipient: str, now: datetime) -> str:
    """``<recipient>-<UTC yyyymmddThhmmssZ>-alert-<8 hex>``."""
    return f"{recipient}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-alert-{secrets.token_hex(4)}"


def item_id(
    recipient: str, recipient_pseudonym: str, source: str, event_id: str, alert_type: str
) -> str:
    """A stable id of one alert item: the recipient's inbox drops one it has seen."""
    key = "|".join(("carehub-alert-item/1", recipient, recipient_pseudonym, source, event_id))
    return hashlib.sha256(f"{key}|{alert_type}".encode()).hexdigest()[:32]


def alerts_dir(home: HubHome, partner_id: str) -> Path:
    """``outbox/<partner>/alerts/``: where a partner picks its alerts up."""
    return home.outbox / partner_id / ALERTS_DIR


def in_force(governance: Governance, day: Any) -> list[Subscription]:
    """Subscriptions in force on ``day`` whose partner is active."""
    return [
        s
        for s in governance.subscriptions
        if s.in_force(day) and governance.partners[s.partner].active
    ]


def _register_config(con: duckdb.DuckDBPyConnection, governance: Governance, day: Any) -> None:
    subs = in_force(governance, day)
    rows = [
        (s.partner, t, sector, s.min_link_probability, s.max_event_age_days)
        for s in subs
        for t in s.alert_types
        for sector in s.from_sectors
    ]
    con.register(
        "alert_subscriptions",
        pa.table(
            {
                "recipient": pa.array([r[0] for r in rows], pa.string()),
                "alert_type": pa.array([r[1] for r in rows], pa.string()),
                "from_sector": pa.array([r[2] for r in rows], pa.string()),
                "min_link_probability": pa.array([r[3] for r in rows], pa.float64()),
                "max_event_age_days": pa.array([r[4] for r in rows], pa.int32()),
            }
        ),
    )
    partners = sorted(governance.partners.values(), key=lambda p: p.partner_id)
    con.register(
        "alert_partners",
        pa.table(
            {
                "partner_id": pa.array([p.partner_id for p in partners], pa.string()),
                "sector": pa.array([p.sector for p in partners], pa.string()),
                "facility": pa.array([p.display_name or p.partner_id for p in partners]),
            }
        ),
    )


def pending_batches(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, datetime, int, int]]:
    """Events packages not alerted on yet: ``(submission_id, partner, received_at, events,
    unlinked records)``, oldest first (expects :func:`ensure_schema` to have run)."""
    return [
        (str(s), str(p), r, int(e), int(u))
        for s, p, r, e, u in con.execute(sql("pending")).fetchall()
    ]


def process_alerts(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    governance: Governance,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> AlertRun:
    """Alert on every events package that is ingested and linked but not yet alerted on.

    Args:
        con: Read-write connection to ``hub.duckdb`` (after linkage of the new records).
        home: The hub home.
        governance: Loaded governance (subscriptions, consent rules, partner keys).
        run_id: Recorded with each batch (default: a new id).
        now: The moment of the decision (event ages; default now). Latency is always measured
            with the clock when the files are written.
        threshold: Disclosure threshold of the counts in clear manifests and the audit log.

    Returns:
        What was decided and written.
    """
    moment = (now or clock.now()).astimezone(UTC).replace(microsecond=0)
    run = AlertRun(run_id=run_id or f"A{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}")
    ensure_schema(con)
    pending = pending_batches(con)
    ready = [b for b in pending if b[4] == 0]
    run.waiting.extend(b[0] for b in pending if b[4] > 0)
    if not ready:
        return run
    _register_config(con, governance, moment.date())
    con.register("alert_batch", pa.table({"submission_id": [b[0] for b in ready]}))
    _route(con, governance, moment.date())
    counts = {
        str(row[0]): (dict(zip(DECISIONS, (int(v) for v in row[1:7]), strict=True)), int(row[7]))
        for row in con.execute(sql("batch_counts")).fetchall()
    }
    items = con.sql(sql("to_send")).to_arrow_table().to_pylist()
    signer = ensure_signing_key(home, now=moment) if items else None
    # Alerts leave only under the quorum-approved governance in force (its subscriptions), and
    # carry its approvals so the partner can check them itself, as extracts do.
    proof = approved_proof(home, governance, "alert sent") if items else {}
    by_recipient: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_recipient.setdefault(str(item["recipient"]), []).append(item)
    sent_rows: list[dict[str, Any]] = []
    for recipient, its_items in sorted(by_recipient.items()):
        assert signer is not None
        written, rows = _write_alert(
            home, governance, recipient, its_items, moment, signer, threshold, proof
        )
        run.files.append(written)
        sent_rows.extend(rows)
    written_at = clock.now().astimezone(UTC)
    _record(con, run, ready, counts, sent_rows, written_at)
    _unregister(con)
    return run


def _route(con: duckdb.DuckDBPyConnection, governance: Governance, day: date) -> None:
    """Candidates (``candidates.sql``), their link certainty, then the decisions
    (``decide.sql``) into the temp table ``alert_routes``."""
    con.execute(sql("scope_keys"))
    open_scoped_rows(con)
    con.execute(
        sql("candidates"),
        {"explicit_categories": list(governance.consent.explicit_consent_categories)},
    )
    certainty = certainty_table(
        con.sql(sql("person_links"), params=NAMESAKE_RULE).to_arrow_table(),
        con.sql(sql("certainty_pairs")).to_arrow_table(),
    )
    con.register("alert_certainty", certainty)
    con.execute(
        sql("decide"),
        {"today": day, "withhold_unconsented": governance.consent.withhold_unconsented_persons},
    )


def _unregister(con: duckdb.DuckDBPyConnection) -> None:
    for view in ("alert_subscriptions", "alert_partners", "alert_batch", "alert_certainty"):
        con.unregister(view)
    con.execute("DROP VIEW IF EXISTS scoped_rows")
    con.execute("DROP TABLE IF EXISTS scope_keys")
    con.execute("DROP TABLE IF EXISTS alert_routes")
    con.execute("DROP TABLE IF EXISTS alert_candidates")


def _write_alert(
    home: HubHome,
    governance: Governance,
    recipient: str,
    items: Sequence[dict[str, Any]],
    moment: datetime,
    signer: SigningKey,
    threshold: int,
    proof: dict[str, Any],
) -> tuple[AlertFile, list[dict[str, Any]]]:
    partner = governance.partners[recipient]
    sub = governance.subscription_for(recipient)
    assert sub is not None  # routing joined on the subscriptions in force
    alert_id = new_alert_id(recipient, moment)
    expires = moment + timedelta(days=sub.alert_valid_days)
    entries = []
    for item in items:
        entry = {
            "item_id": item_id(
                recipient,
                item["recipient_pseudonym"],
                item["source_partner"],
                item["event_id"],
                item["alert_type"],
            ),
            "record_pseudonym": item["recipient_pseudonym"],
            "alert_type": item["alert_type"],
            "description": ALERT_TYPES[item["alert_type"]],
            "sector": item["source_sector"],
            "date": item["alert_date"].isoformat(),
        }
        if sub.include_facility:
            entry["facility"] = item["facility"]
        entries.append(entry)
    types = tuple(sorted({e["alert_type"] for e in entries}))
    head = audit.read_head(home) or {"seq": 0, "hash": audit.GENESIS}
    manifest = {
        "extract_id": alert_id,
        "kind": "alert",
        "recipient": recipient,
        "recipient_key_id": partner.extract_key_id,
        "created_at": _iso(moment),
        "expires_at": _iso(expires),
        "governance_version": governance.version_label,
        "governance": proof,
        "subscription": {
            "purpose": sub.purpose,
            "alert_types": list(sub.alert_types),
            "from_sectors": list(sub.from_sectors),
            "include_facility": sub.include_facility,
        },
        "counts": {"alerts": disclose(len(entries), threshold), "disclosure_threshold": threshold},
        "audit_anchor": {"seq": head["seq"], "hash": head["hash"]},
        "payload_format": PAYLOAD_FORMAT,
    }
    payload = {
        "format": PAYLOAD_FORMAT,
        "alert_id": alert_id,
        "recipient": recipient,
        "purpose": sub.purpose,
        "created_at": _iso(moment),
        "alerts": entries,
    }
    envelope = seal(payload, manifest, partner.extract_public_key_obj(), signer)
    target = alerts_dir(home, recipient) / f"{alert_id}{ALERT_SUFFIX}"
    audit.append(
        home,
        "alert_written",
        {
            "partner": recipient,
            "alert_id": alert_id,
            "purpose": sub.purpose,
            "alert_types": list(types),
            "counts": {"alerts": disclose(len(entries), threshold)},
            "submissions": sorted({str(i["submission_id"]) for i in items}),
            "governance_version": governance.version_label,
            "hub_kid": signer.kid,
            "recipient_key_id": partner.extract_key_id,
            "expires_at": _iso(expires),
            "manifest_sha256": manifest_sha256(envelope),
            "path": str(target.relative_to(home.root)),
        },
        now=moment,
    )
    _write_atomically(target, envelope_bytes(envelope))
    publish_key_set(home, recipient)
    rows = [
        {
            "alert_id": alert_id,
            "item_id": entry["item_id"],
            "recipient": recipient,
            "recipient_pseudonym": item["recipient_pseudonym"],
            "source_partner": item["source_partner"],
            "source_pseudonym": item["source_pseudonym"],
            "event_id": item["event_id"],
            "alert_type": item["alert_type"],
            "alert_date": item["alert_date"],
            "submission_id": item["submission_id"],
            "written_at": moment,
            "path": str(target.relative_to(home.root)),
        }
        for entry, item in zip(entries, items, strict=True)
    ]
    return (
        AlertFile(recipient, alert_id, target, len(entries), types, moment, expires),
        rows,
    )


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f".{target.name}.tmp")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(aside, target)


def _record(
    con: duckdb.DuckDBPyConnection,
    run: AlertRun,
    ready: list[tuple[str, str, datetime, int, int]],
    counts: dict[str, tuple[dict[str, int], int]],
    sent_rows: list[dict[str, Any]],
    written_at: datetime,
) -> None:
    """Record the items sent and the batches decided, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        if sent_rows:
            con.register("sent_arrow", pa.Table.from_pylist(sent_rows))
            con.execute(sql("insert_sent"))
            con.unregister("sent_arrow")
        for submission_id, partner_id, received_at, events, _ in ready:
            decided, recipients = counts.get(submission_id, (dict.fromkeys(DECISIONS, 0), 0))
            outcome = BatchOutcome(
                submission_id=submission_id,
                partner_id=partner_id,
                received_at=received_at.astimezone(UTC),
                written_at=written_at,
                events=events,
                counts=decided,
                recipients=recipients,
            )
            con.execute(
                sql("insert_batch"),
                {
                    "submission_id": submission_id,
                    "partner_id": partner_id,
                    "run_id": run.run_id,
                    "received_at": outcome.received_at,
                    "written_at": written_at,
                    "latency_seconds": outcome.latency_seconds,
                    "events": events,
                    "alerts_sent": decided["send"],
                    "recipients": recipients,
                    "counts": json.dumps(decided, sort_keys=True),
                },
            )
            run.batches.append(outcome)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def is_events_package(home: HubHome, partner_id: str, submission_id: str) -> bool:
    """Whether the archived package ``submission_id`` is an events package (its manifest)."""
    manifest = home.archive / partner_id / submission_id / "manifest.json"
    try:
        return bool(json.loads(manifest.read_text(encoding="utf-8")).get("kind") == "events")
    except (OSError, ValueError, AttributeError):
        return False
