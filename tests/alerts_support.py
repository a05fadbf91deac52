"""Builders for care-alert tests: a hub with partners whose private keys the test holds, and
events packages, persons and links put into the real schema by name (no tests here)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from governance_support import approve_changes, signing_public
from schema_support import copy_hub_schema, insert_rows

from encoding.encoder import encode_persons
from encoding.keys import EncodingKeys
from kernel.home import HubHome
from warehouse.governance import (
    PartnerRegistration,
    Subscription,
    load_governance,
    save_governance,
    write_governance,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
# The columns of a persons row a test may set from a record's encodings.
ENCODED = ("tok_", "bf_", "birth_year")
SECTORS = {
    "mercy_hospital": "hospital",
    "harbor_housing": "cbo_housing",
    "northside_food": "cbo_food",
}
SUBSCRIPTIONS = [
    Subscription(
        partner="harbor_housing",
        purpose="Care coordination: a housing navigator visits a client at discharge",
        alert_types=(
            "ed_visit",
            "admission",
            "discharge",
            "positive_screening",
            "crisis_contact",
            "eviction_notice",
            "service_start",
            "service_end",
        ),
        from_sectors=("hospital", "cbo_food"),
    ),
    Subscription(
        partner="northside_food",
        purpose="Care coordination: meals at home after an ED visit",
        alert_types=("ed_visit",),
        from_sectors=("hospital",),
        include_facility=True,
    ),
]


def pseudonym(partner: str, record: str) -> str:
    return hashlib.sha256(f"{partner}/{record}".encode()).hexdigest()


def event_id(partner: str, event: str) -> str:
    return hashlib.sha256(f"event {partner}/{event}".encode()).hexdigest()[:32]


@dataclass
class AlertHub:
    """A hub home with the test partners registered; their private keys in ``keys``."""

    home: HubHome
    keys: dict[str, Path]

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.home.hub_db))


def make_alert_hub(root: Path, subscriptions: list[Subscription] = SUBSCRIPTIONS) -> AlertHub:
    """A hub with the three test partners and ``subscriptions``; hub.duckdb from the real DDL."""
    home = HubHome.resolve(root / "home").ensure()
    keys = {}
    registrations = []
    for partner, sector in SECTORS.items():
        private = X25519PrivateKey.from_private_bytes(
            hashlib.sha256(f"extract key of {partner}".encode()).digest()
        )
        path = root / "partners" / partner / f"{partner}.x25519.key"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        path.chmod(0o600)
        keys[partner] = path
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        registrations.append(
            PartnerRegistration(
                partner_id=partner,
                sector=sector,
                extract_public_key=base64.b64encode(raw).decode(),
                key_fingerprint="ab" * 16,
                display_name=partner.replace("_", " ").title(),
                signing_public_key=signing_public(partner),
            )
        )
    write_governance(home, registrations, agreements=False)
    governance = load_governance(home)
    save_governance(
        home, governance.model_copy(update={"subscriptions": tuple(subscriptions), "version": 9})
    )
    approve_changes(home)  # the partners found it, subscriptions included (every one signs)
    copy_hub_schema(home.hub_db)
    return AlertHub(home, keys)


# One resident's identifiers; encoded() changes some and encodes them with fixed keys.
RESIDENT = {
    "record_id": "R1",
    "first_name": "Margaret",
    "last_name": "Okafor",
    "dob": "1961-03-11",
    "sex": "F",
    "street": "48 Willow Lane",
    "zip": "03301",
    "phone": "6035550142",
    "ssn": "",
}


def encoded(**changes: str) -> dict[str, Any]:
    """The encodings (``tok_*``, ``bf_*``, ``birth_year``) of :data:`RESIDENT` with
    ``changes``, by the real encoder under fixed keys (the hub sees only these)."""
    keys = EncodingKeys.derive(
        b"alerts-test-shared-secret-0123456789", b"alerts-test-partner-key-01234567"
    )
    raw = pl.DataFrame([{**RESIDENT, **changes}], schema={k: pl.String for k in RESIDENT})
    persons = encode_persons(
        raw, keys, partner_id="p", as_of=date(2026, 6, 30), dob_format="%Y-%m-%d"
    )
    (row,) = persons.persons.iter_rows(named=True)
    return {k: v for k, v in row.items() if k.startswith(ENCODED)}


def add_person(
    con: duckdb.DuckDBPyConnection,
    person_key: str,
    records: dict[str, dict[str, Any]],
    *,
    link_probability: float = 0.999,
    submission_id: str | None = None,
) -> dict[str, str]:
    """One person: per partner a record (``consented``/``part2_consent`` and the encodings
    ``tok_*``, ``bf_*`` and ``birth_year`` settable), in the current persons (a full submission
    per record), linked to each other record.

    Returns:
        partner -> record pseudonym.
    """
    pseudonyms = {}
    for partner, flags in records.items():
        record = pseudonym(partner, f"{person_key}")
        pseudonyms[partner] = record
        sid = submission_id or f"{partner}-20261101T000000Z-{record[:8]}"
        _submission(con, sid, partner, kind="full", at=NOW - timedelta(days=20))
        insert_rows(
            con,
            "staging.persons",
            [
                {
                    "submission_id": sid,
                    "partner_id": partner,
                    "record_pseudonym": record,
                    "consented": flags.get("consented", True),
                    "part2_consent": flags.get("part2_consent", False),
                    "sex": "F",
                    **{k: v for k, v in flags.items() if k.startswith(ENCODED)},
                }
            ],
        )
        insert_rows(
            con,
            "linkage.person_records",
            [
                {
                    "partner_id": partner,
                    "record_pseudonym": record,
                    "person_key": person_key,
                    "run_id": "L1",
                }
            ],
        )
    partners = sorted(pseudonyms)
    links = [
        {
            "partner_id_l": a,
            "record_pseudonym_l": pseudonyms[a],
            "partner_id_r": b,
            "record_pseudonym_r": pseudonyms[b],
            "match_weight": 10.0,
            "match_probability": link_probability,
            "run_id": "L1",
        }
        for i, a in enumerate(partners)
        for b in partners[i + 1 :]
    ]
    insert_rows(con, "linkage.links", links)
    return pseudonyms


def _submission(
    con: duckdb.DuckDBPyConnection, sid: str, partner: str, *, kind: str, at: datetime
) -> None:
    if con.execute(
        "SELECT count(*) FROM staging.submissions WHERE submission_id = ?", [sid]
    ).fetchall() != [(0,)]:
        return
    insert_rows(
        con,
        "staging.submissions",
        [
            {
                "submission_id": sid,
                "partner_id": partner,
                "state": "ingested",
                "received_at": at,
                "ingested_at": at,
                "created_at": at,
                "persons_rows": 1,
                "events_rows": 1,
                "key_fingerprint": "ab" * 16,
                "spec_version": "2.0",
                "manifest_sha256": hashlib.sha256(sid.encode()).hexdigest(),
                "manifest": json.dumps({"kind": kind} if kind == "events" else {}),
            }
        ],
    )


def send_events(
    con: duckdb.DuckDBPyConnection,
    partner: str,
    record: str,
    events: list[dict[str, Any]],
    *,
    consented: bool = True,
    part2_consent: bool = False,
    received_at: datetime = NOW - timedelta(seconds=20),
    tag: str = "00000001",
    tokens: dict[str, Any] | None = None,
) -> str:
    """An ingested events package of ``partner`` about one record; its submission id."""
    sid = f"{partner}-{received_at:%Y%m%dT%H%M%SZ}-{tag}"
    _submission(con, sid, partner, kind="events", at=received_at)
    insert_rows(
        con,
        "staging.persons",
        [
            {
                "submission_id": sid,
                "partner_id": partner,
                "record_pseudonym": record,
                "consented": consented,
                "part2_consent": part2_consent,
                "sex": "F",
                **(tokens or {}),
            }
        ],
    )
    insert_rows(
        con,
        "staging.events",
        [
            {
                "submission_id": sid,
                "partner_id": partner,
                "record_pseudonym": record,
                "event_date": date(2026, 11, 19),
                "end_date": None,
                "category": None,
                "result": None,
                "program": None,
                "part2": False,
                **event,
                "event_id": event_id(partner, event.get("event_id", "e1")),
            }
            for event in events
        ],
    )
    return sid
