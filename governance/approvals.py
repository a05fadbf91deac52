"""Signing a proposal at the partner, and counting valid approvals against the quorum.

An approval (``carehub-governance-approval/1``) is signed with the partner's Ed25519 signing
key (purpose ``carehub-governance-approval/1``, see :mod:`kernel.signing`)::

    {"format": ..., "proposal_id": ..., "proposal_sha256": ..., "new_sha256": ...,
     "partner": "mercy_hospital", "approved_at": "...Z",
     "signature": {"alg": "Ed25519", "kid": ..., "value": ...},
     "proof": {...}}   # key rotation only: the same document signed with the NEW key

:func:`tally` is the one place that decides whether a proposal is approved; the hub's gate,
``carehub governance apply`` and ``carehub partner open`` all call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from governance.proposals import (
    Classified,
    _iso,
    classify,
    parse_time,
    proposal_sha256,
    texts,
)
from governance.quorum import describe_rule, required, rules_of, voters
from kernel.signing import SignatureError, decode_public, kid_of, sign, verify

FORMAT: Final = "carehub-governance-approval/1"
PURPOSE: Final = "carehub-governance-approval/1"


@dataclass(frozen=True)
class Tally:
    """The verdict on one proposal and its approvals.

    Attributes:
        proposal_id: The proposal.
        kind: What it does (see :class:`governance.proposals.Classified`).
        voters: Who may approve it.
        required: How many valid approvals it needs.
        rule: The rule in words.
        approved_by: Partners whose approval verifies, in order.
        refused: Approvals that do not count, each with the reason.
    """

    proposal_id: str
    kind: Classified
    voters: tuple[str, ...]
    required: int
    rule: str
    approved_by: tuple[str, ...]
    refused: tuple[str, ...] = field(default=())

    @property
    def met(self) -> bool:
        return len(self.approved_by) >= self.required

    def summary(self) -> str:
        return (
            f"{len(self.approved_by)} of {self.required} required approval(s) "
            f"({self.rule} of {len(self.voters)} voting partner(s): {', '.join(self.voters)})"
            + (f"; approved by {', '.join(self.approved_by)}" if self.approved_by else "")
        )


def _body(approval: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in approval.items() if k not in {"signature", "proof"}}


def sign_approval(
    proposal: Mapping[str, Any],
    partner: str,
    key: Ed25519PrivateKey,
    *,
    now: datetime,
    new_key: Ed25519PrivateKey | None = None,
) -> dict[str, Any]:
    """The partner's signed approval of ``proposal`` (``new_key`` adds a rotation proof)."""
    body = {
        "format": FORMAT,
        "proposal_id": proposal["proposal_id"],
        "proposal_sha256": proposal_sha256(proposal),
        "new_sha256": proposal["new_sha256"],
        "partner": partner,
        "approved_at": _iso(now),
    }
    approval = {**body, "signature": sign(body, key, PURPOSE)}
    if new_key is not None:
        approval["proof"] = sign(body, new_key, PURPOSE)
    return approval


def _valid_on(entry: Mapping[str, Any], day: date) -> bool:
    start, end = entry.get("not_before"), entry.get("not_after")
    return (start is None or date.fromisoformat(str(start)) <= day) and (
        end is None or day <= date.fromisoformat(str(end))
    )


def _keys(entries: Iterable[Mapping[str, Any]], day: date) -> list[Any]:
    return [decode_public(str(e["public_key"])) for e in entries if _valid_on(e, day)]


def tally(
    proposal: Mapping[str, Any],
    approvals: Iterable[Mapping[str, Any]],
    *,
    trusted_keys: Mapping[str, Iterable[str]] | None = None,
) -> Tally:
    """Count the approvals of ``proposal`` that verify, against the quorum that governs it.

    The voters and the rule come from the base text (from the new text when founding); an
    approval counts when it names this proposal's sha256, is dated within the proposal's life,
    and verifies against a key the partner had registered on that day. ``trusted_keys``
    (partner -> base64 public keys), when given, must also hold the signing key: a partner
    opening an extract can pin the keys it saw at the table.
    """
    base, new = texts(proposal)
    kind = classify(base, new)
    electorate = voters(new if base is None else base)
    rules = rules_of(new if base is None else base)
    if kind.kind == "emergency_revocation":
        for pid in kind.partners:
            electorate.pop(pid, None)
        rule: str | int = rules["emergency_revocation"]
        need = required(rule, len(electorate))
    elif kind.kind == "key_rotation":
        electorate = {kind.partners[0]: electorate.get(kind.partners[0], [])}
        rule, need = "the partner itself, with its old and new key", 1
    else:
        rule = rules["changes"]
        need = required(rule, len(electorate))
    digest = proposal_sha256(proposal)
    created, expires = parse_time(proposal["created_at"]), parse_time(proposal["expires_at"])
    approved: list[str] = []
    refused: list[str] = []
    for approval in approvals:
        partner = str(approval.get("partner", "?"))
        problem = _problem(approval, partner, digest, electorate, created, expires, trusted_keys)
        if problem is None and kind.kind == "key_rotation":
            problem = _rotation_problem(approval, partner, base or {}, new)
        if problem is None and partner in approved:
            problem = "a second approval by the same partner"
        if problem:
            refused.append(f"{partner}: {problem}")
        else:
            approved.append(partner)
    return Tally(
        proposal_id=str(proposal["proposal_id"]),
        kind=kind,
        voters=tuple(sorted(electorate)),
        required=need,
        rule=describe_rule(rule) if isinstance(rule, int | str) else str(rule),
        approved_by=tuple(approved),
        refused=tuple(refused),
    )


def _problem(
    approval: Mapping[str, Any],
    partner: str,
    digest: str,
    electorate: Mapping[str, list[dict[str, Any]]],
    created: datetime,
    expires: datetime,
    trusted_keys: Mapping[str, Iterable[str]] | None,
) -> str | None:
    if approval.get("format") != FORMAT:
        return "not a governance approval"
    if approval.get("proposal_sha256") != digest:
        return "signs another proposal (or another text of it)"
    if partner not in electorate:
        return "not a voting partner for this proposal"
    try:
        moment = parse_time(str(approval["approved_at"]))
    except (KeyError, ValueError):
        return "no valid approved_at"
    if not created <= moment <= expires:
        return f"dated {_iso(moment)}, outside the proposal's life (it expired {_iso(expires)})"
    keys = _keys(electorate[partner], moment.date())
    if trusted_keys is not None:
        pinned = {kid_of(decode_public(k)) for k in trusted_keys.get(partner, ())}
        keys = [k for k in keys if kid_of(k) in pinned]
    try:
        verify(_body(approval), approval.get("signature"), keys, PURPOSE)
    except SignatureError as exc:
        return f"signature {exc}"
    return None


def _rotation_problem(
    approval: Mapping[str, Any], partner: str, base: Mapping[str, Any], new: Mapping[str, Any]
) -> str | None:
    def entries(doc: Mapping[str, Any]) -> list[Any]:
        return list(((doc.get("partners") or {}).get(partner) or {}).get("signing_keys") or [])

    old = {str(e["public_key"]) for e in entries(base)}
    keys = [decode_public(str(e["public_key"])) for e in entries(new) if e["public_key"] not in old]
    try:
        verify(_body(approval), approval.get("proof"), keys, PURPOSE)
    except SignatureError as exc:
        return f"the new key's proof {exc}"
    return None
