"""``carehub partner keygen``: key files, modes, and refusal of exposed secrets."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from typer.testing import CliRunner

from carehub.cli import app
from contract.spec import SPEC_VERSION
from encoding.keys import SecretError, key_fingerprint
from partner.keyfiles import read_secret
from partner.keygen import keygen


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keygen_writes_private_files_0600(tmp_path: Path) -> None:
    result = keygen(
        tmp_path / "k", "harbor_housing", shared_secret=tmp_path / "k" / "shared.secret"
    )
    for private in (result.private_key, result.pseudonym_key, result.shared_secret):
        assert private is not None and _mode(private) == 0o600
    secret = read_secret(tmp_path / "k" / "shared.secret")
    assert len(secret) == 32
    assert result.key_fingerprint == key_fingerprint(secret)
    # The key pair works for the HPKE suite the hub encrypts extracts with.
    loaded = serialization.load_pem_private_key(result.private_key.read_bytes(), password=None)
    assert isinstance(loaded, X25519PrivateKey)
    public = X25519PublicKey.from_public_bytes(base64.b64decode(result.public_key_b64))
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
    assert (
        suite.decrypt(suite.encrypt(b"cohort", public, info=b"t"), loaded, info=b"t") == b"cohort"
    )


def test_keygen_keeps_existing_secret_and_pseudonym_key(tmp_path: Path) -> None:
    first = keygen(tmp_path, "northside_food", shared_secret=tmp_path / "s.secret")
    pseud = first.pseudonym_key.read_bytes()
    with pytest.raises(FileExistsError, match="--force"):
        keygen(tmp_path, "northside_food", shared_secret=tmp_path / "s.secret")
    second = keygen(tmp_path, "northside_food", shared_secret=tmp_path / "s.secret", force=True)
    assert second.pseudonym_key.read_bytes() == pseud, (
        "a new pseudonym key would orphan old records"
    )
    assert second.key_fingerprint == first.key_fingerprint
    assert second.public_key_b64 != first.public_key_b64


def test_world_readable_secret_refused(tmp_path: Path) -> None:
    path = tmp_path / "shared.secret"
    path.write_text(base64.b64encode(os.urandom(32)).decode())
    os.chmod(path, 0o644)
    with pytest.raises(SecretError, match=r"readable by others \(mode 0644\)"):
        read_secret(path)
    with pytest.raises(SecretError, match="readable by others"):
        keygen(tmp_path / "k", "mercy_hospital", shared_secret=path)


def test_cli_keygen(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "partner",
            "keygen",
            "--partner",
            "mercy_hospital",
            "--out",
            str(tmp_path),
            "--shared-secret",
            str(tmp_path / "shared.secret"),
            "--ecosystem-persons",
            "250000",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "key fingerprint for the hub registry" in result.output
    # Spec 2.2: the ecosystem size is announced with the secret, in a file next to it.
    assert "250,000 persons: tok_phone 17 bits" in result.output.replace("\n", "")
    assert json.loads((tmp_path / "shared.secret.ecosystem.json").read_text()) == {
        "spec_version": SPEC_VERSION,
        "ecosystem_persons": 250_000,
    }
    secret = read_secret(tmp_path / "shared.secret")
    assert base64.b64encode(secret).decode() not in result.output
    assert key_fingerprint(secret) in result.output.replace("\n", "")
