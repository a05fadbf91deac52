"""The partner's alert inbox: verify, decrypt and map care alerts to the partner's own records.

``carehub partner inbox --inbox <hub>/outbox/<partner>/alerts --key K --crosswalk C --out DIR``

Each ``*.alert.json`` is the hub's extract envelope (``kind: alert``) and goes through the same
checks as an extract (``partner/open.py``: signature, key validity, ciphertext hash, recipient
key, expiry, no replay, audit head not rewound, HPKE authentication). Its items are mapped to
the partner's own record ids through the crosswalk and written where a care-management system
reads them:

* ``alerts.csv`` - one row per alert item, appended (``record_id, alert_type, description,
  sector, date, facility, alert_id, item_id, created_at``);
* ``fhir/<alert_id>.json`` - a FHIR R5 ``Bundle`` (type ``collection``) of ``Communication``
  resources, one per item, built and validated with ``fhir.resources``.

Opened alerts are kept in ``opened_alerts.jsonl`` (next to the key): a file already opened is
skipped, and an item seen before (the hub re-sent it after a crash) is not written again. A
file that fails a check is reported and left for the partner's security contact; the rest go on.
``--watch`` polls the folder until interrupted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from contract.envelope import ALERT_PAYLOAD_FORMAT, ALERT_SUFFIX
from kernel import clock
from partner.open import (
    OpenError,
    append_ledger,
    check_governance,
    neutralise,
    read_crosswalk,
    unseal,
)

LEDGER_FILE: Final = "opened_alerts.jsonl"
CSV_FILE: Final = "alerts.csv"
FHIR_DIR: Final = "fhir"
CSV_COLUMNS: Final = (
    "record_id",
    "alert_type",
    "description",
    "sector",
    "date",
    "facility",
    "alert_id",
    "item_id",
    "created_at",
)
FORMATS: Final = ("csv", "fhir")
TYPE_SYSTEM: Final = "urn:carehub:alert-type"


@dataclass(frozen=True)
class OpenedAlert:
    """One alert file opened: its id, its items written and those seen before."""

    alert_id: str
    items: int
    repeated: int
    created_at: datetime
    fhir: Path | None
    pseudonyms: frozenset[str] = field(default_factory=frozenset, repr=False)


@dataclass
class InboxResult:
    """One pass over the inbox."""

    opened: list[OpenedAlert] = field(default_factory=list)
    skipped: int = 0
    failed: list[tuple[Path, OpenError]] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(a.items for a in self.opened)


def _ledger(path: Path) -> tuple[set[str], set[str]]:
    """Alert ids opened and item ids written, from the ledger."""
    alerts: set[str] = set()
    items: set[str] = set()
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                alerts.add(str(entry["extract_id"]))
                items.update(str(i) for i in entry.get("items", ()))
    return alerts, items


def read_inbox(
    inbox: Path,
    key: Path | Sequence[Path],
    crosswalk: Path,
    out: Path,
    *,
    hub_keys: Path | None = None,
    ledger: Path | None = None,
    formats: Sequence[str] = FORMATS,
    now: datetime | None = None,
    trusted_kid: str | None = None,
    trusted_signers: Path | None = None,
) -> InboxResult:
    """Open every alert in ``inbox`` not opened before; write CSV rows and FHIR bundles.

    Args:
        inbox: Folder of ``*.alert.json`` files (the hub's ``outbox/<partner>/alerts/``).
        key: The partner's X25519 extract key (or several, after a rotation).
        crosswalk: ``record_pseudonym`` -> own record id (CSV or Parquet).
        out: Folder for ``alerts.csv`` and ``fhir/``.
        hub_keys: The hub's ``hub_public_keys.json`` (default: next to ``inbox``).
        ledger: Opened alerts (default ``opened_alerts.jsonl`` next to the key).
        formats: ``csv`` and/or ``fhir``.
        now: The current time (tests; default now).
        trusted_kid: The hub key the partner pinned (see ``partner/open.py``).
        trusted_signers: Partners' governance signing keys the partner pinned: an alert must
            carry a quorum of approvals of the governance it was sent under, as an extract does
            (:func:`partner.open.check_governance`).

    Returns:
        What was opened, skipped (opened before) and refused (with the reason).
    """
    keys = [Path(key)] if isinstance(key, str | Path) else [Path(k) for k in key]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not keys:
        raise OpenError(
            "bad_arguments",
            f"formats must be among {', '.join(FORMATS)}; at least one --key"
            if unknown
            else "no extract key given; pass --key",
        )
    inbox, out = Path(inbox), Path(out)
    hub_keys = Path(hub_keys) if hub_keys else inbox.parent / "hub_public_keys.json"
    ledger = Path(ledger) if ledger else keys[0].parent / LEDGER_FILE
    moment = (now or clock.now()).astimezone(UTC)
    result = InboxResult()
    files = sorted(inbox.glob(f"*{ALERT_SUFFIX}"), key=_written_order) if inbox.is_dir() else []
    mapping: dict[str, str] | None = None
    for path in files:
        opened, seen_items = _ledger(ledger)
        if path.name.removesuffix(ALERT_SUFFIX) in opened:
            result.skipped += 1
            continue
        try:
            manifest, payload = unseal(
                path,
                keys,
                hub_keys,
                ledger=ledger,
                moment=moment,
                trusted_kid=trusted_kid,
                payload_format=ALERT_PAYLOAD_FORMAT,
                id_field="alert_id",
            )
            check_governance(manifest, path, trusted_signers)
            mapping = mapping if mapping is not None else read_crosswalk(crosswalk)
            result.opened.append(
                _deliver(path, manifest, payload, mapping, seen_items, out, formats, ledger, moment)
            )
        except OpenError as exc:
            if exc.code == "replayed":
                result.skipped += 1
            else:
                result.failed.append((path, exc))
    return result


def _written_order(path: Path) -> tuple[str, int, str]:
    """Oldest first, by the hub's audit head at writing: the ledger refuses a head that goes
    back, so two alerts of the same second must be opened in the order they were written."""
    try:
        manifest = json.loads(path.read_bytes())["manifest"]
        return str(manifest["created_at"]), int(manifest["audit_anchor"]["seq"]), path.name
    except (OSError, ValueError, KeyError, TypeError):
        return "", 0, path.name  # unseal reports what is wrong with it


def _deliver(
    path: Path,
    manifest: dict[str, Any],
    payload: dict[str, Any],
    mapping: dict[str, str],
    seen_items: set[str],
    out: Path,
    formats: Sequence[str],
    ledger: Path,
    moment: datetime,
) -> OpenedAlert:
    items = list(payload["alerts"])
    missing = [i for i, a in enumerate(items, start=1) if a["record_pseudonym"] not in mapping]
    if missing:
        raise OpenError(
            "crosswalk_missing",
            f"{path}: the crosswalk lacks {len(missing)} of the alert's {len(items)} pseudonyms "
            f"(items {', '.join(str(i) for i in missing[:5])}); use the crosswalk of every "
            "submission you sent and run the inbox again",
        )
    fresh = [a for a in items if a["item_id"] not in seen_items]
    alert_id = str(manifest["extract_id"])
    created = str(manifest["created_at"])
    rows = [_row(a, mapping, alert_id, created) for a in fresh]
    out.mkdir(parents=True, exist_ok=True)
    bundle_path = None
    if "csv" in formats and rows:
        _append_csv(out / CSV_FILE, rows)
    if "fhir" in formats and rows:
        bundle_path = out / FHIR_DIR / f"{alert_id}.json"
        _write_private(bundle_path, fhir_bundle(rows, str(manifest["recipient"]), created))
    _record(ledger, manifest, [a["item_id"] for a in fresh], moment)
    return OpenedAlert(
        alert_id=alert_id,
        items=len(fresh),
        repeated=len(items) - len(fresh),
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")),
        fhir=bundle_path,
        pseudonyms=frozenset(a["record_pseudonym"] for a in items),
    )


def _row(item: dict[str, Any], mapping: dict[str, str], alert_id: str, created: str) -> dict:
    return {
        "record_id": mapping[item["record_pseudonym"]],
        "alert_type": item["alert_type"],
        "description": item.get("description", item["alert_type"]),
        "sector": item["sector"],
        "date": item["date"],
        "facility": item.get("facility", ""),
        "alert_id": alert_id,
        "item_id": item["item_id"],
        "created_at": created,
    }


def fhir_bundle(rows: Sequence[dict[str, Any]], recipient: str, created: str) -> bytes:
    """A FHIR R5 ``Bundle`` of one ``Communication`` per alert item (validated)."""
    from fhir.resources.bundle import Bundle
    from fhir.resources.communication import Communication

    entries = []
    for row in rows:
        detail = f"{row['description']} ({row['sector']}) on {row['date']}"
        if row["facility"]:
            detail += f" at {row['facility']}"
        communication = Communication.model_validate(
            {
                "resourceType": "Communication",
                "id": row["item_id"],
                "identifier": [{"system": "urn:carehub:alert-item", "value": row["item_id"]}],
                "status": "completed",
                "category": [
                    {
                        "coding": [
                            {
                                "system": TYPE_SYSTEM,
                                "code": row["alert_type"],
                                "display": row["description"],
                            }
                        ]
                    }
                ],
                "subject": {
                    "identifier": {
                        "system": f"urn:carehub:partner:{recipient}:record-id",
                        "value": row["record_id"],
                    }
                },
                "sent": created,
                "sender": {"display": "carehub"},
                "payload": [{"contentCodeableConcept": {"text": detail}}],
            }
        )
        entries.append({"fullUrl": f"urn:uuid:{_uuid(row['item_id'])}", "resource": communication})
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": created,
            "entry": entries,
        }
    )
    return (bundle.model_dump_json(indent=1) + "\n").encode()


def _uuid(item: str) -> str:
    return f"{item[:8]}-{item[8:12]}-{item[12:16]}-{item[16:20]}-{item[20:32]}"


def _append_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    if not path.is_file():
        writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(str(v)) for k, v in row.items()})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, buffer.getvalue().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.tmp")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(aside, path)


def _record(ledger: Path, manifest: dict[str, Any], items: list[str], moment: datetime) -> None:
    append_ledger(
        ledger,
        {
            "extract_id": manifest["extract_id"],
            "kind": "alert",
            "opened_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at": manifest["created_at"],
            "audit_anchor": manifest.get("audit_anchor"),
            "items": items,
        },
    )


def watch(
    run_once: Callable[[], InboxResult],
    *,
    interval: float,
    polls: int | None = None,
    report: Callable[[InboxResult], None] = lambda _r: None,
) -> int:
    """Run ``run_once`` every ``interval`` seconds (``polls`` times, or until interrupted).

    Returns:
        Alert items written over all polls.
    """
    written, done = 0, 0
    try:
        while polls is None or done < polls:
            result = run_once()
            written += result.items
            report(result)
            done += 1
            if polls is None or done < polls:
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    return written
