"""The partner client: normalise, encode, package, keygen, open extracts.

Needs neither Dagster, Great Expectations nor Splink. Public API (imported lazily so that
``carehub --help`` stays fast)::

    from partner import encode_partner, keygen, write_package
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "encode_partner": "partner.encode",
    "EncodeResult": "partner.encode",
    "EncodeError": "partner.encode",
    "keygen": "partner.keygen",
    "KeygenResult": "partner.keygen",
    "write_package": "partner.package",
    "PackageError": "partner.package",
    "load_mapping": "partner.mapping",
    "MappingError": "partner.mapping",
    "read_secret": "partner.keyfiles",
    "encode_region": "partner.region",
    "report_rows": "partner.region",
    "REGION_PARTNERS": "partner.region",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'partner' has no attribute {name!r}")
