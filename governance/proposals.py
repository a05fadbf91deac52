"""The proposal document: the new governance text, the text it replaces, its kind and expiry.

A proposal is JSON (``carehub-governance-proposal/1``)::

    {"format": ..., "proposal_id": "gp-20261207T140000Z-1a2b3c", "title": "...",
     "proposed_by": "...", "created_at": "...Z", "expires_at": "...Z",
     "base_sha256": "<sha256 of base_text, empty when founding>", "base_text": "<yaml>",
     "new_sha256": "<sha256 of new_text>", "new_text": "<yaml>", "changes": ["...", ...]}

Approvers sign the sha256 of its canonical JSON, so they sign the exact texts. Its kind is not a
field anyone can set: :func:`classify` derives it from the two texts, on the hub and at the
partner alike.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from governance.quorum import rules_of
from governance.words import describe
from kernel.signing import canonical

FORMAT: Final = "carehub-governance-proposal/1"
Kind = Literal["founding", "change", "emergency_revocation", "key_rotation"]
_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ProposalError(ValueError):
    """A proposal is malformed, stale or expired; the message says what to do."""


@dataclass(frozen=True)
class Classified:
    """What a proposal does, derived from its texts.

    Attributes:
        kind: ``founding`` (no base), ``emergency_revocation`` (only deactivates partners and
            ends their agreements), ``key_rotation`` (only one partner's signing keys change),
            or ``change`` (anything else).
        partners: The revoked partners, or the partner whose key rotates.
    """

    kind: Kind
    partners: tuple[str, ...] = ()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse_text(text: str, source: str) -> dict[str, Any]:
    """Governance YAML text as a mapping (ProposalError when it is not one). Read-only: the
    result is shared between callers (a chain of versions parses each text once)."""
    data = _parsed(text)
    if isinstance(data, ProposalError):
        raise ProposalError(f"{source}: {data}")
    return data


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> dict[str, Any] | ProposalError:
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        return ProposalError(f"not valid YAML ({exc}); fix the syntax")
    if not isinstance(data, dict):
        return ProposalError("not a governance mapping")
    return data


def proposal_sha256(proposal: Mapping[str, Any]) -> str:
    """sha256 of the proposal's canonical JSON: what approvers sign."""
    return hashlib.sha256(canonical(_plain(proposal))).hexdigest()


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


def make_proposal(
    new_text: str,
    base_text: str | None,
    *,
    title: str,
    proposed_by: str,
    now: datetime,
) -> dict[str, Any]:
    """A new proposal replacing ``base_text`` (None: founding) by ``new_text``.

    Raises:
        ProposalError: the text does not change anything, or its version does not go up.
    """
    new = parse_text(new_text, "the proposed governance")
    base = parse_text(base_text, "the governance in force") if base_text is not None else None
    if base_text is not None and sha256_text(base_text) == sha256_text(new_text):
        raise ProposalError("the proposed text is the version in force; nothing to propose")
    if base is not None and not int(new.get("version", 0)) > int(base.get("version", 0)):
        raise ProposalError(
            f"the proposed version {new.get('version')} is not above the version in force "
            f"{base.get('version')}; bump `version` in the proposed file"
        )
    days = int(rules_of(base if base is not None else new)["proposal_valid_days"])
    return {
        "format": FORMAT,
        "proposal_id": f"gp-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        "title": title,
        "proposed_by": proposed_by,
        "created_at": _iso(now),
        "expires_at": _iso(now + timedelta(days=days)),
        "base_sha256": sha256_text(base_text) if base_text is not None else "",
        "base_text": base_text or "",
        "new_sha256": sha256_text(new_text),
        "new_text": new_text,
        "changes": describe(base, new),
    }


def read_proposal(path: Path) -> dict[str, Any]:
    """Load and check a proposal file: format, and that each text matches its hash."""
    try:
        proposal = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProposalError(f"{path}: no such proposal file") from None
    except ValueError:
        raise ProposalError(f"{path}: not JSON; pass the proposal.json the hub shared") from None
    check_proposal(proposal, str(path))
    return dict(proposal)


def check_proposal(proposal: Any, source: str) -> None:
    """Raise ProposalError unless ``proposal`` is well formed and its texts match their hashes."""
    if not isinstance(proposal, dict) or proposal.get("format") != FORMAT:
        raise ProposalError(f"{source}: not a carehub governance proposal ({FORMAT})")
    if sha256_text(str(proposal.get("new_text", ""))) != proposal.get("new_sha256"):
        raise ProposalError(f"{source}: the new text does not match new_sha256 (altered)")
    base = str(proposal.get("base_text", ""))
    if proposal.get("base_sha256") and sha256_text(base) != proposal.get("base_sha256"):
        raise ProposalError(f"{source}: the base text does not match base_sha256 (altered)")


def texts(proposal: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The base (None when founding) and new governance of a proposal, parsed."""
    base = (
        parse_text(str(proposal["base_text"]), "base_text") if proposal.get("base_sha256") else None
    )
    return base, parse_text(str(proposal["new_text"]), "new_text")


def in_words(proposal: Mapping[str, Any]) -> list[str]:
    """The change in words, recomputed from the texts (never the hub's ``changes`` field)."""
    base, new = texts(proposal)
    return describe(base, new)


def classify(base: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Classified:
    """Derive the kind of change from the texts (see :class:`Classified`)."""
    if base is None:
        return Classified("founding")
    old_partners, new_partners = base.get("partners") or {}, new.get("partners") or {}
    revoked = tuple(
        sorted(
            pid
            for pid, body in old_partners.items()
            if (body or {}).get("active", True)
            and pid in new_partners
            and not (new_partners[pid] or {}).get("active", True)
        )
    )
    if revoked:
        expected = copy.deepcopy(dict(base))
        expected["version"] = new.get("version")
        for pid in revoked:
            expected["partners"][pid] = {**expected["partners"][pid], "active": False}
        expected["agreements"] = [
            a for a in expected.get("agreements") or [] if a.get("partner") not in revoked
        ]
        if _same(expected, new):
            return Classified("emergency_revocation", revoked)
        return Classified("change")
    rotated = [
        pid
        for pid in set(old_partners) & set(new_partners)
        if (old_partners[pid] or {}).get("signing_keys")
        != (new_partners[pid] or {}).get("signing_keys")
    ]
    if len(rotated) == 1:
        expected = copy.deepcopy(dict(base))
        expected["version"] = new.get("version")
        pid = rotated[0]
        expected["partners"][pid] = {
            **expected["partners"][pid],
            "signing_keys": new_partners[pid].get("signing_keys"),
        }
        if _same(expected, new):
            return Classified("key_rotation", (pid,))
    return Classified("change")


def _same(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    def norm(doc: Mapping[str, Any]) -> Any:
        plain = _plain(doc)
        plain["agreements"] = plain.get("agreements") or []
        return plain

    return bool(norm(left) == norm(right))
