"""Partners approving governance in tests: real proposals, real Ed25519 approvals, real apply."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from governance.proposals import parse_text, sha256_text
from governance.quorum import voters
from kernel import clock
from kernel.home import HubHome
from kernel.signing import public_b64
from warehouse import governance_flow as flow
from warehouse.governance import (
    governance_path,
    load_governance,
    parse_governance,
    save_governance,
)


def signing_key(partner_id: str) -> Ed25519PrivateKey:
    """A test partner's signing key for packages and governance (deterministic, so any test can
    sign as it)."""
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"signing key of {partner_id}".encode()).digest()
    )


def signing_public(partner_id: str) -> str:
    return public_b64(signing_key(partner_id).public_key())


def approve(home: HubHome, proposal: dict, partners: Iterable[str]) -> None:
    """Each of ``partners`` signs ``proposal`` at the partner; the hub records the approvals."""
    keys = {pid: signing_key(pid) for pid in partners}
    flow.approve_with_keys(home, proposal["proposal_id"], keys, clock.now())


def approve_changes(home: HubHome, partners: Iterable[str] | None = None) -> None:
    """Propose ``config/governance.yaml`` as it stands, have ``partners`` (default: every
    partner with a signing key in the version in force, or in the file when founding) approve
    it, and apply it. Does nothing when the file is the version in force."""
    text = governance_path(home).read_text()
    record = flow.in_force_record(home)
    if record and record["sha256"] == sha256_text(text):
        return
    base = flow.in_force_text(home)
    if base is not None:
        in_force = parse_governance(base)
        edited = load_governance(home)
        if edited.version <= in_force.version:  # the steward forgot to bump it
            save_governance(home, edited.model_copy(update={"version": in_force.version + 1}))
    if partners is None:
        partners = list(voters(parse_text(base if base is not None else text, "governance")))
    keys = {pid: signing_key(pid) for pid in partners}
    flow.adopt_with_keys(home, keys, title="test change", now=clock.now())
