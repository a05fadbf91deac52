"""Purpose subkeys derived with HKDF from the partners' shared secret, and the key fingerprint.

Every encoding is keyed by its own subkey ``HKDF-SHA256(ikm=secret, salt=none,
info=b"carehub/2.2/<purpose>", length=32)``. The hub never holds the secret: it only learns the
fingerprint, an HMAC of a fixed label under the ``fingerprint`` subkey, which lets it spot a
partner that encoded under a wrong or stale secret without learning anything about the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contract.spec import SPEC_VERSION, TOKEN_COLUMNS

MIN_SECRET_BYTES: Final = 32
FINGERPRINT_LABEL: Final = b"carehub key fingerprint v1"
# Subkeys of the shared secret besides one per token column.
BLOOM_NAME: Final = "bloom_name"  # first and last name filters share it: swapped names compare
BLOOM_ADDR: Final = "bloom_addr"
BLOOM_DOB: Final = "bloom_dob"
BLOOM_SSN: Final = "bloom_ssn"
NOISE: Final = "bloom_noise"  # seeds the per-record bit flips
FINGERPRINT: Final = "fingerprint"
# Subkeys that keep the spec 1.0 label whatever the spec: hub registries hold fingerprints (a new
# spec must not make every registered partner look as if it had a wrong secret), and record
# pseudonyms and event ids name the same records across specs (crosswalks, persons' stable keys,
# deletion requests stay valid when a partner re-encodes).
STABLE_LABEL_SPEC: Final = "1.0"
# Subkeys of the partner-only key.
PSEUDONYM: Final = "record_pseudonym"  # first 128 bits of the pseudonym
PSEUDONYM_HI: Final = "record_pseudonym_hi"  # last 128 bits
EVENT_ID: Final = "event_id"


class SecretError(ValueError):
    """A secret is missing, too short or badly protected; the message says how to fix it."""


def derive_key(secret: bytes, purpose: str, spec_version: str = SPEC_VERSION) -> bytes:
    """HKDF-SHA256 subkey of ``secret`` for one purpose (32 bytes).

    The spec version is in the label, so encodings of two specs never agree by accident.
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(
            f"the secret has {len(secret)} bytes, at least {MIN_SECRET_BYTES} are needed; "
            "generate one with `carehub partner keygen --shared-secret FILE`"
        )
    info = f"carehub/{spec_version}/{purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of one message (the key fingerprint)."""
    return hmac.digest(key, message, hashlib.sha256)


def key_fingerprint(secret: bytes) -> str:
    """64 lower-hex: HMAC-SHA256(HKDF(secret, "fingerprint"), label). Never the secret."""
    return hmac_sha256(derive_key(secret, FINGERPRINT, STABLE_LABEL_SPEC), FINGERPRINT_LABEL).hex()


@dataclass(frozen=True)
class EncodingKeys:
    """All subkeys one encoding run needs. ``repr`` never shows key bytes."""

    tokens: dict[str, bytes] = field(repr=False)
    bloom_name: bytes = field(repr=False)
    bloom_addr: bytes = field(repr=False)
    bloom_dob: bytes = field(repr=False)
    bloom_ssn: bytes = field(repr=False)
    noise: bytes = field(repr=False)
    fingerprint: str
    pseudonym: bytes | None = field(default=None, repr=False)
    pseudonym_hi: bytes | None = field(default=None, repr=False)
    event_id: bytes | None = field(default=None, repr=False)

    @classmethod
    def derive(cls, shared_secret: bytes, partner_key: bytes | None = None) -> EncodingKeys:
        """Derive every subkey from the shared secret and, if given, the partner-only key."""
        return cls(
            tokens={col: derive_key(shared_secret, col) for col in TOKEN_COLUMNS},
            bloom_name=derive_key(shared_secret, BLOOM_NAME),
            bloom_addr=derive_key(shared_secret, BLOOM_ADDR),
            bloom_dob=derive_key(shared_secret, BLOOM_DOB),
            bloom_ssn=derive_key(shared_secret, BLOOM_SSN),
            noise=derive_key(shared_secret, NOISE),
            fingerprint=key_fingerprint(shared_secret),
            pseudonym=derive_key(partner_key, PSEUDONYM, STABLE_LABEL_SPEC)
            if partner_key
            else None,
            pseudonym_hi=derive_key(partner_key, PSEUDONYM_HI, STABLE_LABEL_SPEC)
            if partner_key
            else None,
            event_id=derive_key(partner_key, EVENT_ID, STABLE_LABEL_SPEC) if partner_key else None,
        )
