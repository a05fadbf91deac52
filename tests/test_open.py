"""`carehub partner open`: each failure the issue lists is refused clearly; nothing is written."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from test_extracts_helpers import NOW, Hub, make_hub, pseudonym
from time_machine import TimeMachineFixture
from typer.testing import CliRunner

from carehub.cli import app
from partner.open import OpenError, neutralise, open_extract
from warehouse.extracts import ExtractInfo, build_extracts
from warehouse.governance import load_governance
from warehouse.keys import ensure_signing_key

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Built:
    hub: Hub
    infos: dict[str, ExtractInfo]

    @property
    def hub_keys(self) -> Path:
        return self.hub.home.keys / "hub_public_keys.json"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    hub = make_hub(tmp_path_factory.mktemp("open"), archive=False)
    con = hub.connect()
    try:
        infos = build_extracts(con, hub.home, load_governance(hub.home), now=NOW)
    finally:
        con.close()
    return Built(hub, {i.partner_id: i for i in infos})


@dataclass
class Case:
    """One attempt to open mercy's extract, after ``tamper`` changed something."""

    extract: Path
    key: Path
    crosswalk: Path
    hub_keys: Path
    out: Path
    ledger: Path
    now: object = NOW + timedelta(hours=1)


def _case(built: Built, tmp_path: Path) -> Case:
    mercy = built.hub.partners["mercy_hospital"]
    extract = tmp_path / "mercy.extract.json"
    shutil.copy(built.infos["mercy_hospital"].current, extract)
    crosswalk = tmp_path / "crosswalk.csv"
    shutil.copy(mercy.crosswalk, crosswalk)
    hub_keys = tmp_path / "hub_public_keys.json"
    shutil.copy(built.hub_keys, hub_keys)
    return Case(
        extract,
        mercy.key_file,
        crosswalk,
        hub_keys,
        tmp_path / "out.csv",
        tmp_path / "ledger.jsonl",
    )


def _open(case: Case):
    return open_extract(
        case.extract,
        case.key,
        case.crosswalk,
        case.out,
        case.hub_keys,
        ledger=case.ledger,
        now=case.now,
    )


def _edit_envelope(case: Case, edit: Callable[[dict], None]) -> None:
    envelope = json.loads(case.extract.read_text())
    edit(envelope)
    case.extract.write_text(json.dumps(envelope))


def _flip_ciphertext(env: dict) -> None:
    data = bytearray(base64.b64decode(env["ciphertext"]))
    data[len(data) // 2] ^= 0x01
    env["ciphertext"] = base64.b64encode(bytes(data)).decode()


def _flip_ciphertext_and_fix_hash(env: dict) -> None:
    import hashlib

    _flip_ciphertext(env)
    env["manifest"]["ciphertext_sha256"] = hashlib.sha256(
        base64.b64decode(env["ciphertext"])
    ).hexdigest()


def _manifest(key: str, value: object) -> Callable[[Case], None]:
    def tamper(case: Case) -> None:
        _edit_envelope(case, lambda env: env["manifest"].__setitem__(key, value))

    return tamper


def _counts(case: Case) -> None:
    _edit_envelope(case, lambda env: env["manifest"]["counts"].__setitem__("records", 3))


def _wrong_key(built: Built) -> Callable[[Case], None]:
    def tamper(case: Case) -> None:
        case.key = built.hub.partners["harbor_housing"].key_file

    return tamper


def _expired(case: Case) -> None:
    case.now = NOW + timedelta(days=15)


def _replayed(case: Case) -> None:
    _open(case)
    case.out.unlink()


def _other_hub(tmp: Path) -> Callable[[Case], None]:
    def tamper(case: Case) -> None:
        from kernel.home import HubHome

        other = HubHome(tmp / "other-hub").ensure()
        ensure_signing_key(other)
        shutil.copy(other.keys / "hub_public_keys.json", case.hub_keys)

    return tamper


def _resign_with_other_hub(tmp: Path) -> Callable[[Case], None]:
    """A forger signs the manifest with its own key and claims the hub's kid."""

    def tamper(case: Case) -> None:
        from kernel.home import HubHome
        from kernel.signing import canonical

        other = HubHome(tmp / "forger").ensure()
        forger = ensure_signing_key(other)

        def edit(env: dict) -> None:
            env["manifest"]["expires_at"] = "2099-01-01T00:00:00Z"
            env["signature"]["value"] = base64.b64encode(
                forger.sign(canonical(env["manifest"]))
            ).decode()

        _edit_envelope(case, edit)

    return tamper


def _drop_from_crosswalk(case: Case) -> None:
    target = pseudonym("mercy_hospital", "m-shared")
    lines = case.crosswalk.read_text().splitlines(keepends=True)
    case.crosswalk.write_text("".join(line for line in lines if not line.startswith(target)))


def _not_json(case: Case) -> None:
    case.extract.write_bytes(b"PK\x03\x04 this is a zip, not an extract")


def _world_readable_key(case: Case, tmp: Path) -> None:
    key = tmp / "loose.pem"
    shutil.copy(case.key, key)
    os.chmod(key, 0o644)
    case.key = key


def _bad_signature(case: Case) -> None:
    _edit_envelope(case, lambda env: env["signature"].__setitem__("value", "!!notbase64"))


def _swap_kid(case: Case) -> None:
    _edit_envelope(case, lambda env: env["signature"].__setitem__("kid", "0123456789abcdef"))


FAILURES = [
    (
        "tampered-ciphertext",
        lambda b, t: lambda c: _edit_envelope(c, _flip_ciphertext),
        "tampered_ciphertext",
        "does not match the signed manifest",
    ),
    (
        "tampered-ciphertext-and-hash",
        lambda b, t: lambda c: _edit_envelope(c, _flip_ciphertext_and_fix_hash),
        "tampered_manifest",
        "signature does not verify",
    ),
    (
        "tampered-manifest-expiry",
        lambda b, t: _manifest("expires_at", "2099-01-01T00:00:00Z"),
        "tampered_manifest",
        "signature does not verify",
    ),
    (
        "tampered-manifest-recipient",
        lambda b, t: _manifest("recipient", "harbor_housing"),
        "tampered_manifest",
        "altered",
    ),
    (
        "tampered-manifest-counts",
        lambda b, t: _counts,
        "tampered_manifest",
        "signature does not verify",
    ),
    ("tampered-manifest-kid", lambda b, t: _swap_kid, "tampered_manifest", "signed with"),
    (
        "garbage-signature",
        lambda b, t: _bad_signature,
        "tampered_manifest",
        "signature does not verify",
    ),
    (
        "forged-signature",
        lambda b, t: _resign_with_other_hub(t),
        "tampered_manifest",
        "not made by the hub",
    ),
    (
        "wrong-recipient-key",
        lambda b, t: _wrong_key(b),
        "wrong_recipient",
        "encrypted to mercy_hospital's key",
    ),
    ("expired", lambda b, t: _expired, "expired", "ask the hub for a fresh extract"),
    ("replayed", lambda b, t: _replayed, "replayed", "already opened"),
    (
        "unknown-hub-key",
        lambda b, t: _other_hub(t),
        "unknown_hub_key",
        "not in your hub_public_keys.json",
    ),
    (
        "crosswalk-lacks-pseudonym",
        lambda b, t: _drop_from_crosswalk,
        "crosswalk_missing",
        "lacks 1 of the extract's",
    ),
    ("not-an-extract", lambda b, t: _not_json, "not_an_extract", "not a carehub extract"),
    (
        "world-readable-key",
        lambda b, t: lambda c: _world_readable_key(c, t),
        "bad_key",
        "chmod 600",
    ),
]


@pytest.mark.parametrize(("name", "make", "code", "text"), FAILURES, ids=[f[0] for f in FAILURES])
def test_open_refuses(built: Built, tmp_path: Path, name: str, make, code: str, text: str) -> None:
    case = _case(built, tmp_path)
    make(built, tmp_path)(case)
    ledger_before = case.ledger.read_bytes() if case.ledger.exists() else None
    with pytest.raises(OpenError) as info:
        _open(case)
    assert info.value.code == code
    assert text in str(info.value)
    # Nothing written: no CSV, ledger unchanged; and no pseudonym echoed in the message.
    assert not case.out.exists()
    assert (case.ledger.read_bytes() if case.ledger.exists() else None) == ledger_before
    assert pseudonym("mercy_hospital", "m-shared") not in str(info.value)


def test_open_writes_the_care_team_csv(built: Built, tmp_path: Path) -> None:
    case = _case(built, tmp_path)
    result = _open(case)
    lines = case.out.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["record_id", "segments"]
    assert set(header[2:]) == set(
        load_governance(built.hub.home).agreement_for("mercy_hospital").context_flags
    )
    rows = {
        line.split(",")[0]: dict(zip(header, line.split(","), strict=True)) for line in lines[1:]
    }
    assert set(rows) == {"m-shared", "m-food", *(f"m-many-{i:02d}" for i in range(14))}
    assert rows["m-shared"]["seen_by_housing_cbo_90d"] == "yes"
    assert rows["m-shared"]["segments"] == "camden_high_utilizers;frequent_ed_housing_instability"
    assert rows["m-food"]["food_insecurity_positive_elsewhere"] == "yes"
    assert result.rows == 16
    assert result.cohort_sizes == {
        "camden_high_utilizers": 15,
        "frequent_ed_housing_instability": 1,
        "food_insecurity_diabetes": 1,
        "overdose_without_bh_services": 0,
    }
    assert result.recipient == "mercy_hospital" and result.purpose
    assert result.pseudonyms <= built.hub.pseudonyms_of("mercy_hospital")
    assert len(result.pseudonyms) == 16
    ledger = [json.loads(line) for line in case.ledger.read_text().splitlines()]
    assert [e["extract_id"] for e in ledger] == [result.extract_id]
    assert oct(case.out.stat().st_mode & 0o777) == "0o600"


def test_formula_cells_are_neutralised(built: Built, tmp_path: Path) -> None:
    case = _case(built, tmp_path)
    target = pseudonym("mercy_hospital", "m-shared")
    text = case.crosswalk.read_text().replace(
        f"{target},m-shared", f"{target},\"=cmd|' /C calc'!A0\""
    )
    case.crosswalk.write_text(text)
    _open(case)
    assert "'=cmd|" in case.out.read_text()
    assert "\n=cmd" not in case.out.read_text()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("m-1", "m-1"),
        ("", ""),
    ],
)
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected


def _cli_args(case: Case) -> list[str]:
    return [
        "partner", "open", "--extract", str(case.extract), "--key", str(case.key),
        "--crosswalk", str(case.crosswalk), "--out", str(case.out),
        "--hub-keys", str(case.hub_keys), "--ledger", str(case.ledger),
    ]  # fmt: skip


def test_cli_open_success_and_refusal(
    built: Built, tmp_path: Path, time_machine: TimeMachineFixture
) -> None:
    # The extracts were built at NOW; the partner opens them an hour later by its own clock.
    time_machine.move_to(NOW + timedelta(hours=1))
    case = _case(built, tmp_path)
    args = _cli_args(case)
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "camden_high_utilizers" in first.output and "16 row(s)" in first.output
    case.out.unlink()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert "refused (replayed)" in again.output and "nothing was written" in again.output


@pytest.mark.parametrize(
    ("days_after", "opens"),
    [(1, True), (13, True), (15, False), (400, False), (365 * 30, False)],
)
def test_cli_open_follows_the_clock_past_expiry(
    built: Built, tmp_path: Path, time_machine: TimeMachineFixture, days_after: int, opens: bool
) -> None:
    """Moving the clock past ``expires_at`` turns an opening into a refusal that writes nothing."""
    expires = built.infos["mercy_hospital"].expires_at
    assert expires - NOW == timedelta(days=14)  # the agreement's extract_valid_days
    time_machine.move_to(NOW + timedelta(days=days_after))
    case = _case(built, tmp_path)
    result = CliRunner().invoke(app, _cli_args(case))
    if opens:
        assert result.exit_code == 0, result.output
        assert case.out.exists()
    else:
        assert result.exit_code == 1
        assert "refused (expired)" in result.output and "nothing was written" in result.output
        assert not case.out.exists()


@pytest.mark.parametrize(
    ("at", "opens"),
    [((NOW + timedelta(hours=1)).isoformat(), True), ("2026-12-04", True), ("2027-01-01", False)],
)
def test_cli_at_replays_a_day(built: Built, tmp_path: Path, at: str, opens: bool) -> None:
    """``carehub --at`` runs one command by another day's clock (here, whatever the real date)."""
    case = _case(built, tmp_path)
    result = CliRunner().invoke(app, ["--at", at, *_cli_args(case)])
    assert (result.exit_code == 0) is opens, result.output
    assert case.out.exists() is opens
    (tmp_path / "env").mkdir()
    by_env = _cli_args(_case(built, tmp_path / "env"))
    env_result = CliRunner().invoke(app, by_env, env={"CAREHUB_NOW": at})
    assert (env_result.exit_code == 0) is opens, env_result.output


def test_partner_client_imports_no_hub_stack() -> None:
    code = (
        "import sys, partner.open, partner.cli\n"
        "bad = [m for m in ('dagster', 'great_expectations', 'splink') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
