"""The extract envelope (format ``carehub-extract/1``): HPKE-encrypted payload, signed manifest.

One file, ``<extract_id>.extract.json``::

    {"format": "carehub-extract/1",
     "manifest": {...},                       # in clear, signed
     "signature": {"alg": "Ed25519", "kid": "<hub kid>", "value": "<base64>"},
     "ciphertext": "<base64>"}

The signature is Ed25519 over the canonical JSON of ``manifest`` (sorted keys, no whitespace,
ASCII). The manifest binds the ciphertext by its sha256. The payload is encrypted with HPKE base
mode (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305) to the recipient's
registered X25519 key, with ``info`` = :func:`hpke_info` of recipient, extract id and expiry, so a
ciphertext cannot be re-labelled for another recipient, id or expiry. docs/extracts.md has the
full specification; ``partner/open.py`` is the reading side.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kernel.signing import canonical
from warehouse.keys import SigningKey

FORMAT: Final = "carehub-extract/1"
HPKE_SUITE: Final = "DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/ChaCha20-Poly1305"
# Plaintexts are padded to the next power of two from 4 KiB, so the ciphertext length (in clear)
# tells the size of the cohort only to within a factor of two.
MIN_PADDED_BYTES: Final = 4096
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def hpke_info(recipient: str, extract_id: str, expires_at: str) -> bytes:
    """The HPKE ``info``: binds recipient, extract id and expiry to the ciphertext."""
    return (
        f"{FORMAT}|recipient={recipient}|extract_id={extract_id}|expires_at={expires_at}".encode()
    )


def seal(
    payload: Mapping[str, Any],
    manifest: Mapping[str, Any],
    recipient_key: X25519PublicKey,
    signer: SigningKey,
) -> dict[str, Any]:
    """Encrypt ``payload`` to ``recipient_key``, complete and sign ``manifest``.

    Args:
        payload: The plaintext document (JSON-serialisable).
        manifest: Manifest fields; must include ``recipient``, ``extract_id`` and ``expires_at``.
            ``format``, ``hub_kid``, ``hpke_suite``, ``ciphertext_sha256`` and
            ``ciphertext_bytes`` are added here.
        recipient_key: The recipient's registered X25519 public key.
        signer: The hub's active signing key.

    Returns:
        The envelope (JSON-serialisable).
    """
    info = hpke_info(
        str(manifest["recipient"]), str(manifest["extract_id"]), str(manifest["expires_at"])
    )
    ciphertext = _SUITE.encrypt(pad(canonical(payload)), recipient_key, info=info)
    signed = {
        **manifest,
        "format": FORMAT,
        "hub_kid": signer.kid,
        "hpke_suite": HPKE_SUITE,
        "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        "ciphertext_bytes": len(ciphertext),
    }
    signature = signer.sign(canonical(signed))
    return {
        "format": FORMAT,
        "manifest": signed,
        "signature": {
            "alg": "Ed25519",
            "kid": signer.kid,
            "value": base64.b64encode(signature).decode(),
        },
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }


def pad(document: bytes) -> bytes:
    """``document`` (JSON) followed by spaces up to its size bucket (JSON ignores them)."""
    size = MIN_PADDED_BYTES
    while size < len(document):
        size *= 2
    return document + b" " * (size - len(document))


def envelope_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The file bytes of an envelope (indented so the manifest is readable by a steward)."""
    return (json.dumps(envelope, indent=1, sort_keys=True, ensure_ascii=True) + "\n").encode()


def manifest_sha256(envelope: Mapping[str, Any]) -> str:
    """sha256 of the canonical manifest (recorded in the audit log)."""
    return hashlib.sha256(canonical(envelope["manifest"])).hexdigest()
