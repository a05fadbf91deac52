"""A submission package's files and its signed ``manifest.json`` (docs/submission-format.md).

The partner client writes packages with these names and signs the manifest
(:func:`sign_manifest`); the hub's ingest gates check the same names and the same signature
(:func:`manifest_signer`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kernel.signing import PACKAGE_PURPOSE, sign, verify

PERSONS_FILE: Final = "persons.parquet"
EVENTS_FILE: Final = "events.parquet"
REPORT_FILE: Final = "encoding_report.json"
MANIFEST_FILE: Final = "manifest.json"
# The two data files, as a type (checks and rules name the file they look at).
FileName = Literal["persons.parquet", "events.parquet"]
DATA_FILES: Final = (PERSONS_FILE, EVENTS_FILE)
LISTED_FILES: Final = (PERSONS_FILE, EVENTS_FILE, REPORT_FILE)
SIGNATURE_FIELD: Final = "signature"
# Package kinds: a full export, or a small package of new events for real-time alerts
# (docs/alerts.md). Same files, contract, checks and signature; the manifest's ``kind`` says
# which (left out for a full export).
KINDS: Final = ("full", "events")
# An events package is sized for tens to thousands of events; a bigger one is a full export.
MAX_EVENTS_PACKAGE_ROWS: Final = 10_000


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes (the manifest's checksum; the hub checks it the same way)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def sign_manifest(manifest: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``manifest`` with its ``signature`` field: Ed25519 over every other field.

    The manifest binds every file by sha256, and names the partner and the submission, so the
    signature vouches for the whole package and for who made it.
    """
    body = {k: v for k, v in manifest.items() if k != SIGNATURE_FIELD}
    return {**body, SIGNATURE_FIELD: sign(body, key, PACKAGE_PURPOSE)}


def manifest_signer(manifest: Mapping[str, Any], keys: Sequence[Ed25519PublicKey]) -> str:
    """The kid of the key in ``keys`` that signed ``manifest``.

    Raises:
        kernel.signing.SignatureError: unsigned, malformed, or signed by none of ``keys``.
    """
    body = {k: v for k, v in manifest.items() if k != SIGNATURE_FIELD}
    return verify(body, manifest.get(SIGNATURE_FIELD), keys, PACKAGE_PURPOSE)
