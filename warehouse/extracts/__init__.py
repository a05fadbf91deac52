"""Partner cohort extracts: minimum-necessary content, HPKE-encrypted, Ed25519-signed, audited.

Public API:

* :func:`build_extracts` - build, encrypt, sign, publish (``outbox/<partner>/current/``) and audit
  one extract per partner with an agreement in force; returns :class:`ExtractInfo` per extract.
* :func:`extract_content` - the plaintext content for one agreement (used by tests and checks).
* :func:`disclose` - a count as it may appear outside the hub.

The file format is in :mod:`warehouse.extracts.envelope` and docs/extracts.md; the partner's
reading side is ``partner/open.py``.
"""

from warehouse.disclosure import disclose
from warehouse.extracts.build import (
    ExtractConfigError,
    ExtractInfo,
    ExtractInputsMissing,
    build_extracts,
    current_extract,
    due_partners,
)
from warehouse.extracts.content import (
    ExtractContent,
    ExtractContentError,
    ExtractRecord,
    extract_content,
    missing_inputs,
    prepare_inputs,
)
from warehouse.extracts.envelope import FORMAT, hpke_info

__all__ = [
    "FORMAT",
    "ExtractConfigError",
    "ExtractContent",
    "ExtractContentError",
    "ExtractInfo",
    "ExtractInputsMissing",
    "ExtractRecord",
    "build_extracts",
    "current_extract",
    "disclose",
    "due_partners",
    "extract_content",
    "hpke_info",
    "missing_inputs",
    "prepare_inputs",
]
