"""Builders for ingest tests: a registered hub home and good or deliberately broken packages."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from governance_support import approve_changes, signing_key

from contract.manifest import SIGNATURE_FIELD, sign_manifest
from contract.spec import (
    BLOOM_FIELDS,
    EVENT_SCHEMA,
    PERSON_SCHEMA,
    TOKEN_COLUMNS,
    bloom_columns,
    token_hex_chars,
)
from kernel.home import HubHome
from kernel.signing import public_b64
from partner.package import write_package
from warehouse.governance import PartnerRegistration, write_governance

PARTNERS = {
    "mercy_hospital": "hospital",
    "harbor_housing": "cbo_housing",
    "northside_food": "cbo_food",
}
CREATED = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def fingerprint(partner_id: str) -> str:
    """The registered key fingerprint of a test partner (the same shared secret for all)."""
    return hashlib.sha256(b"test shared secret fingerprint").hexdigest()[:32]


def _public_key() -> str:
    raw = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def make_home(root: Path) -> HubHome:
    """A hub home with the test partners registered."""
    home = HubHome.resolve(root).ensure()
    write_governance(
        home,
        [
            PartnerRegistration(
                partner_id=pid,
                sector=sector,
                extract_public_key=_public_key(),
                key_fingerprint=fingerprint(pid),
                signing_public_key=public_b64(signing_key(pid).public_key()),
            )
            for pid, sector in PARTNERS.items()
        ],
        agreements=False,
    )
    approve_changes(home)  # the partners found the governance (every one of them signs)
    return home


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def persons_rows(partner_id: str, n: int, *, salt: str = "") -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        row: dict[str, Any] = {
            "record_pseudonym": hashlib.sha256(f"{partner_id}{salt}{i}".encode()).hexdigest(),
            "birth_year": 1950 + i % 60,
            "age_90_plus": False,
            "sex": "FMU"[i % 3],
            "zip3": f"{100 + i % 5:03d}",
            "consented": True,
            "part2_consent": i % 4 == 0,
        }
        for col in TOKEN_COLUMNS:
            row[col] = _hex(f"{col}{partner_id}{salt}{i}", token_hex_chars(col)) if i % 7 else None
        for field in BLOOM_FIELDS:
            for j, col in enumerate(bloom_columns(field)):
                row[col] = (i * 7919 + j) % (2**62)
        rows.append(row)
    return rows


def events_rows(persons: list[dict[str, Any]], *, salt: str = "") -> list[dict[str, Any]]:
    rows = []
    for i, person in enumerate(persons):
        day = date(2026, 1, 1) + timedelta(days=i % 300)
        rows.append(
            {
                "record_pseudonym": person["record_pseudonym"],
                "event_id": _hex(f"ev{salt}{person['record_pseudonym']}", 32),
                "event_type": "ed_visit" if i % 2 else "service",
                "event_date": day,
                "end_date": None,
                "category": "respiratory" if i % 2 else "food_pantry",
                "result": None,
                "program": "Harbor East Pantry" if i % 3 else None,
                "part2": False,
            }
        )
    return rows


def table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


Mutator = Callable[[list[dict[str, Any]], list[dict[str, Any]]], None]


def drop(
    home: HubHome,
    partner_id: str,
    *,
    n: int = 30,
    salt: str = "",
    mutate: Mutator | None = None,
    persons_schema: pa.Schema | None = PERSON_SCHEMA,
    events_schema: pa.Schema | None = EVENT_SCHEMA,
    validate: bool = False,
    created_at: datetime = CREATED,
    **kwargs: Any,
) -> Path:
    """Write a package into ``landing/<partner_id>/`` and return its folder.

    ``mutate(persons, events)`` edits the rows before writing (to break them); a schema of
    ``None`` lets Arrow infer types from the rows.
    """
    persons = persons_rows(partner_id, n, salt=salt)
    events = events_rows(persons, salt=salt)
    if mutate is not None:
        mutate(persons, events)
    p_tbl = pa.Table.from_pylist(persons, schema=persons_schema)
    e_tbl = pa.Table.from_pylist(events, schema=events_schema)
    kwargs.setdefault("key_fingerprint", fingerprint(partner_id))
    kwargs.setdefault("signing_key", signing_key(partner_id))
    return write_package(
        home.landing / partner_id,
        partner_id=partner_id,
        persons=p_tbl,
        events=e_tbl,
        validate=validate,
        created_at=created_at,
        report={"records": n, "invalid": {}},
        **kwargs,
    )


def rewrite_manifest(
    package: Path,
    edit: Callable[[dict[str, Any]], None] | None = None,
    *,
    signer: str | None = "",
) -> None:
    """Recompute checksums and row counts of a package's files, apply ``edit``, rewrite.

    The manifest is re-signed as its partner would (``signer`` names another partner whose key
    signs instead; ``None`` leaves it unsigned), so a test breaks only what it means to.
    """
    import contextlib
    import json

    import pyarrow.parquet as pq

    from contract.manifest import file_sha256

    manifest_path = package / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for name, entry in manifest["files"].items():
        path = package / name
        if path.is_file() and path.stat().st_size:
            entry["sha256"] = file_sha256(path)
            if name.endswith(".parquet"):
                # A deliberately broken file keeps its count.
                with contextlib.suppress(Exception):
                    entry["rows"] = pq.ParquetFile(path).metadata.num_rows
    manifest.pop(SIGNATURE_FIELD, None)
    if edit is not None:
        edit(manifest)
    if signer is not None:
        manifest = sign_manifest(manifest, signing_key(signer or str(manifest.get("partner_id"))))
    manifest_path.write_text(json.dumps(manifest, indent=2))


def staging_counts(con: Any, partner_id: str) -> tuple[int, int, int]:
    """(submissions, persons, events) rows of one partner in staging."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM staging.submissions WHERE partner_id = $p), "
        "(SELECT count(*) FROM staging.persons WHERE partner_id = $p), "
        "(SELECT count(*) FROM staging.events WHERE partner_id = $p)",
        {"p": partner_id},
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


SMUGGLED_NAME = "Zyxwick"


def drop_smuggled_name(home: HubHome, partner_id: str, *, n: int = 30) -> Path:
    """A re-export with a ``first_name`` column left in (every row :data:`SMUGGLED_NAME`):
    quarantined at the schema gate, its value never to be seen anywhere in the hub."""
    return drop(
        home,
        partner_id,
        n=n,
        mutate=lambda persons, _: [row.update(first_name=SMUGGLED_NAME) for row in persons],
        persons_schema=PERSON_SCHEMA.append(pa.field("first_name", pa.string())),
    )
