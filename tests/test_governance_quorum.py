"""Governance approved by a quorum of partners (issue 20): five partners, a majority quorum.

Real proposals, real Ed25519 approvals signed as each partner, real extracts opened by
``partner.open``, real Dagster materializations stopped by the gate, the real audit chain.
"""

from __future__ import annotations

import base64
import json
import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from governance_support import approve, approve_changes, signing_key, signing_public
from test_extracts_helpers import FINGERPRINT, NOW, Hub, build, make_hub
from typer.testing import CliRunner

from carehub.cli import app
from governance.approvals import sign_approval, tally
from kernel import clock
from kernel.signing import canonical, public_b64
from partner.open import OpenError, open_extract
from pipelines.defs.extracts.assets import _sealed_problems, partner_extracts
from pipelines.resources import HubResource
from warehouse import audit
from warehouse import governance_flow as flow
from warehouse.extracts.envelope import envelope_bytes
from warehouse.governance import (
    GovernanceError,
    PartnerRegistration,
    governance_path,
    load_governance,
    save_governance,
    write_governance,
)
from warehouse.keys import ensure_signing_key, public_keys_path

pytestmark = pytest.mark.time_sensitive

FIFTH = "eastside_social"
FLAG = "overdose_reported_365d"


def five_partner_hub(tmp_path: Path) -> Hub:
    """make_hub's four partners found the governance; they onboard a fifth (all sign)."""
    hub = make_hub(tmp_path, archive=False)
    raw = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    write_governance(
        hub.home,
        [
            PartnerRegistration(
                FIFTH,
                "cbo_social",
                base64.b64encode(raw).decode(),
                FINGERPRINT,
                signing_public_key=signing_public(FIFTH),
            )
        ],
    )
    approve_changes(hub.home)
    assert flow.check_in_force(hub.home).governance.partner(FIFTH) is not None
    return hub


def _add_flag_proposal(hub: Hub) -> dict:
    current = flow.in_force_governance(hub.home)
    agreements = tuple(
        a.model_copy(update={"context_flags": (*a.context_flags, FLAG)})
        if a.partner == "mercy_hospital"
        else a
        for a in current.agreements
    )
    return flow.propose_change(
        hub.home,
        current.model_copy(update={"agreements": agreements}),
        title="mercy's care team needs to know about overdoses reported elsewhere",
        proposed_by="steward",
    )


def _open(hub: Hub, extract: Path, tmp: Path, **kwargs: object):
    pk = hub.partners["mercy_hospital"]
    return open_extract(
        extract,
        [pk.key_file],
        pk.crosswalk,
        tmp / f"{extract.stem}.csv",
        public_keys_path(hub.home),
        ledger=tmp / f"{extract.stem}.ledger",
        now=NOW + timedelta(hours=1),
        **kwargs,  # type: ignore[arg-type]
    )


def test_two_approvals_do_not_apply_three_do(tmp_path: Path) -> None:
    hub = five_partner_hub(tmp_path)
    proposal = _add_flag_proposal(hub)
    assert any(FLAG in line and "adds" in line for line in proposal["changes"])
    approve(hub.home, proposal, ["mercy_hospital", "harbor_housing"])
    with pytest.raises(flow.GovernanceNotApproved, match=r"2 of 3 required approval"):
        flow.apply(hub.home, proposal["proposal_id"])
    assert FLAG not in load_governance(hub.home).agreement_for("mercy_hospital").context_flags
    approve(hub.home, proposal, ["northside_food"])
    in_force = flow.apply(hub.home, proposal["proposal_id"])
    assert set(in_force.tally.approved_by) == {"mercy_hospital", "harbor_housing", "northside_food"}
    assert in_force.tally.voters == tuple(
        sorted(
            ["mercy_hospital", "harbor_housing", "northside_food", "county_public_health", FIFTH]
        )
    )
    mercy = build(hub)["mercy_hospital"]
    manifest = json.loads(mercy.path.read_text())["manifest"]
    assert FLAG in manifest["agreement"]["context_flags"]
    assert manifest["governance"]["sha256"] == in_force.governance.sha256


def test_a_hand_edit_stops_the_extracts_job_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    hub = five_partner_hub(tmp_path)
    governance = load_governance(hub.home)
    agreements = tuple(
        a.model_copy(update={"context_flags": (*a.context_flags, FLAG)})
        if a.partner == "mercy_hospital"
        else a
        for a in governance.agreements
    )
    save_governance(hub.home, governance.model_copy(update={"agreements": agreements}))
    result = dg.materialize(
        [partner_extracts],
        resources={"hub": HubResource(home=str(hub.home.root))},
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    reason = str(failure.step_failure_data.user_failure_data.description)  # type: ignore[union-attr]
    assert str(governance_path(hub.home)) in reason
    assert "edited by hand" in reason and "carehub governance propose" in reason
    assert "apply" in reason and "--restore" in reason
    assert not list(hub.home.outbox.glob("*/current/*.extract.json"))
    # The library refuses too, and restoring the approved text lets the job run.
    with pytest.raises(flow.GovernanceNotApproved):
        build(hub, approve=False)
    flow.restore(hub.home)
    ok = dg.materialize([partner_extracts], resources={"hub": HubResource(home=str(hub.home.root))})
    meta = ok.asset_materializations_for_node("partner_extracts")[0].metadata
    assert meta["governance_sha256"].value == flow.check_in_force(hub.home).governance.sha256
    # The version in force onboarded the fifth partner: the four before it approved it.
    assert len(meta["governance_approvals"].value["approved_by"]) == 4


def test_extract_opens_under_approvals_and_is_refused_when_they_are_stripped(
    tmp_path: Path,
) -> None:
    hub = five_partner_hub(tmp_path)
    info = build(hub)["mercy_hospital"]
    opened = _open(hub, info.path, tmp_path / "a")
    assert set(opened.governance_approved_by) == set(
        hub.partners
    )  # the four who onboarded the fifth
    pinned = tmp_path / "pinned.json"
    pinned.write_text(json.dumps({p: [signing_public(p)] for p in opened.governance_approved_by}))
    assert _open(hub, info.path, tmp_path / "b", trusted_signers=pinned).rows == opened.rows

    signer = ensure_signing_key(hub.home)

    def resign(manifest: dict, name: str) -> Path:
        envelope = json.loads(info.path.read_text())
        envelope["manifest"] = manifest
        envelope["signature"]["value"] = base64.b64encode(signer.sign(canonical(manifest))).decode()
        path = tmp_path / name
        path.write_bytes(envelope_bytes(envelope))
        return path

    manifest = json.loads(info.path.read_text())["manifest"]
    stripped = resign({**manifest, "governance": {**manifest["governance"], "approvals": []}}, "s")
    with pytest.raises(OpenError) as refused:
        _open(hub, stripped, tmp_path / "c")
    assert refused.value.code == "governance_unapproved"
    gone = resign({k: v for k, v in manifest.items() if k != "governance"}, "gone.extract.json")
    with pytest.raises(OpenError, match="no partner approvals"):
        _open(hub, gone, tmp_path / "d")
    # The hub's own asset check sees it too, before any partner does.
    shutil.copy2(gone, info.current.parent / gone.name)
    assert any("no partner approvals" in p for p in _sealed_problems(hub.home))
    two = resign(
        {
            **manifest,
            "governance": {
                **manifest["governance"],
                "approvals": manifest["governance"]["approvals"][:2],
            },
        },
        "two.extract.json",
    )
    with pytest.raises(OpenError, match=r"2 of 3 required"):
        _open(hub, two, tmp_path / "e")
    # A hub that signs approvals with keys it made up: refused against the pinned keys.
    forged = [
        sign_approval(
            manifest["governance"]["proposal"],
            a["partner"],
            Ed25519PrivateKey.generate(),
            now=clock.now(),
        )
        for a in manifest["governance"]["approvals"]
    ]
    fake = resign({**manifest, "governance": {**manifest["governance"], "approvals": forged}}, "f")
    with pytest.raises(OpenError) as refused:
        _open(hub, fake, tmp_path / "f", trusted_signers=pinned)
    assert refused.value.code == "governance_unapproved"


def test_emergency_revocation_stops_the_next_extract_to_that_partner(tmp_path: Path) -> None:
    hub = five_partner_hub(tmp_path)
    assert "harbor_housing" in build(hub)
    proposal = flow.propose_revocation(
        hub.home, "harbor_housing", reason="lost its signing key and device", proposed_by="chair"
    )
    assert any("REVOKES partner harbor_housing" in line for line in proposal["changes"])
    approve(hub.home, proposal, ["mercy_hospital"])
    with pytest.raises(flow.GovernanceNotApproved, match=r"1 of 2 required.*one third of 4"):
        flow.apply(hub.home, proposal["proposal_id"])
    approve(hub.home, proposal, [FIFTH])  # 2 of the 4 others: the emergency quorum
    in_force = flow.apply(hub.home, proposal["proposal_id"])
    assert in_force.tally.kind.kind == "emergency_revocation"
    assert in_force.tally.kind.partners == ("harbor_housing",)
    later = build(hub, NOW + timedelta(hours=2))
    assert "harbor_housing" not in later and "mercy_hospital" in later


def test_the_emergency_quorum_cannot_carry_any_other_change(tmp_path: Path) -> None:
    hub = five_partner_hub(tmp_path)
    current = flow.in_force_governance(hub.home)
    partners = {
        **current.partners,
        "harbor_housing": current.partners["harbor_housing"].model_copy(update={"active": False}),
    }
    sneaky = current.model_copy(
        update={
            "partners": partners,
            "quorum": current.quorum.model_copy(update={"changes": "one_third"}),
        }
    )
    proposal = flow.propose_change(hub.home, sneaky, title="revoke and more", proposed_by="x")
    approve(hub.home, proposal, ["mercy_hospital", FIFTH])
    verdict = flow.status(hub.home, proposal["proposal_id"])
    assert verdict.kind.kind == "change" and verdict.required == 3 and not verdict.met


def test_every_approval_and_application_is_in_the_audit_chain(tmp_path: Path) -> None:
    hub = five_partner_hub(tmp_path)
    proposal = _add_flag_proposal(hub)
    approve(hub.home, proposal, ["mercy_hospital", "harbor_housing", "county_public_health"])
    flow.apply(hub.home, proposal["proposal_id"])
    build(hub)
    entries = audit.entries(hub.home)
    approvals = [e for e in entries if e.action == "governance_approval"]
    applied = [e for e in entries if e.action == "governance_applied"]
    assert len(applied) == 3  # founding, onboarding of the fifth, the new flag
    assert len(approvals) == 4 + 4 + 3
    in_force = flow.check_in_force(hub.home).governance.sha256
    built = [e for e in entries if e.action == "extract_built"]
    assert built and all(e.details["governance_sha256"] == in_force for e in built)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--home", str(hub.home.root)])
    assert ok.exit_code == 0, ok.output
    assert "3 approved version(s), every approval logged and verified" in ok.output
    # An approval altered on file no longer verifies; audit verify says which.
    version = flow.version_dirs(hub.home)[-1]
    record = json.loads((version / "approvals.json").read_text())
    record[0]["approved_at"] = record[0]["approved_at"].replace("Z", "Z ")
    (version / "approvals.json").write_text(json.dumps(record))
    bad = runner.invoke(app, ["audit", "verify", "--home", str(hub.home.root)])
    assert bad.exit_code == 1
    assert "not approved by its quorum" in bad.output


def test_a_proposal_expires(tmp_path: Path, time_machine) -> None:
    time_machine.move_to(NOW - timedelta(days=1))
    hub = five_partner_hub(tmp_path)
    proposal = _add_flag_proposal(hub)
    approve(hub.home, proposal, ["mercy_hospital", "harbor_housing"])
    time_machine.move_to(NOW + timedelta(days=31))
    with pytest.raises(GovernanceError, match="outside the proposal's life"):
        approve(hub.home, proposal, ["northside_food"])  # signed after it expired
    late = sign_approval(proposal, "northside_food", signing_key("northside_food"), now=clock.now())
    assert not tally(proposal, [late]).met
    with pytest.raises(flow.GovernanceNotApproved, match="2 of 3"):
        flow.apply(hub.home, proposal["proposal_id"])


def test_key_rotation_is_approved_by_the_partner_with_its_old_and_new_key(tmp_path: Path) -> None:
    hub = five_partner_hub(tmp_path)
    new_key = Ed25519PrivateKey.generate()
    proposal = flow.propose_key_rotation(
        hub.home, "northside_food", public_b64(new_key.public_key()), proposed_by="steward"
    )
    old = signing_key("northside_food")
    without_proof = sign_approval(proposal, "northside_food", old, now=clock.now())
    assert not tally(proposal, [without_proof]).met
    by_other = sign_approval(
        proposal, "mercy_hospital", signing_key("mercy_hospital"), now=clock.now()
    )
    assert not tally(proposal, [by_other]).met
    proof = sign_approval(proposal, "northside_food", old, now=clock.now(), new_key=new_key)
    path = tmp_path / "rotation.json"
    path.write_text(json.dumps(proof))
    flow.record_approval(hub.home, path)
    in_force = flow.apply(hub.home, proposal["proposal_id"])
    assert in_force.tally.kind.kind == "key_rotation"
    keys = in_force.governance.partner("northside_food").signing_keys
    assert keys[-1].public_key == public_b64(new_key.public_key())


def test_never_approved_governance_is_refused(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    (hub.home.governance / "in_force.json").unlink()
    with pytest.raises(flow.GovernanceNotApproved, match="never been approved"):
        flow.check_in_force(hub.home)
