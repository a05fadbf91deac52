"""The hub's envelope for extracts and care alerts: what the hub seals and the partner opens.

One JSON file (``<id>.extract.json`` or ``<id>.alert.json``)::

    {"format": "carehub-extract/1",
     "manifest": {...},                       # in clear, signed
     "signature": {"alg": "Ed25519", "kid": "<hub kid>", "value": "<base64>"},
     "ciphertext": "<base64>"}

The signature is Ed25519 over the canonical JSON of ``manifest`` (``kernel.signing.canonical``:
sorted keys, no whitespace, ASCII); the manifest binds the ciphertext by its sha256. The payload
is encrypted with HPKE base mode (RFC 9180: :data:`SUITE`) to the recipient's registered X25519
key, with ``info`` = :func:`hpke_info`, so a ciphertext cannot be re-labelled for another
recipient, id or expiry. The hub's signing keys are published as a key set
(:data:`KEYSET_FORMAT`) in which each new key is endorsed by its predecessor
(:func:`endorsement_payload`). The writing side is ``warehouse/extracts/envelope.py``, the
reading side ``partner/open.py``; docs/extracts.md has the full specification.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any, Final, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kernel.signing import canonical

FORMAT: Final = "carehub-extract/1"
PAYLOAD_FORMAT: Final = "carehub-extract-payload/1"
EXTRACT_SUFFIX: Final = ".extract.json"
# A care alert the hub writes to outbox/<partner>/alerts/ and the partner's inbox opens: the
# file suffix and the format of its encrypted payload (the envelope is the extract's).
ALERT_SUFFIX: Final = ".alert.json"
ALERT_PAYLOAD_FORMAT: Final = "carehub-alert-payload/1"
KEYSET_FORMAT: Final = "carehub-hub-keys/1"
HPKE_SUITE: Final = "DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/ChaCha20-Poly1305"
SUITE: Final = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
SIGNATURE_ALG: Final = "Ed25519"


class Signer(Protocol):
    """A signing key as the hub holds it (``warehouse.keys.SigningKey``)."""

    @property
    def kid(self) -> str: ...

    def sign(self, payload: bytes) -> bytes: ...


def hpke_info(recipient: str, extract_id: str, expires_at: str) -> bytes:
    """The HPKE ``info``: binds recipient, extract id and expiry to the ciphertext."""
    return (
        f"{FORMAT}|recipient={recipient}|extract_id={extract_id}|expires_at={expires_at}".encode()
    )


def recipient_key_id(raw_public_key: bytes) -> str:
    """The manifest's ``recipient_key_id``: first 16 hex of sha256 of the recipient's raw
    X25519 public key (the hub has it registered, the partner derives it from its private key)."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def sign_envelope(manifest: Mapping[str, Any], signer: Signer) -> dict[str, str]:
    """The envelope's ``signature`` object: Ed25519 by ``signer`` over the canonical manifest."""
    value = signer.sign(canonical(manifest))
    return {"alg": SIGNATURE_ALG, "kid": signer.kid, "value": base64.b64encode(value).decode()}


def envelope_signature_valid(
    manifest: Mapping[str, Any], signature: Any, public_key: Ed25519PublicKey
) -> bool:
    """Whether ``signature`` (the envelope's signature object) is ``public_key``'s over
    ``manifest``. A malformed signature object is not valid."""
    try:
        value = base64.b64decode(signature["value"], validate=True)
        public_key.verify(value, canonical(manifest))
    except (InvalidSignature, binascii.Error, ValueError, KeyError, TypeError):
        return False
    return True


def endorsement_payload(kid: str, public_key: str, not_before: str) -> bytes:
    """What a hub key's predecessor signs to endorse it in the published key set.

    Args:
        kid: The endorsed key's id.
        public_key: Its base64 raw public key, as published.
        not_before: The start of its validity, as published (ISO 8601 UTC text).
    """
    return f"{KEYSET_FORMAT}|endorse|{kid}|{public_key}|{not_before}".encode()
