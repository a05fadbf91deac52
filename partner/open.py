"""Open a hub extract on the partner's machine: verify, decrypt, check, map back, write a CSV.

``carehub partner open --extract F --key F --crosswalk F --out CSV --hub-keys hub_public_keys.json``

The steps, each failing with its own :class:`OpenError` (``code`` says which):

1. ``not_an_extract``: the file is not a ``carehub-extract/1`` envelope.
2. ``unknown_hub_key``: the manifest is signed by a key that is not in the hub's published key set.
3. ``tampered_manifest``: the Ed25519 signature over the manifest does not verify.
   ``untrusted_key_set`` (with ``trusted_kid``): the signing key does not chain back, through
   the key set's endorsements, to the hub key the partner pinned.
   ``governance_unapproved``: the extract does not carry the partners' signed approvals of the
   governance version it was built under, or they do not reach that version's quorum (checked
   here with :func:`governance.approvals.tally`, against the keys the partner pinned if given).
4. ``key_not_valid``: the signing key was not valid when the extract says it was made.
5. ``tampered_ciphertext``: the ciphertext does not match the manifest's sha256, or fails HPKE
   authentication.
6. ``wrong_recipient``: the extract is encrypted to another partner's (or an older) key.
7. ``expired``: past ``expires_at``.
8. ``replayed``: this extract id was opened before (local ledger ``opened_extracts.jsonl``).
   ``audit_rewound``: the extract's audit head is behind the last one the ledger kept.
9. ``crosswalk_missing``: the crosswalk lacks some of the extract's pseudonyms.

Nothing is written (no CSV, no ledger line) unless every step passes. This module is the
independent reading side of ``warehouse/extracts/envelope.py`` and needs only ``cryptography``
and ``duckdb`` (no Dagster, Great Expectations or Splink).
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from contract.envelope import (
    FORMAT,
    KEYSET_FORMAT,
    PAYLOAD_FORMAT,
    SUITE,
    endorsement_payload,
    envelope_signature_valid,
    hpke_info,
    recipient_key_id,
)
from governance.carried import UnapprovedError, carried_approvals
from kernel import clock

LEDGER_FILE: Final = "opened_extracts.jsonl"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


class OpenError(Exception):
    """Opening failed; ``code`` names the check, the message says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class OpenResult:
    """An opened extract.

    Attributes:
        extract_id: The extract's id.
        recipient: The partner it was made for.
        out: The CSV written for the care team.
        rows: Rows written (the partner's own clients in the cohort).
        cohort_sizes: Rows per segment of the agreement (0 for a segment with none).
        flag_counts: Rows with each context flag set.
        purpose: The agreement's stated purpose.
        created_at: When the hub built it.
        expires_at: Until when it could be opened.
        hub_kid: The hub key that signed it.
        governance_version: The hub governance version it was built under.
        governance_approved_by: The partners whose signed approval of that governance version
            the extract carries (a quorum, verified here).
        pseudonyms: The record pseudonyms listed (all found in the partner's own crosswalk);
            lets a demo or an auditor check isolation across partners.
    """

    extract_id: str
    recipient: str
    out: Path
    rows: int
    cohort_sizes: dict[str, int]
    flag_counts: dict[str, int]
    purpose: str
    created_at: datetime
    expires_at: datetime
    hub_kid: str
    governance_version: str
    governance_approved_by: tuple[str, ...] = ()
    pseudonyms: frozenset[str] = field(default_factory=frozenset, repr=False)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


def neutralise(value: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with ``'``."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _read_envelope(path: Path) -> dict[str, Any]:
    try:
        envelope = json.loads(path.read_bytes())
        if envelope.get("format") != FORMAT:
            raise ValueError("format")
        for key in ("manifest", "signature", "ciphertext"):
            if key not in envelope:
                raise KeyError(key)
        if not isinstance(envelope["manifest"], dict):
            raise ValueError("manifest")
        return dict(envelope)
    except FileNotFoundError:
        raise OpenError("not_an_extract", f"{path}: no such file") from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise OpenError(
            "not_an_extract",
            f"{path}: not a carehub extract ({FORMAT}); pass the .extract.json file from the "
            "hub's outbox",
        ) from None


def _hub_keys(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != KEYSET_FORMAT:
            raise ValueError("format")
        return {str(k["kid"]): dict(k) for k in data["keys"]}
    except FileNotFoundError:
        raise OpenError(
            "unknown_hub_key", f"{path}: no hub key set; get hub_public_keys.json from the hub"
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise OpenError(
            "unknown_hub_key",
            f"{path}: not a carehub hub key set ({KEYSET_FORMAT}); get hub_public_keys.json "
            "from the hub",
        ) from None


def _verify(envelope: dict[str, Any], keys: dict[str, dict[str, Any]], source: Path) -> None:
    manifest = envelope["manifest"]
    signature = envelope["signature"]
    kid = str(signature.get("kid", "")) if isinstance(signature, dict) else ""
    if kid != manifest.get("hub_kid"):
        raise OpenError(
            "tampered_manifest",
            f"{source}: the manifest names hub key {manifest.get('hub_kid')!s} but is signed "
            f"with {kid or 'no key'}; the manifest was altered. Ask the hub to resend.",
        )
    entry = keys.get(kid)
    if entry is None:
        raise OpenError(
            "unknown_hub_key",
            f"{source}: signed by hub key {kid}, which is not in your hub_public_keys.json; "
            "fetch the hub's current key set, and do not trust this extract if the hub does "
            "not list that key",
        )
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        public = None
    if public is None or not envelope_signature_valid(manifest, signature, public):
        raise OpenError(
            "tampered_manifest",
            f"{source}: the manifest's signature does not verify against hub key {kid}; the "
            "manifest was altered in transit or not made by the hub. Do not use it; ask the hub "
            "to resend.",
        )
    created = _parse_time(manifest["created_at"])
    start = _parse_time(entry["not_before"])
    end = _parse_time(entry["not_after"]) if entry.get("not_after") else None
    if created < start or (end is not None and created > end):
        raise OpenError(
            "key_not_valid",
            f"{source}: signed by hub key {kid} at {manifest['created_at']}, outside that key's "
            f"validity ({entry['not_before']} to {entry.get('not_after') or 'now'}); the key "
            "may be compromised. Contact the hub.",
        )


def check_governance(
    manifest: dict[str, Any], source: Path, trusted_signers: Path | None = None
) -> tuple[str, ...]:
    """Verify the approvals the extract carries; return who approved
    (:func:`governance.carried.carried_approvals`).

    Raises:
        OpenError: ``governance_unapproved``, saying what is missing.
    """
    try:
        return carried_approvals(manifest, source, trusted_signers)
    except UnapprovedError as exc:
        raise OpenError("governance_unapproved", str(exc)) from None


def _check_trust(keys: dict[str, dict[str, Any]], kid: str, trusted: str, source: Path) -> None:
    """Follow endorsements from the signing key back to the partner's pinned hub key."""
    seen: set[str] = set()
    current = kid
    while current != trusted:
        entry = keys.get(current)
        parent = keys.get(str(entry.get("endorsed_by"))) if entry else None
        if entry is None or parent is None or current in seen:
            raise OpenError(
                "untrusted_key_set",
                f"{source}: hub key {kid} is not endorsed, through the key set's chain, by the "
                f"hub key you trust ({trusted}); the key set may be forged. Get the key set from "
                "the hub over a channel you trust.",
            )
        seen.add(current)
        payload = endorsement_payload(current, entry["public_key"], entry["not_before"])
        try:
            Ed25519PublicKey.from_public_bytes(base64.b64decode(parent["public_key"])).verify(
                base64.b64decode(str(entry.get("endorsement"))), payload
            )
        except (InvalidSignature, binascii.Error, ValueError):
            raise OpenError(
                "untrusted_key_set",
                f"{source}: the endorsement of hub key {current} by {parent.get('kid')} does not "
                "verify; the key set was altered. Get it from the hub again.",
            ) from None
        current = str(parent["kid"])


def _ciphertext(envelope: dict[str, Any], source: Path) -> bytes:
    manifest = envelope["manifest"]
    try:
        data = base64.b64decode(envelope["ciphertext"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        data = b""
    if hashlib.sha256(data).hexdigest() != manifest.get("ciphertext_sha256"):
        raise OpenError(
            "tampered_ciphertext",
            f"{source}: the encrypted content does not match the signed manifest (sha256); it "
            "was altered or damaged in transit. Ask the hub to resend.",
        )
    return data


def load_private_key(path: Path) -> X25519PrivateKey:
    """Read the partner's X25519 private key (PEM PKCS#8, raw 32 bytes, or base64 of them).

    Raises:
        OpenError: missing, readable by others, or not an X25519 private key.
    """
    if not path.is_file():
        raise OpenError("bad_key", f"{path}: no such key file")
    if path.stat().st_mode & 0o077:
        raise OpenError(
            "bad_key", f"{path}: the private key is readable by group/others; run chmod 600"
        )
    data = path.read_bytes()
    try:
        if b"PRIVATE KEY" in data:
            key = serialization.load_pem_private_key(data, password=None)
            if isinstance(key, X25519PrivateKey):
                return key
            raise ValueError("type")
        raw = data if len(data) == 32 else base64.b64decode(data.strip(), validate=True)
        return X25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        raise OpenError(
            "bad_key",
            f"{path}: not an X25519 private key; pass the extract key made by "
            "`carehub partner keygen`",
        ) from None


def key_id(private_key: X25519PrivateKey) -> str:
    """Id of the matching public key (first 16 hex of sha256 of its raw bytes)."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return recipient_key_id(raw)


def _ledger_entries(ledger: Path) -> dict[str, str]:
    if not ledger.is_file():
        return {}
    opened = {}
    for line in ledger.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            opened[str(item["extract_id"])] = str(item["opened_at"])
    return opened


def last_audit_anchor(ledger: Path) -> dict[str, Any] | None:
    """The latest hub audit head this partner saw (the highest ``seq`` in its ledger).

    Every extract carries the head of the hub's audit log at its creation; the ledger keeps it
    outside the hub, so a log cut back or rewritten later is caught (by the next extract, or by
    a steward given this head for ``carehub audit verify --expect-head``).
    """
    best: dict[str, Any] | None = None
    if ledger.is_file():
        for line in ledger.read_text(encoding="utf-8").splitlines():
            anchor = json.loads(line).get("audit_anchor") if line.strip() else None
            if isinstance(anchor, dict) and (best is None or anchor["seq"] > best["seq"]):
                best = anchor
    return best


def _check_anchor(extract: Path, manifest: dict[str, Any], ledger: Path) -> None:
    """A new extract's audit head must not be behind the last one this partner saw."""
    anchor = manifest.get("audit_anchor")
    last = last_audit_anchor(ledger)
    if not isinstance(anchor, dict) or last is None:
        return
    if anchor.get("seq", 0) < last["seq"] or (
        anchor.get("seq") == last["seq"] and anchor.get("hash") != last["hash"]
    ):
        raise OpenError(
            "audit_rewound",
            f"{extract}: the hub's audit log is at entry {anchor.get('seq')}, behind (or "
            f"different from) entry {last['seq']} that an earlier extract showed (hash "
            f"{str(last['hash'])[:16]}...): the log was cut back or rewritten. Tell the hub's "
            "stewards and your privacy officer; give them that hash for `carehub audit verify "
            "--expect-head`",
        )


def _crosswalk(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise OpenError("crosswalk_missing", f"{path}: no such crosswalk file")
    con = duckdb.connect()
    try:
        rel = (
            con.read_parquet(str(path))
            if path.suffix == ".parquet"
            else con.read_csv(str(path), all_varchar=True, header=True)
        )
        columns = rel.columns
        if "record_pseudonym" not in columns:
            raise OpenError(
                "crosswalk_missing",
                f"{path}: no record_pseudonym column; pass the crosswalk written by "
                "`carehub partner encode`",
            )
        others = [c for c in columns if c != "record_pseudonym"]
        id_column = "record_id" if "record_id" in others else (others[0] if others else None)
        if id_column is None:
            raise OpenError(
                "crosswalk_missing", f"{path}: no record id column next to record_pseudonym"
            )
        rows = rel.select(
            duckdb.ColumnExpression("record_pseudonym").cast("VARCHAR"),
            duckdb.ColumnExpression(id_column).cast("VARCHAR"),
        ).fetchall()
    except duckdb.Error:
        raise OpenError(
            "crosswalk_missing", f"{path}: cannot be read as CSV or Parquet; pass the crosswalk"
        ) from None
    finally:
        con.close()
    return {str(p): str(r) for p, r in rows if p is not None and r is not None}


def unseal(
    extract: Path,
    keys: Sequence[Path],
    hub_keys: Path,
    *,
    ledger: Path,
    moment: datetime,
    trusted_kid: str | None = None,
    payload_format: str = PAYLOAD_FORMAT,
    id_field: str = "extract_id",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify and decrypt one hub envelope (an extract, or an alert: the same envelope).

    Checks, in order: the envelope format, the hub's signature and key validity (and the
    endorsement chain to ``trusted_kid``), the ciphertext's hash, the recipient key, expiry,
    the ledger (no replay, no rewound audit head), HPKE authentication, and that the payload is
    ``payload_format`` and names the manifest's id (``payload[id_field]``) and recipient.

    Returns:
        ``(manifest, payload)``.

    Raises:
        OpenError: with ``code`` naming the failed check.
    """
    if not keys:
        raise OpenError("bad_key", "no extract key given; pass --key")
    envelope = _read_envelope(extract)
    keyset = _hub_keys(hub_keys)
    _verify(envelope, keyset, extract)
    if trusted_kid:
        _check_trust(keyset, str(envelope["signature"]["kid"]), trusted_kid, extract)
    manifest = envelope["manifest"]
    ciphertext = _ciphertext(envelope, extract)
    candidates = {key_id(k): k for k in (load_private_key(p) for p in keys)}
    private = candidates.get(str(manifest.get("recipient_key_id")))
    if private is None:
        raise OpenError(
            "wrong_recipient",
            f"{extract}: encrypted to {manifest.get('recipient')}'s key "
            f"{manifest.get('recipient_key_id')}, but the key(s) given are "
            f"{', '.join(sorted(candidates))}; use that partner's extract key (or, after a "
            "rotation, also pass your previous key)",
        )
    expires = _parse_time(manifest["expires_at"])
    if moment > expires:
        raise OpenError(
            "expired",
            f"{extract}: expired at {manifest['expires_at']}; ask the hub for a fresh extract",
        )
    opened = _ledger_entries(ledger)
    if manifest["extract_id"] in opened:
        raise OpenError(
            "replayed",
            f"{extract}: extract {manifest['extract_id']} was already opened at "
            f"{opened[manifest['extract_id']]} (ledger {ledger}); a second delivery of the same "
            "extract is refused. Use the CSV from then, or ask the hub for a new extract.",
        )
    _check_anchor(extract, manifest, ledger)
    info = hpke_info(
        str(manifest["recipient"]), str(manifest["extract_id"]), str(manifest["expires_at"])
    )
    try:
        plaintext = SUITE.decrypt(ciphertext, private, info=info)
    except InvalidTag:
        raise OpenError(
            "tampered_ciphertext",
            f"{extract}: decryption failed authentication; the extract was altered, or is not "
            "for this key. Ask the hub to resend.",
        ) from None
    payload = json.loads(plaintext)
    if (
        payload.get("format") != payload_format
        or payload.get(id_field) != manifest["extract_id"]
        or payload.get("recipient") != manifest["recipient"]
    ):
        raise OpenError("tampered_manifest", f"{extract}: content does not match its manifest")
    return dict(manifest), dict(payload)


def read_crosswalk(path: Path) -> dict[str, str]:
    """The partner's crosswalk: ``record_pseudonym`` -> its own record id (CSV or Parquet)."""
    return _crosswalk(path)


def open_extract(
    extract: Path,
    key: Path | Sequence[Path],
    crosswalk: Path,
    out: Path,
    hub_keys: Path,
    *,
    ledger: Path | None = None,
    now: datetime | None = None,
    trusted_kid: str | None = None,
    trusted_signers: Path | None = None,
) -> OpenResult:
    """Verify, decrypt and map back one extract; write the care team's CSV.

    Args:
        extract: The ``.extract.json`` file from the hub's outbox.
        key: The partner's X25519 private extract key, or several (current and rotated-away
            keys): the one the extract was encrypted to is used.
        crosswalk: The partner's crosswalk (``record_pseudonym`` -> own record id), CSV or Parquet.
        out: The CSV to write (``record_id, segments, <flag>...``).
        hub_keys: The hub's published ``hub_public_keys.json``.
        ledger: Ledger of opened extract ids (default ``opened_extracts.jsonl`` next to ``key``).
        now: The current time (for tests; default now, UTC).
        trusted_kid: The hub key id the partner pinned at onboarding; when given, the signing
            key must be that key or endorsed by it through the key set's chain.
        trusted_signers: Partners' governance signing keys the partner pinned (see
            :func:`check_governance`).

    Raises:
        OpenError: with ``code`` naming the failed check; nothing is written.
    """
    keys = [Path(key)] if isinstance(key, str | Path) else [Path(k) for k in key]
    extract, crosswalk, out = Path(extract), Path(crosswalk), Path(out)
    moment = (now or clock.now()).astimezone(UTC)
    ledger = Path(ledger) if ledger else (keys[0].parent / LEDGER_FILE if keys else Path())
    manifest, payload = unseal(
        extract, keys, Path(hub_keys), ledger=ledger, moment=moment, trusted_kid=trusted_kid
    )
    approved_by = check_governance(manifest, extract, trusted_signers)
    expires = _parse_time(manifest["expires_at"])
    records = payload["records"]
    mapping = _crosswalk(crosswalk)
    missing_rows = [
        i for i, r in enumerate(records, start=1) if r["record_pseudonym"] not in mapping
    ]
    if missing_rows:
        shown = ", ".join(str(i) for i in missing_rows[:5])
        raise OpenError(
            "crosswalk_missing",
            f"{crosswalk}: lacks {len(missing_rows)} of the extract's {len(records)} pseudonyms "
            f"(extract rows {shown}{', ...' if len(missing_rows) > 5 else ''}); use the crosswalk "
            "of every submission you sent (append all runs' crosswalks) and open again",
        )
    flags = list(payload["context_flags"])
    _write_csv(out, records, mapping, flags)
    _record_opened(ledger, manifest, moment, out)
    return OpenResult(
        extract_id=str(manifest["extract_id"]),
        recipient=str(manifest["recipient"]),
        out=out,
        rows=len(records),
        cohort_sizes={
            segment: Counter(s for r in records for s in r["segments"]).get(segment, 0)
            for segment in payload["segments"]
        },
        flag_counts={f: sum(1 for r in records if r["flags"].get(f)) for f in flags},
        purpose=str(payload.get("purpose", "")),
        created_at=_parse_time(manifest["created_at"]),
        expires_at=expires,
        hub_kid=str(manifest["hub_kid"]),
        governance_version=str(manifest.get("governance_version", "")),
        governance_approved_by=approved_by,
        pseudonyms=frozenset(r["record_pseudonym"] for r in records),
    )


def _write_csv(
    out: Path, records: list[dict[str, Any]], mapping: dict[str, str], flags: list[str]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["record_id", "segments", *flags])
    for record in sorted(records, key=lambda r: mapping[r["record_pseudonym"]]):
        writer.writerow(
            [
                neutralise(mapping[record["record_pseudonym"]]),
                neutralise(";".join(record["segments"])),
                *("yes" if record["flags"].get(f) else "no" for f in flags),
            ]
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    aside = out.with_name(f".{out.name}.tmp")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    os.replace(aside, out)


def _record_opened(ledger: Path, manifest: dict[str, Any], moment: datetime, out: Path) -> None:
    append_ledger(
        ledger,
        {
            "extract_id": manifest["extract_id"],
            "opened_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at": manifest["created_at"],
            "out": out.name,
            # Kept outside the hub: see last_audit_anchor.
            "audit_anchor": manifest.get("audit_anchor"),
        },
    )


def append_ledger(ledger: Path, entry: dict[str, Any]) -> None:
    """Append one opened envelope to the partner's ledger (owner-only, fsynced): the replay
    and rewound-audit checks of the next open read it."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, sort_keys=True)
    fd = os.open(ledger, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
