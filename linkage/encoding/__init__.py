"""Encoding spec: normalisation and keyed encodings. Import-light: no Splink, no Dagster.

Public API::

    from linkage.encoding import EncodingKeys, encode_persons, key_fingerprint, derive_key
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "EncodingKeys": "linkage.encoding.keys",
    "derive_key": "linkage.encoding.keys",
    "key_fingerprint": "linkage.encoding.keys",
    "SecretError": "linkage.encoding.keys",
    "encode_persons": "linkage.encoding.encoder",
    "EncodingSettings": "linkage.encoding.encoder",
    "EncodedPersons": "linkage.encoding.encoder",
    "EncodingError": "linkage.encoding.encoder",
    "CANONICAL_FIELDS": "linkage.encoding.encoder",
    "dice": "linkage.encoding.bloom",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'linkage.encoding' has no attribute {name!r}")
