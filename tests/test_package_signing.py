"""Packages are signed by the partner that made them: keygen, signing, rotation, refusal.

Real Ed25519 keys, real packages, the real ingest (``ingest_landing``) on a real DuckDB file.
"""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contract.manifest import manifest_signer
from kernel.db import connection
from kernel.home import HubHome
from kernel.signing import PACKAGE_PURPOSE, SignatureError, public_b64, sign, verify
from partner.keygen import keygen, read_signing_key, signing_key_paths
from partner.package import read_manifest
from tests.ingest_support import drop, make_home, signing_key, staging_counts
from warehouse.governance import load_governance, rotate_partner_signing_key
from warehouse.ingest import ingest_landing

PARTNER = "harbor_housing"
ROTATED_ON = date(2026, 11, 20)


def test_keygen_writes_a_private_signing_key(tmp_path: Path) -> None:
    first = keygen(tmp_path, PARTNER)
    private, public = signing_key_paths(tmp_path, PARTNER)
    assert first.signing_key == private
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_text().strip() == first.signing_public_key_b64
    # --force makes a new signing key, to be registered with `register-partner --rotate`.
    rotated = keygen(tmp_path, PARTNER, force=True).signing_public_key_b64
    assert rotated != first.signing_public_key_b64
    assert public.read_text().strip() == rotated
    key = read_signing_key(private)
    assert public_b64(key.public_key()) == rotated
    private.chmod(0o644)
    with pytest.raises(ValueError, match="readable by others"):
        read_signing_key(private)


@pytest.mark.parametrize(
    ("change", "verifies"),
    [
        (lambda d: d, True),
        (lambda d: {**d, "partner_id": "mercy_hospital"}, False),
        (lambda d: {**d, "files": {"persons.parquet": {"sha256": "0" * 64}}}, False),
        (lambda d: {**d, "extra": 1}, False),
    ],
)
def test_signature_covers_every_field(change: object, verifies: bool) -> None:
    key = Ed25519PrivateKey.generate()
    document = {"partner_id": PARTNER, "files": {"persons.parquet": {"sha256": "a" * 64}}}
    signature = sign(document, key, PACKAGE_PURPOSE)
    changed = change(document)  # type: ignore[operator]
    if verifies:
        assert verify(changed, signature, [key.public_key()], PACKAGE_PURPOSE) == signature["kid"]
    else:
        with pytest.raises(SignatureError):
            verify(changed, signature, [key.public_key()], PACKAGE_PURPOSE)
    # Another purpose never verifies the same bytes (a package signature is not an approval).
    with pytest.raises(SignatureError):
        verify(document, signature, [key.public_key()], "carehub-approval/1")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> HubHome:
    hub = make_home(tmp_path_factory.mktemp("signing") / "home")
    new = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    rotate_partner_signing_key(
        hub, PARTNER, public_b64(new.public_key()), overlap_days=7, today=ROTATED_ON
    )
    return hub


NEW_KEY = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)


@pytest.mark.parametrize(
    ("case", "key", "day", "outcome", "text"),
    [
        ("old key during the overlap", "old", datetime(2026, 11, 25, tzinfo=UTC), "ingested", ""),
        ("new key after rotation", "new", datetime(2026, 11, 25, tzinfo=UTC), "ingested", ""),
        (
            "old key after the overlap",
            "old",
            datetime(2026, 12, 1, tzinfo=UTC),
            "quarantined",
            "not valid today",
        ),
        (
            "new key before its window",
            "new",
            datetime(2026, 11, 19, tzinfo=UTC),
            "quarantined",
            "not valid today",
        ),
        (
            "a stranger's key",
            "stranger",
            datetime(2026, 11, 25, tzinfo=UTC),
            "quarantined",
            "made by another partner",
        ),
    ],
)
def test_rotation_windows(
    home: HubHome, case: str, key: str, day: datetime, outcome: str, text: str
) -> None:
    signer = {
        "old": signing_key(PARTNER),
        "new": NEW_KEY,
        "stranger": Ed25519PrivateKey.generate(),
    }[key]
    keys = load_governance(home).partners[PARTNER].signing_keys
    assert [k.not_after for k in keys] == [date(2026, 11, 27), None]
    pkg = drop(home, PARTNER, salt=case, signing_key=signer, created_at=day)
    assert manifest_signer(read_manifest(pkg), [signer.public_key()])
    with connection(home.hub_db) as con:
        before = staging_counts(con, PARTNER) if outcome == "quarantined" else None
        (result,) = ingest_landing(home, con, now=day)
        assert result.outcome == outcome, result.message
        if outcome == "quarantined":
            assert any(text in f.message for f in result.findings), result.findings
            assert staging_counts(con, PARTNER) == before
