"""Ed25519 signatures over canonical JSON: one module that signer and verifier both import.

A partner signs each package manifest with its own signing key (``carehub partner keygen``
writes it, 0600); the hub verifies it against the keys registered for the landing folder's
partner in ``config/governance.yaml``. The same primitives serve any other signed document
(e.g. governance approvals): the ``purpose`` string is part of the signed bytes, so a signature
made for one kind of document never verifies as another.

A signature is the JSON object ``{"alg": "Ed25519", "kid": <16 hex>, "value": <base64>}`` over
``<purpose>|`` + the canonical JSON of the document (sorted keys, no whitespace, ASCII).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG: Final = "Ed25519"
PACKAGE_PURPOSE: Final = "carehub-package/1"


class SignatureError(ValueError):
    """A signature is missing, malformed or does not verify; the message says which."""


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_of(public_key: Ed25519PublicKey) -> str:
    """First 16 hex of sha256 of the raw public key bytes."""
    return hashlib.sha256(raw_public(public_key)).hexdigest()[:16]


def public_b64(public_key: Ed25519PublicKey) -> str:
    """Base64 of the 32 raw public key bytes (how keys are registered and published)."""
    return base64.b64encode(raw_public(public_key)).decode()


def decode_public(value: str) -> Ed25519PublicKey:
    """An Ed25519 public key from the base64 of its 32 raw bytes.

    Raises:
        ValueError: not base64, or not 32 bytes (message says what to paste instead).
    """
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "is not base64; paste the signing public key printed by `carehub partner keygen`"
        ) from None
    if len(raw) != 32:
        raise ValueError(
            f"decodes to {len(raw)} bytes, an Ed25519 public key has 32; paste the base64 of "
            "the raw public key (the .ed25519.pub file), never the private key"
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def private_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM; ValueError when it is another kind of key."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("is not an Ed25519 private key")
    return key


def sign(document: Mapping[str, Any], key: Ed25519PrivateKey, purpose: str) -> dict[str, str]:
    """The signature object of ``document`` for ``purpose``."""
    value = key.sign(purpose.encode() + b"|" + canonical(document))
    return {"alg": ALG, "kid": kid_of(key.public_key()), "value": base64.b64encode(value).decode()}


def verify(
    document: Mapping[str, Any],
    signature: Any,
    keys: Iterable[Ed25519PublicKey],
    purpose: str,
) -> str:
    """Check ``signature`` over ``document`` against any of ``keys``; return the signing kid.

    Raises:
        SignatureError: the signature object is missing or malformed, or no key verifies it.
    """
    if not isinstance(signature, dict) or signature.get("alg") != ALG:
        raise SignatureError("missing, or not an Ed25519 signature object")
    try:
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature value is not base64") from None
    payload = purpose.encode() + b"|" + canonical(document)
    for key in keys:
        try:
            key.verify(value, payload)
        except InvalidSignature:
            continue
        return kid_of(key)
    raise SignatureError("does not verify against any registered key")
