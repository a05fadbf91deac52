"""The governance commands as a steward and the partners use them (real CLI, real keys)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from governance_support import signing_key
from test_extracts_helpers import make_hub
from typer.testing import CliRunner

from carehub.cli import app
from kernel.signing import private_pem
from warehouse import governance_flow as flow
from warehouse.governance import governance_path

FLAG = "overdose_reported_365d"
runner = CliRunner()


def _key_file(folder: Path, partner: str) -> Path:
    path = folder / f"{partner}.ed25519.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem(signing_key(partner)))
    return path


def test_propose_review_approve_status_apply(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    home = str(hub.home.root)
    draft = yaml.safe_load(governance_path(hub.home).read_text())
    draft["version"] += 1
    for agreement in draft["agreements"]:
        if agreement["partner"] == "mercy_hospital":
            agreement["context_flags"].append(FLAG)
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(yaml.safe_dump(draft, sort_keys=False))

    made = runner.invoke(
        app, ["governance", "propose", "--home", home, "--title", "a flag", "--file", str(proposed)]
    )
    assert made.exit_code == 0, made.output
    assert f"agreement of mercy_hospital.context_flags: adds {FLAG}" in made.output
    proposal_id = flow.proposals(hub.home)[-1]["proposal_id"]
    shared = flow.proposal_dir(hub.home, proposal_id) / "proposal.json"

    review = runner.invoke(app, ["partner", "governance", "review", "--proposal", str(shared)])
    assert review.exit_code == 0, review.output
    assert "worked out on your machine" in review.output and FLAG in review.output
    assert "takes effect with 3 approval(s): a majority" in review.output

    outbox = tmp_path / "signed"
    outbox.mkdir()

    def approve(partner: str) -> Path:
        result = runner.invoke(
            app,
            [
                "partner", "governance", "approve", "--proposal", str(shared),
                "--partner", partner, "--signing-key", str(_key_file(tmp_path, partner)),
                "--out", str(outbox), "--yes",
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        return outbox / f"{proposal_id}.{partner}.approval.json"

    declined = runner.invoke(
        app,
        [
            "partner", "governance", "approve", "--proposal", str(shared), "--partner",
            "northside_food", "--signing-key", str(_key_file(tmp_path, "northside_food")),
            "--out", str(outbox),
        ],
        input="n\n",
    )  # fmt: skip
    assert declined.exit_code == 1 and "not signed" in declined.output
    first = [approve("mercy_hospital"), approve("harbor_housing")]
    adds = [arg for path in first for arg in ("--add", str(path))]
    status = runner.invoke(app, ["governance", "status", "--home", home, *adds])
    assert status.exit_code == 0, status.output
    assert "2 of 3 required approval(s)" in status.output
    refused = runner.invoke(app, ["governance", "apply", "--home", home, "--proposal", proposal_id])
    assert refused.exit_code == 1 and "is not approved: 2 of 3" in refused.output
    runner.invoke(
        app, ["governance", "status", "--home", home, "--add", str(approve("northside_food"))]
    )
    applied = runner.invoke(app, ["governance", "apply", "--home", home, "--proposal", proposal_id])
    assert applied.exit_code == 0, applied.output
    assert FLAG in governance_path(hub.home).read_text()

    # A hand edit is shown as such, and --restore puts the approved version back.
    path = governance_path(hub.home)
    path.write_text(path.read_text().replace("frequency: weekly", "frequency: daily", 1))
    shown = runner.invoke(app, ["governance", "status", "--home", home])
    assert "NOT APPROVED" in shown.output and "edited by hand" in shown.output
    restored = runner.invoke(app, ["governance", "apply", "--home", home, "--restore"])
    assert restored.exit_code == 0
    assert flow.check_in_force(hub.home).governance.version == draft["version"]


def test_revoke_and_rotate_key_make_proposals_of_their_kind(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    home = str(hub.home.root)
    revoke = runner.invoke(
        app,
        ["governance", "revoke", "--home", home, "--partner", "harbor_housing", "--reason", "x"],
    )
    assert revoke.exit_code == 0, revoke.output
    assert "kind emergency_revocation" in revoke.output
    assert "0 of 1 required approval(s) (one third of 3" in revoke.output
    new_pub = tmp_path / "new.ed25519.pub"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kernel.signing import public_b64

    new_pub.write_text(public_b64(Ed25519PrivateKey.generate().public_key()))
    rotate = runner.invoke(
        app,
        [
            "governance", "rotate-key", "--home", home, "--partner", "northside_food",
            "--signing-key", str(new_pub),
        ],
    )  # fmt: skip
    assert rotate.exit_code == 0, rotate.output
    assert "kind key_rotation" in rotate.output and "signing keys change" in rotate.output


def test_an_approval_naming_no_real_proposal_is_refused(tmp_path: Path) -> None:
    import json

    hub = make_hub(tmp_path, archive=False)
    bad = tmp_path / "bad.json"
    for proposal_id, expected in (
        ("../../config", "is not a proposal id"),
        ("gp-20261201T000000Z-abcdef", "no such proposal file"),
    ):
        bad.write_text(
            json.dumps({"format": "carehub-governance-approval/1", "proposal_id": proposal_id})
        )
        result = runner.invoke(
            app, ["governance", "status", "--home", str(hub.home.root), "--add", str(bad)]
        )
        assert result.exit_code == 2 and expected in result.output, result.output


def test_pack_command_writes_the_pack_and_names_a_bad_quarter(tmp_path: Path) -> None:
    from kernel import clock

    hub = make_hub(tmp_path, archive=True)  # archived and quarantined packages, no marts yet
    now = clock.now()
    quarter = f"{now.year}Q{(now.month - 1) // 3 + 1}"
    out = tmp_path / "pack"
    made = runner.invoke(
        app,
        [
            "governance",
            "pack",
            "--home",
            str(hub.home.root),
            "--quarter",
            quarter,
            "--out",
            str(out),
        ],
    )
    assert made.exit_code == 0, made.output
    html = (out / "index.html").read_text()
    assert (
        "approved by county_public_health, harbor_housing, mercy_hospital, northside_food" in html
    )
    assert "No marts published yet" in html
    bad = runner.invoke(
        app, ["governance", "pack", "--home", str(hub.home.root), "--quarter", "2026Q5"]
    )
    assert bad.exit_code == 2 and "write it like 2026Q4" in bad.output
