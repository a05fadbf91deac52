"""``carehub hub init / register-partner / rotate-signing-key``: onboarding and key rotation."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from typer.testing import CliRunner

from carehub.cli import app
from carehub.commands.hub import read_extract_public_key
from kernel.home import HubHome
from partner.keygen import keygen, signing_key_paths
from warehouse import audit
from warehouse.governance import key_id, load_governance
from warehouse.keys import SigningKeyError, active_signing_key, load_public_keys, public_keys_path

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

FP = "3c" * 32


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def _pem_public(tmp: Path, name: str) -> tuple[Path, str]:
    key = X25519PrivateKey.generate().public_key()
    path = tmp / f"{name}.pub.pem"
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import base64

    return path, base64.b64encode(raw).decode()


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    result = run("hub", "init", "--home", str(tmp_path / "home"))
    assert result.exit_code == 0, result.output
    return HubHome(tmp_path / "home")


def test_init_creates_key_governance_and_audit_entry(home: HubHome, tmp_path: Path) -> None:
    key_files = list(home.keys.glob("hub_signing_*.key"))
    assert len(key_files) == 1
    assert oct(key_files[0].stat().st_mode & 0o777) == "0o600"
    assert load_governance(home).partners == {}
    assert [e.action for e in audit.entries(home)] == ["hub_initialised"]
    kid = active_signing_key(home).kid
    again = run("hub", "init", "--home", str(home.root))
    assert again.exit_code == 0 and "kept" in again.output
    assert active_signing_key(home).kid == kid
    assert len(audit.entries(home)) == 1


def _signing_pub(tmp: Path, name: str) -> Path:
    made = keygen(tmp / name, "harbor_housing")
    return signing_key_paths(made.signing_key.parent, "harbor_housing")[1]


def test_register_partner_from_keygen_pem_and_rotate(home: HubHome, tmp_path: Path) -> None:
    pem, b64 = _pem_public(tmp_path, "harbor")
    signing = _signing_pub(tmp_path, "sig1")
    result = run(
        "hub", "register-partner", "--home", str(home.root), "--partner", "harbor_housing",
        "--sector", "cbo_housing", "--extract-key", str(pem), "--fingerprint", FP,
        "--signing-key", str(signing),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    governance = load_governance(home)
    assert governance.partners["harbor_housing"].extract_public_key == b64
    assert governance.agreement_for("harbor_housing") is not None
    twice = run(
        "hub", "register-partner", "--home", str(home.root), "--partner", "harbor_housing",
        "--sector", "cbo_housing", "--extract-key", b64, "--fingerprint", FP,
        "--signing-key", str(signing),
    )  # fmt: skip
    assert twice.exit_code == 2 and "--rotate" in twice.output
    _, new_b64 = _pem_public(tmp_path, "harbor2")
    rotated = run(
        "hub", "register-partner", "--home", str(home.root), "--partner", "harbor_housing",
        "--extract-key", new_b64, "--rotate",
    )  # fmt: skip
    assert rotated.exit_code == 0, rotated.output
    harbor = load_governance(home).partners["harbor_housing"]
    assert harbor.extract_public_key == new_b64
    assert harbor.retired_extract_keys[0].public_key == b64
    actions = [e.action for e in audit.entries(home)]
    assert actions == ["hub_initialised", "partner_registered", "partner_extract_key_rotated"]
    assert audit.entries(home)[-1].details["new_key_id"] == key_id(new_b64)

    # Signing-key rotation: the new key is added, the old one stays valid for 7 more days.
    new_signing = _signing_pub(tmp_path, "sig2")
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        signed = run(
            "hub", "register-partner", "--home", str(home.root), "--partner", "harbor_housing",
            "--signing-key", str(new_signing), "--rotate",
        )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    old, new = load_governance(home).partners["harbor_housing"].signing_keys
    assert old.public_key == signing.read_text().strip() and old.not_after == date(2026, 12, 8)
    assert new.public_key == new_signing.read_text().strip()
    assert new.not_before == date(2026, 12, 1) and new.not_after is None
    assert audit.entries(home)[-1].action == "partner_signing_key_rotated"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sector", "bakery"], "unknown sector"),
        (["--fingerprint", "NOTHEX"], "key_fingerprint"),
        (["--extract-key", "bm90IGEga2V5"], "has 9 bytes"),
        (["--partner", "Harbor Housing"], "lower-case"),
        (["--signing-key", "bm90IGEga2V5"], "has 32"),
    ],
)
def test_register_partner_refuses_bad_input(home: HubHome, extra: list[str], message: str) -> None:
    _, b64 = _pem_public(home.root, "x")
    args = {
        "--partner": "harbor_housing",
        "--sector": "cbo_housing",
        "--extract-key": b64,
        "--fingerprint": FP,
        "--signing-key": str(_signing_pub(home.root, "sig")),
    }
    args.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    flat = [item for pair in args.items() for item in pair]
    result = run("hub", "register-partner", "--home", str(home.root), *flat)
    assert result.exit_code == 2
    assert message in result.output
    assert load_governance(home).partners == {}


def test_private_key_is_never_accepted_as_extract_key(tmp_path: Path) -> None:
    path = tmp_path / "private.pem"
    path.write_bytes(
        X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="PRIVATE key"):
        read_extract_public_key(str(path))


def test_rotate_signing_key_cli(home: HubHome) -> None:
    old = active_signing_key(home).kid
    result = run("hub", "rotate-signing-key", "--home", str(home.root))
    assert result.exit_code == 0, result.output
    new = active_signing_key(home).kid
    assert new != old and f"{old} (retired) -> {new} (active)" in result.output
    keyset = json.loads(public_keys_path(home).read_text())
    assert [k["status"] for k in keyset["keys"]] == ["retired", "active"]
    assert keyset["keys"][1]["endorsed_by"] == old
    assert audit.entries(home)[-1].details == {"old_kid": old, "new_kid": new}
    assert len(load_public_keys(public_keys_path(home))) == 2


def test_signing_key_readable_by_others_is_refused(home: HubHome) -> None:
    key_file = next(home.keys.glob("hub_signing_*.key"))
    os.chmod(key_file, 0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        active_signing_key(home)
    result = run("hub", "rotate-signing-key", "--home", str(home.root))
    assert result.exit_code == 2 and "chmod 600" in result.output


def test_extracts_listing(tmp_path: Path) -> None:
    from test_extracts_helpers import build, make_hub

    hub = make_hub(tmp_path, archive=False)
    empty = run("hub", "extracts", "--home", str(hub.home.root))
    assert empty.exit_code == 0 and "no published extracts" in empty.output
    infos = build(hub)
    listing = run("hub", "extracts", "--home", str(hub.home.root))
    assert listing.exit_code == 0, listing.output
    for partner, info in infos.items():
        assert f"{partner}" in listing.output and info.extract_id in listing.output
    assert "<11" in listing.output
