"""The quorum approvals an extract or alert carries, checked as its recipient checks them.

Shared by the partner client (``carehub partner open``/``inbox``) and the hub, which checks its
own extracts before they leave, so both apply the one rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from governance.approvals import tally
from governance.proposals import ProposalError, check_proposal


class UnapprovedError(ValueError):
    """The governance a file names is not shown to be quorum-approved (the message says why)."""


def carried_approvals(
    manifest: dict[str, Any], source: Path, trusted_signers: Path | None = None
) -> tuple[str, ...]:
    """Verify the approvals the extract carries; return who approved.

    The manifest (already verified as the hub's) must carry ``governance``: the proposal that
    made the version it names and a quorum of partners' signed approvals of it. With
    ``trusted_signers`` (JSON ``{partner: [base64 signing public key, ...]}``, the keys the
    partner saw at the table), only approvals by those keys count, so a hub cannot vouch for a
    version with keys it made up.

    Raises:
        UnapprovedError: saying what is missing.
    """
    block = manifest.get("governance")
    version = manifest.get("governance_version")
    if not isinstance(block, dict) or not block.get("approvals"):
        raise UnapprovedError(
            f"{source}: carries no partner approvals for governance version {version}; the hub "
            "cannot show that a quorum of partners agreed to what it sends. Do not use it; ask "
            "the hub (and the other partners) why.",
        )
    proposal: dict[str, Any] = block.get("proposal") or {}
    try:
        check_proposal(proposal, f"{source}: governance proposal")
    except ProposalError as exc:
        raise UnapprovedError(str(exc)) from None
    if proposal.get("new_sha256") != block.get("sha256"):
        raise UnapprovedError(
            f"{source}: the approvals are for another governance text than the one the extract "
            "was built under",
        )
    pinned = None
    if trusted_signers is not None:
        pinned = {str(k): list(v) for k, v in json.loads(trusted_signers.read_text()).items()}
    verdict = tally(proposal, block.get("approvals") or [], trusted_keys=pinned)
    if not verdict.met:
        raise UnapprovedError(
            f"{source}: governance version {version} is not approved by a quorum: "
            f"{verdict.summary()}"
            + (f"; not counted: {'; '.join(verdict.refused)}" if verdict.refused else "")
            + ". Do not use it; raise it with the other partners.",
        )
    return verdict.approved_by
