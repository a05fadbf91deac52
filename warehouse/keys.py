"""The hub's Ed25519 signing keys, with rotation that never breaks verification of the past.

``keys/`` in the hub home holds:

* ``hub_signing_<kid>.key``: the one active private key (PKCS#8 PEM, mode 0600);
* ``hub_public_keys.json``: the published key set that partners use to verify extract manifests:
  every current and retired public key with its validity window. Each key after the first is
  endorsed by its predecessor (an Ed25519 signature over the new key and its start), so a partner
  that trusted the first key can follow the chain.

Rotation makes a new key active, closes the old key's window (``not_after``) and destroys the old
private key. An extract signed during a retired key's window still verifies.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contract.envelope import KEYSET_FORMAT, endorsement_payload
from kernel import clock
from kernel.home import HubHome
from kernel.signing import kid_of

PUBLIC_KEYS_FILE: Final = "hub_public_keys.json"


class SigningKeyError(RuntimeError):
    """A signing-key problem (missing key, unreadable key set, bad permissions)."""


@dataclass(frozen=True)
class PublicKeyEntry:
    """One published hub public key.

    Attributes:
        kid: First 16 hex of sha256 of the raw public key.
        public_key: Base64 of the 32 raw bytes.
        not_before: Start of the validity window (UTC).
        not_after: End of the window, or None while the key is active.
        endorsed_by: kid of the predecessor that endorsed this key, if any.
        endorsement: Base64 Ed25519 signature by the predecessor over :meth:`endorsement_payload`.
    """

    kid: str
    public_key: str
    not_before: datetime
    not_after: datetime | None = None
    endorsed_by: str | None = None
    endorsement: str | None = None

    def key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key))

    def valid_at(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in this key's validity window."""
        return self.not_before <= moment and (self.not_after is None or moment <= self.not_after)

    def endorsement_payload(self) -> bytes:
        return endorsement_payload(self.kid, self.public_key, _iso(self.not_before))

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "public_key": self.public_key,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after) if self.not_after else None,
            "status": "active" if self.not_after is None else "retired",
            "endorsed_by": self.endorsed_by,
            "endorsement": self.endorsement,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PublicKeyEntry:
        return cls(
            kid=str(data["kid"]),
            public_key=str(data["public_key"]),
            not_before=_parse(data["not_before"]),
            not_after=_parse(data["not_after"]) if data.get("not_after") else None,
            endorsed_by=data.get("endorsed_by"),
            endorsement=data.get("endorsement"),
        )


@dataclass(frozen=True)
class SigningKey:
    """The hub's active signing key."""

    kid: str
    private_key: Ed25519PrivateKey

    def sign(self, payload: bytes) -> bytes:
        return self.private_key.sign(payload)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _raw_b64(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_keys_path(home: HubHome) -> Path:
    """``<home>/keys/hub_public_keys.json``: the published key set."""
    return home.keys / PUBLIC_KEYS_FILE


def load_public_keys(path: Path) -> list[PublicKeyEntry]:
    """Read a published key set (``hub_public_keys.json``).

    Raises:
        SigningKeyError: the file is missing or not a carehub key set.
    """
    if not path.is_file():
        raise SigningKeyError(
            f"{path}: no hub public key set; ask the hub for its hub_public_keys.json"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != KEYSET_FORMAT:
            raise ValueError("format")
        return [PublicKeyEntry.from_json(item) for item in data["keys"]]
    except (ValueError, KeyError, TypeError):
        raise SigningKeyError(
            f"{path}: not a carehub hub key set (expected format {KEYSET_FORMAT}); "
            "use the hub_public_keys.json the hub publishes"
        ) from None


def _write_public_keys(home: HubHome, entries: list[PublicKeyEntry]) -> None:
    path = public_keys_path(home)
    body = {"format": KEYSET_FORMAT, "keys": [e.to_json() for e in entries]}
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.chmod(aside, 0o644)
    os.replace(aside, path)


def _private_path(home: HubHome, kid: str) -> Path:
    return home.keys / f"hub_signing_{kid}.key"


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    aside = path.with_name(f".{path.name}.tmp")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(aside, 0o600)
    os.replace(aside, path)


def _new_entry(
    key: Ed25519PrivateKey, now: datetime, predecessor: SigningKey | None
) -> PublicKeyEntry:
    public = key.public_key()
    entry = PublicKeyEntry(kid=kid_of(public), public_key=_raw_b64(public), not_before=now)
    if predecessor is None:
        return entry
    signature = predecessor.sign(entry.endorsement_payload())
    return PublicKeyEntry(
        kid=entry.kid,
        public_key=entry.public_key,
        not_before=now,
        endorsed_by=predecessor.kid,
        endorsement=base64.b64encode(signature).decode(),
    )


def ensure_signing_key(home: HubHome, *, now: datetime | None = None) -> SigningKey:
    """Return the active signing key, creating the first one if the hub has none."""
    home.keys.mkdir(parents=True, exist_ok=True)
    if public_keys_path(home).is_file():
        return active_signing_key(home)
    key = Ed25519PrivateKey.generate()
    entry = _new_entry(key, now or clock.now(), None)
    _write_private(_private_path(home, entry.kid), key)
    _write_public_keys(home, [entry])
    return SigningKey(entry.kid, key)


def active_signing_key(home: HubHome) -> SigningKey:
    """The hub's active signing key.

    Raises:
        SigningKeyError: no key set, no active key, its private key file is missing or readable by
            others.
    """
    entries = load_public_keys(public_keys_path(home))
    active = [e for e in entries if e.not_after is None]
    if len(active) != 1:
        raise SigningKeyError(
            f"{public_keys_path(home)}: expected exactly one active key, found {len(active)}; "
            "run `carehub hub rotate-signing-key`"
        )
    path = _private_path(home, active[0].kid)
    if not path.is_file():
        raise SigningKeyError(
            f"{path}: the active signing key's private file is missing; restore it from backup "
            "or run `carehub hub rotate-signing-key`"
        )
    if path.stat().st_mode & 0o077:
        raise SigningKeyError(
            f"{path}: the signing key is readable by group/others; run `chmod 600 {path}`"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey) or kid_of(key.public_key()) != active[0].kid:
        raise SigningKeyError(f"{path}: does not hold the active Ed25519 key {active[0].kid}")
    return SigningKey(active[0].kid, key)


def rotate_signing_key(home: HubHome, *, now: datetime | None = None) -> tuple[str, str]:
    """Make a new active signing key, retire (and destroy) the old one.

    Returns:
        ``(old_kid, new_kid)``.
    """
    moment = now or clock.now()
    old = active_signing_key(home)
    entries = load_public_keys(public_keys_path(home))
    key = Ed25519PrivateKey.generate()
    new = _new_entry(key, moment, old)
    _write_private(_private_path(home, new.kid), key)
    closed = [
        PublicKeyEntry(e.kid, e.public_key, e.not_before, moment, e.endorsed_by, e.endorsement)
        if e.kid == old.kid
        else e
        for e in entries
    ]
    _write_public_keys(home, [*closed, new])
    _private_path(home, old.kid).unlink(missing_ok=True)
    return old.kid, new.kid


def verify_chain(entries: list[PublicKeyEntry]) -> list[str]:
    """Problems with a key set's endorsement chain (empty when every successor is endorsed)."""
    problems: list[str] = []
    by_kid = {e.kid: e for e in entries}
    for entry in entries[1:]:
        parent = by_kid.get(entry.endorsed_by or "")
        if parent is None or entry.endorsement is None:
            problems.append(f"key {entry.kid} is not endorsed by a key in the set")
            continue
        try:
            parent.key().verify(base64.b64decode(entry.endorsement), entry.endorsement_payload())
        except InvalidSignature:
            problems.append(f"key {entry.kid}: endorsement by {parent.kid} does not verify")
    return problems
