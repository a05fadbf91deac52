"""The identifiers both sides write and check: partner ids, submission ids, lower-hex formats.

One pattern each. A partner id the hub would refuse is refused at the partner, before anything
is encoded (:func:`partner_id_problem`), and the hub's registry, landing folders and quarantine
use the same pattern.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Final

# 2 to 40 characters: lower-case letters, digits, '_', starting with a letter. Bounded so that a
# partner id stays a readable folder, file-name prefix and submission-id prefix.
PARTNER_ID_MAX: Final = 40
PARTNER_ID_PATTERN: Final = rf"[a-z][a-z0-9_]{{1,{PARTNER_ID_MAX - 1}}}"
PARTNER_ID: Final = re.compile(rf"^{PARTNER_ID_PATTERN}$")
# <partner_id>-<UTC yyyymmddThhmmssZ>-<8 hex>
SUBMISSION_ID: Final = re.compile(rf"^({PARTNER_ID_PATTERN})-(\d{{8}}T\d{{6}}Z)-([0-9a-f]{{8}})$")
# Lower-hex formats (Python ``re`` and DuckDB RE2 alike): record pseudonyms (64), event ids and
# tokens (32).
HEX64: Final = "[0-9a-f]{64}"
HEX32: Final = "[0-9a-f]{32}"


def partner_id_problem(partner_id: str) -> str | None:
    """Why ``partner_id`` is not a valid partner id (without echoing it), or None when it is."""
    if PARTNER_ID.fullmatch(partner_id):
        return None
    return (
        f"partner id is not valid ({len(partner_id)} characters): use 2 to {PARTNER_ID_MAX} "
        "lower-case letters, digits or '_', starting with a letter (the hub registers no other)"
    )


def new_submission_id(partner_id: str, created_at: datetime) -> str:
    """``<partner_id>-<UTC yyyymmddThhmmssZ>-<8 hex>``."""
    stamp = created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{partner_id}-{stamp}-{secrets.token_hex(4)}"
