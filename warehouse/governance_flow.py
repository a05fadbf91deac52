"""Governance versions in force: proposals, approvals received, application, and the check.

Layout under ``<home>/governance/``::

    proposals/<proposal_id>/proposal.json          the proposal (shared with every partner)
    proposals/<proposal_id>/approvals/<partner>.json
    versions/<nnnn>-<sha12>/{proposal.json, approvals.json, governance.yaml}
    in_force.json                                  {version, sha256, proposal_id, applied_at}

``config/governance.yaml`` is the working copy every run reads. :func:`check_in_force` accepts
it only when its bytes are those of the version in force and every version back to the founding
one was approved by the quorum of the version before it; a hand edit is refused with the file,
what differs and what to run. Proposals, approvals and applications are audited, and each
audit entry carries the sha256 of the version in force.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from governance.approvals import FORMAT as APPROVAL_FORMAT
from governance.approvals import Tally, sign_approval, tally
from governance.proposals import (
    ProposalError,
    check_proposal,
    make_proposal,
    parse_time,
    read_proposal,
    sha256_text,
)
from kernel import clock
from kernel.home import HubHome
from warehouse import audit
from warehouse.governance import (
    Governance,
    GovernanceError,
    governance_path,
    governance_text,
    parse_governance,
    with_signing_key,
)

IN_FORCE: Final = audit.GOVERNANCE_IN_FORCE
PROPOSAL_ID: Final = re.compile(r"gp-\d{8}T\d{6}Z-[0-9a-f]{6}")


class GovernanceNotApproved(GovernanceError):
    """The governance in use is not a quorum-approved version; the message says what to do."""


@dataclass(frozen=True)
class InForce:
    """The approved governance in force.

    Attributes:
        governance: The validated configuration (``config/governance.yaml``).
        proposal: The proposal that made it (texts included).
        approvals: The partners' signed approvals of that proposal.
        tally: Their verdict (met).
        versions: How many approved versions the chain holds.
    """

    governance: Governance
    proposal: dict[str, Any]
    approvals: list[dict[str, Any]]
    tally: Tally
    versions: int

    def proof(self) -> dict[str, Any]:
        """What an extract carries so the partner can check the approvals itself."""
        return {
            "version": self.governance.version,
            "sha256": self.governance.sha256,
            "proposal": self.proposal,
            "approvals": self.approvals,
        }

    def metadata(self) -> dict[str, Any]:
        """A steward's view: version, hash, who approved, under which rule."""
        return {
            "version": self.governance.version,
            "sha256": self.governance.sha256,
            "proposal_id": self.proposal["proposal_id"],
            "kind": self.tally.kind.kind,
            "approved_by": list(self.tally.approved_by),
            "required": self.tally.required,
            "voters": list(self.tally.voters),
        }


def _dir(home: HubHome) -> Path:
    return home.governance


def proposal_dir(home: HubHome, proposal_id: str) -> Path:
    return _dir(home) / "proposals" / proposal_id


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(aside, path)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def in_force_record(home: HubHome) -> dict[str, Any] | None:
    path = _dir(home) / IN_FORCE
    return dict(_read_json(path)) if path.is_file() else None


def version_dirs(home: HubHome) -> list[Path]:
    """Every approved version's folder, oldest first."""
    folder = _dir(home) / "versions"
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def in_force_text(home: HubHome) -> str | None:
    """The text of the approved version in force, or None before the founding approval."""
    record = in_force_record(home)
    if record is None:
        return None
    return (_dir(home) / str(record["path"]) / "governance.yaml").read_text(encoding="utf-8")


def propose(
    home: HubHome,
    *,
    title: str,
    proposed_by: str,
    text: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record a proposal of ``text`` (default: ``config/governance.yaml`` as it stands).

    Raises:
        GovernanceError: the text is invalid (named), unchanged, or its version does not rise.
    """
    source = governance_path(home)
    new_text = text if text is not None else source.read_text(encoding="utf-8")
    parse_governance(new_text, source=str(source))  # the hub validates before anyone signs
    moment = now or clock.now()
    try:
        proposal = make_proposal(
            new_text, in_force_text(home), title=title, proposed_by=proposed_by, now=moment
        )
    except ProposalError as exc:
        raise GovernanceError(f"{source}: {exc}") from None
    _write_json(proposal_dir(home, proposal["proposal_id"]) / "proposal.json", proposal)
    audit.append(
        home,
        "governance_proposed",
        {
            "proposal_id": proposal["proposal_id"],
            "title": title,
            "proposed_by": proposed_by,
            "base_sha256": proposal["base_sha256"],
            "new_sha256": proposal["new_sha256"],
            "expires_at": proposal["expires_at"],
            "changes": proposal["changes"],
        },
        now=moment,
    )
    return proposal


def propose_change(
    home: HubHome, governance: Governance, *, title: str, proposed_by: str
) -> dict[str, Any]:
    """Propose ``governance`` (a modified copy of the version in force), version bumped."""
    current = in_force_governance(home)
    bumped = governance.model_copy(update={"version": current.version + 1})
    text = governance_text(Governance.model_validate(bumped.model_dump()))
    return propose(home, title=title, proposed_by=proposed_by, text=text)


def in_force_governance(home: HubHome) -> Governance:
    """The approved version in force, parsed (whatever ``config/governance.yaml`` now holds)."""
    text = in_force_text(home)
    if text is None:
        raise GovernanceNotApproved(
            f"{governance_path(home)}: no approved version yet; found the governance first "
            "(`carehub governance propose`, approvals, `carehub governance apply`)"
        )
    return parse_governance(text, source="the approved version in force")


def propose_revocation(
    home: HubHome, partner_id: str, *, reason: str, proposed_by: str
) -> dict[str, Any]:
    """An emergency proposal: ``partner_id`` inactive and its agreement ended, nothing else.

    It needs only the emergency quorum of the other partners (``quorum.emergency_revocation``).
    """
    current = in_force_governance(home)
    partner = current.partner(partner_id)
    if partner is None or not partner.active:
        raise GovernanceError(f"partners.{partner_id}: not an active registered partner")
    revoked = current.model_copy(
        update={
            "partners": {
                **current.partners,
                partner_id: partner.model_copy(update={"active": False}),
            },
            "agreements": tuple(a for a in current.agreements if a.partner != partner_id),
        }
    )
    return propose_change(
        home,
        revoked,
        title=f"Emergency revocation of {partner_id}: {reason}",
        proposed_by=proposed_by,
    )


def propose_key_rotation(
    home: HubHome, partner_id: str, new_public_key: str, *, proposed_by: str
) -> dict[str, Any]:
    """A proposal adding ``partner_id``'s new signing key (its old keys close after 7 days).

    The partner alone approves it, signing with its old key and proving the new one.
    """
    current = in_force_governance(home)
    rotated = with_signing_key(current, partner_id, new_public_key)
    return propose_change(
        home,
        rotated.model_copy(update={"version": current.version}),
        title=f"Signing key rotation of {partner_id}",
        proposed_by=proposed_by,
    )


def load_proposal(home: HubHome, proposal_id: str) -> dict[str, Any]:
    """The proposal on record (GovernanceError naming the id when there is none)."""
    if not PROPOSAL_ID.fullmatch(proposal_id):
        raise GovernanceError(
            f"{proposal_id!r} is not a proposal id (gp-<yyyymmddThhmmssZ>-<6 hex>); "
            "`carehub governance status` lists proposals"
        )
    try:
        return read_proposal(proposal_dir(home, proposal_id) / "proposal.json")
    except ProposalError as exc:
        raise GovernanceError(f"{exc}; `carehub governance status` lists proposals") from None


def proposals(home: HubHome) -> list[dict[str, Any]]:
    """Every proposal on record, oldest first.

    Ids name the second only, and their random tails do not sort by time: within one second
    (a script, a test) the order the files were written decides.
    """
    folder = _dir(home) / "proposals"
    found = list(folder.glob("*/proposal.json")) if folder.is_dir() else []
    read = [(read_proposal(p), p.stat().st_mtime_ns) for p in found]
    read.sort(key=lambda pair: (str(pair[0].get("created_at", "")), pair[1]))
    return [proposal for proposal, _ in read]


def approvals_of(home: HubHome, proposal_id: str) -> list[dict[str, Any]]:
    folder = proposal_dir(home, proposal_id) / "approvals"
    return [_read_json(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def record_approval(home: HubHome, approval_file: Path) -> Tally:
    """File a partner's approval with its proposal (audited); return the new tally.

    Raises:
        GovernanceError: not an approval, unknown proposal, or it does not verify.
    """
    try:
        approval = _read_json(Path(approval_file))
    except (OSError, ValueError):
        raise GovernanceError(f"{approval_file}: not a readable approval JSON file") from None
    return record_approval_document(home, approval, source=str(approval_file))


def approve_with_keys(
    home: HubHome, proposal_id: str, keys: Mapping[str, Ed25519PrivateKey], now: datetime
) -> Tally:
    """Each partner in ``keys`` signs the proposal and the hub records it (demo, benchmarks
    and tests; real partners sign on their own machines with `carehub partner governance`)."""
    proposal = load_proposal(home, proposal_id)
    verdict = status(home, proposal_id)
    for partner, key in keys.items():
        approval = sign_approval(proposal, partner, key, now=now)
        verdict = record_approval_document(home, approval, source=f"{partner}'s approval")
    return verdict


def adopt_with_keys(
    home: HubHome, keys: Mapping[str, Ed25519PrivateKey], *, title: str, now: datetime
) -> InForce:
    """Propose ``config/governance.yaml`` as it stands, have the partners in ``keys`` sign it,
    and apply it (set-ups of demos and benchmarks where one machine plays every partner)."""
    proposal = propose(home, title=title, proposed_by="hub steward", now=now)
    approve_with_keys(home, proposal["proposal_id"], keys, now)
    return apply(home, proposal["proposal_id"], now=now)


def record_approval_document(home: HubHome, approval: Any, *, source: str) -> Tally:
    """:func:`record_approval` of an approval already read (``source`` names it in errors)."""
    if not isinstance(approval, dict) or approval.get("format") != APPROVAL_FORMAT:
        raise GovernanceError(
            f"{source}: not a governance approval; pass the file that "
            "`carehub partner governance approve` wrote"
        )
    proposal = load_proposal(home, str(approval.get("proposal_id")))
    partner = str(approval.get("partner"))
    verdict = tally(proposal, [approval])
    if verdict.refused:
        raise GovernanceError(
            f"{source}: does not count for {proposal['proposal_id']}: {'; '.join(verdict.refused)}"
        )
    _write_json(
        proposal_dir(home, proposal["proposal_id"]) / "approvals" / f"{partner}.json", approval
    )
    audit.append(
        home,
        "governance_approval",
        {
            "proposal_id": proposal["proposal_id"],
            "partner": partner,
            "kid": approval["signature"]["kid"],
            "approved_at": approval["approved_at"],
            "new_sha256": proposal["new_sha256"],
        },
    )
    return status(home, proposal["proposal_id"])


def status(home: HubHome, proposal_id: str) -> Tally:
    """The tally of a proposal's approvals on record."""
    return tally(load_proposal(home, proposal_id), approvals_of(home, proposal_id))


def apply(home: HubHome, proposal_id: str, *, now: datetime | None = None) -> InForce:
    """Put an approved proposal in force: write ``config/governance.yaml``, audit it.

    Raises:
        GovernanceNotApproved: without a quorum, after expiry, or when another version was
            applied since the proposal was made (its base is stale); nothing changes.
    """
    moment = now or clock.now()
    proposal = load_proposal(home, proposal_id)
    verdict = status(home, proposal_id)
    where = f"proposal {proposal_id}"
    if not verdict.met:
        raise GovernanceNotApproved(
            f"{where} is not approved: {verdict.summary()}"
            + (f"; not counted: {'; '.join(verdict.refused)}" if verdict.refused else "")
            + ". Collect more approvals (`carehub partner governance approve`), then apply."
        )
    if moment > parse_time(proposal["expires_at"]):
        raise GovernanceNotApproved(
            f"{where} expired at {proposal['expires_at']}; propose it again"
        )
    record = in_force_record(home)
    current = str(record["sha256"]) if record else ""
    if proposal["base_sha256"] != current:
        raise GovernanceNotApproved(
            f"{where} changes version sha256 {proposal['base_sha256'][:12] or '(none)'} but "
            f"{current[:12] or 'no version'} is in force now; propose it again on top of it"
        )
    text = str(proposal["new_text"])
    governance = parse_governance(text, source=str(governance_path(home)))
    name = f"{governance.version:04d}-{proposal['new_sha256'][:12]}"
    folder = _dir(home) / "versions" / name
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "proposal.json", proposal)
    approvals = [a for a in approvals_of(home, proposal_id) if a["partner"] in verdict.approved_by]
    _write_json(folder / "approvals.json", approvals)
    (folder / "governance.yaml").write_text(text, encoding="utf-8")
    target = governance_path(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f".{target.name}.tmp")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, target)
    _write_json(
        _dir(home) / IN_FORCE,
        {
            "version": governance.version,
            "sha256": proposal["new_sha256"],
            "proposal_id": proposal_id,
            "applied_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "path": f"versions/{name}",
        },
    )
    audit.append(
        home,
        "governance_applied",
        {
            "proposal_id": proposal_id,
            "kind": verdict.kind.kind,
            "version": governance.version,
            "new_sha256": proposal["new_sha256"],
            "base_sha256": proposal["base_sha256"],
            "approved_by": list(verdict.approved_by),
            "required": verdict.required,
        },
        now=moment,
    )
    return check_in_force(home)


def restore(home: HubHome) -> Governance:
    """Put the approved version in force back into ``config/governance.yaml`` (undo a hand edit)."""
    text = in_force_text(home)
    if text is None:
        raise GovernanceNotApproved("no approved version to restore; found one first")
    target = governance_path(home)
    aside = target.with_name(f".{target.name}.tmp")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, target)
    return parse_governance(text, source=str(target))


def approved_proof(home: HubHome, governance: Governance, nothing: str) -> dict[str, Any]:
    """The approvals that outputs carry: ``governance`` must be the approved version in force.

    Args:
        nothing: What is not made on refusal, for the message ("extract built", "alert sent").

    Raises:
        GovernanceNotApproved: it is not, or none is in force.
    """
    in_force = check_in_force(home)
    if governance.sha256 != in_force.governance.sha256:
        raise GovernanceNotApproved(
            f"{governance.path}: the governance given (sha256 {governance.sha256[:12]}) is not "
            f"the approved version in force ({in_force.governance.sha256[:12]}); no {nothing}"
        )
    return in_force.proof()


def check_in_force(home: HubHome) -> InForce:
    """The approved governance in force, or a refusal that names the file and the fix.

    Checks that ``config/governance.yaml`` is byte for byte the version in force, and that the
    chain of approved versions holds: the first is a founding approved by its own partners,
    each later one changes the one before and has that one's quorum.

    Raises:
        GovernanceNotApproved: never approved, hand-edited, or a broken chain.
        GovernanceError: the file is missing or invalid.
    """
    path = governance_path(home)
    if not path.is_file():
        raise GovernanceError(f"{path}: no governance configuration; run `carehub hub init`")
    text = path.read_text(encoding="utf-8")
    record = in_force_record(home)
    root = home.root
    if record is None:
        raise GovernanceNotApproved(
            f"{path} has never been approved by a quorum of partners, so nothing is published "
            f"or extracted under it. Run `carehub governance propose --home {root} --title ...`, "
            "have the partners approve it (`carehub partner governance approve`), then "
            "`carehub governance apply`."
        )
    if sha256_text(text) != record["sha256"]:
        raise GovernanceNotApproved(
            f"{path} was edited by hand: its sha256 {sha256_text(text)[:12]} is not the approved "
            f"version {record['version']} ({str(record['sha256'])[:12]}), and no quorum of "
            f"partners approved the edit. Propose it (`carehub governance propose --home {root} "
            "--title ...`) and collect approvals, or put the approved version back with "
            f"`carehub governance apply --home {root} --restore`."
        )
    chain = _verified_chain(home)
    proposal, approvals, verdict = chain[-1]
    if proposal["new_sha256"] != record["sha256"]:
        raise GovernanceNotApproved(
            f"{_dir(home) / IN_FORCE}: names a version that is not the last approved one; "
            "restore the governance folder from backup"
        )
    governance = parse_governance(text, source=str(path))
    return InForce(governance, proposal, approvals, verdict, len(chain))


def _verified_chain(home: HubHome) -> list[tuple[dict[str, Any], list[dict[str, Any]], Tally]]:
    chain = []
    previous = ""
    for folder in version_dirs(home):
        where = folder.relative_to(home.root)
        try:
            proposal = _read_json(folder / "proposal.json")
            check_proposal(proposal, str(where))
            approvals = list(_read_json(folder / "approvals.json"))
        except (OSError, ValueError) as exc:
            raise GovernanceNotApproved(f"{where}: unreadable approval record ({exc})") from None
        if proposal["base_sha256"] != previous:
            raise GovernanceNotApproved(
                f"{where}: does not follow the approved version before it; the approval chain "
                "is broken (restore the governance folder from backup)"
            )
        verdict = tally(proposal, approvals)
        if not verdict.met:
            raise GovernanceNotApproved(
                f"{where}: not approved by its quorum ({verdict.summary()})"
            )
        chain.append((proposal, approvals, verdict))
        previous = proposal["new_sha256"]
    if not chain:
        raise GovernanceNotApproved(f"{_dir(home)}: no approved version on record")
    return chain


def audit_problems(home: HubHome, entries: Sequence[audit.AuditEntry]) -> list[str]:
    """Every approved version and its approvals are in the audit log, and they verify."""
    problems = []
    applied = {
        str(e.details.get("new_sha256")) for e in entries if e.action == "governance_applied"
    }
    approved = {
        (str(e.details.get("proposal_id")), str(e.details.get("partner")))
        for e in entries
        if e.action == "governance_approval"
    }
    try:
        chain = _verified_chain(home) if version_dirs(home) else []
    except GovernanceNotApproved as exc:
        return [str(exc)]
    for proposal, approvals, _ in chain:
        if proposal["new_sha256"] not in applied:
            problems.append(
                f"governance version {proposal['new_sha256'][:12]} is approved on file but its "
                "governance_applied entry is not in the audit log"
            )
        for approval in approvals:
            if (proposal["proposal_id"], approval["partner"]) not in approved:
                problems.append(
                    f"approval of {proposal['proposal_id']} by {approval['partner']} is on file "
                    "but not in the audit log"
                )
    return problems
