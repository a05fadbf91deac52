"""Sealing the hub's envelope (format ``carehub-extract/1``): HPKE-encrypted payload, signed
manifest. The format, the HPKE suite and the signature are the contract's
(``contract/envelope.py``); ``partner/open.py`` is the reading side, docs/extracts.md has the
full specification.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from contract.envelope import FORMAT, HPKE_SUITE, SUITE, hpke_info, sign_envelope
from kernel.signing import canonical
from warehouse.keys import SigningKey

__all__ = [
    "FORMAT",
    "HPKE_SUITE",
    "MIN_PADDED_BYTES",
    "envelope_bytes",
    "hpke_info",
    "manifest_sha256",
    "pad",
    "seal",
]
# Plaintexts are padded to the next power of two from 4 KiB, so the ciphertext length (in clear)
# tells the size of the cohort only to within a factor of two.
MIN_PADDED_BYTES: Final = 4096


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
    ciphertext = SUITE.encrypt(pad(canonical(payload)), recipient_key, info=info)
    signed = {
        **manifest,
        "format": FORMAT,
        "hub_kid": signer.kid,
        "hpke_suite": HPKE_SUITE,
        "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        "ciphertext_bytes": len(ciphertext),
    }
    return {
        "format": FORMAT,
        "manifest": signed,
        "signature": sign_envelope(signed, signer),
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
