"""Partner extracts: minimum necessary, isolated, consent-aware, audited, rotatable keys."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from test_extracts_helpers import NOW, PARTNERS, Hub, build, decrypt, make_hub, pseudonym

from partner.open import OpenError, open_extract
from pipelines.defs.extracts.assets import partner_extracts
from pipelines.resources import HubResource
from warehouse import audit
from warehouse.disclosure.ledger import load_ledger
from warehouse.extracts import (
    ExtractConfigError,
    ExtractInfo,
    ExtractInputsMissing,
    build_extracts,
    current_extract,
    disclose,
)
from warehouse.extracts.envelope import pad
from warehouse.governance import (
    PartnerRegistration,
    load_governance,
    rotate_partner_extract_key,
    save_governance,
    write_governance,
)
from warehouse.keys import load_public_keys, public_keys_path, rotate_signing_key, verify_chain
from warehouse.publish import last_publications

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

HPKE_OVERHEAD = 48  # X25519 encapsulated key (32) + Poly1305 tag (16)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Hub, dict[str, ExtractInfo]]:
    hub = make_hub(tmp_path_factory.mktemp("extracts"), archive=False)
    return hub, build(hub)


def test_every_partner_with_an_agreement_gets_one_extract(built) -> None:
    hub, infos = built
    assert set(infos) == set(PARTNERS)
    for partner, info in infos.items():
        assert info.current.is_file() and info.current.parent.name == "current"
        assert info.current.parent.parent == hub.home.outbox / partner
        assert info.extract_id.startswith(f"{partner}-20261120T120000Z-")
        assert info.expires_at == NOW + timedelta(days=14)
        assert (hub.home.outbox / partner / "hub_public_keys.json").is_file()
        assert current_extract(hub.home, partner) == info.current
    assert current_extract(hub.home, "nobody_here") is None


def test_isolation_no_extract_holds_another_partners_pseudonym_or_person_key(built) -> None:
    hub, infos = built
    all_person_keys = set(hub.records.values())
    for partner, info in infos.items():
        _, payload = decrypt(hub, info)
        listed = {r["record_pseudonym"] for r in payload["records"]}
        assert listed <= hub.pseudonyms_of(partner)
        text = json.dumps(payload)
        for other in PARTNERS:
            if other == partner:
                continue
            assert other not in text
            assert not any(p in text for p in hub.pseudonyms_of(other))
        assert not any(f'"{key}"' in text for key in all_person_keys)
        # Nothing but the agreed columns per row.
        assert all(set(r) == {"record_pseudonym", "segments", "flags"} for r in payload["records"])


def test_consent_non_consented_records_never_appear(built) -> None:
    hub, infos = built
    non_consented = {pseudonym(p, r) for (p, r), ok in hub.consented.items() if not ok}
    assert non_consented  # the seeded case exists
    for info in infos.values():
        _, payload = decrypt(hub, info)
        assert not non_consented & {r["record_pseudonym"] for r in payload["records"]}


def _rows(hub: Hub, info: ExtractInfo) -> dict[str, dict]:
    _, payload = decrypt(hub, info)
    return {r["record_pseudonym"]: r for r in payload["records"]}


def test_person_with_an_unconsented_record_elsewhere_is_withheld(built) -> None:
    """h-nocons is consented at harbor, but its person's mercy record is not: membership may
    rest on that record, so the person is left out, and the audit log counts it (as a small
    count: "<11", never the number itself)."""
    hub, infos = built
    harbor = _rows(hub, infos["harbor_housing"])
    assert pseudonym("harbor_housing", "h-nocons") not in harbor
    shared = harbor[pseudonym("harbor_housing", "h-shared")]
    assert shared["flags"]["ed_visit_elsewhere_90d"] is True
    assert infos["harbor_housing"].withheld == 1
    entry = next(
        e
        for e in audit.entries(hub.home)
        if e.action == "extract_built" and e.details["partner"] == "harbor_housing"
    )
    assert entry.details["counts"]["withheld_for_consent"] == "<11"


def test_unconsented_or_part2_source_never_feeds_context_when_withholding_is_off(
    tmp_path: Path,
) -> None:
    hub = make_hub(tmp_path, archive=False)
    governance = load_governance(hub.home)
    consent = governance.consent.model_copy(
        update={"withhold_unconsented_persons": False, "withhold_part2_persons": False}
    )
    save_governance(hub.home, governance.model_copy(update={"consent": consent}))
    infos = build(hub)
    harbor = _rows(hub, infos["harbor_housing"])
    # h-nocons's only ED visit is at mercy, where the record is not consented.
    nocons = harbor[pseudonym("harbor_housing", "h-nocons")]
    assert nocons["flags"]["ed_visit_elsewhere_90d"] is False
    rows = _rows(hub, infos["county_public_health"])
    flags = rows[pseudonym("county_public_health", "c-part2no")]["flags"]
    # The Part 2 event is the only harbor event: without consent it does not even reveal a visit.
    assert flags["substance_use_treatment_elsewhere_365d"] is False
    assert flags["seen_by_housing_cbo_90d"] is False
    # Non-consented records themselves still never appear.
    assert pseudonym("mercy_hospital", "m-nocons") not in _rows(hub, infos["mercy_hospital"])


def test_part2_treatment_feeds_context_only_with_consent(built) -> None:
    hub, infos = built
    rows = _rows(hub, infos["county_public_health"])
    flags = rows[pseudonym("county_public_health", "c-part2yes")]["flags"]
    assert flags["substance_use_treatment_elsewhere_365d"] is True
    assert flags["seen_by_housing_cbo_90d"] is True
    # Without Part 2 consent at harbor the person is withheld altogether (membership may rest
    # on the treatment).
    assert pseudonym("county_public_health", "c-part2no") not in rows
    assert infos["county_public_health"].withheld == 1


def test_only_agreed_segments_and_flags(built) -> None:
    hub, infos = built
    governance = load_governance(hub.home)
    for partner, info in infos.items():
        agreement = governance.agreement_for(partner)
        _, payload = decrypt(hub, info)
        assert set(payload["segments"]) == set(agreement.segments)
        for row in payload["records"]:
            assert row["segments"] and set(row["segments"]) <= set(agreement.segments)
            assert set(row["flags"]) == set(agreement.context_flags)
    mercy = _rows(hub, infos["mercy_hospital"])
    assert pseudonym("mercy_hospital", "m-other") not in mercy  # only in a segment not agreed
    assert pseudonym("mercy_hospital", "m-none") not in mercy  # in no segment


def test_manifest_counts_pass_disclosure_control(built) -> None:
    hub, infos = built
    manifest, _ = decrypt(hub, infos["mercy_hospital"])
    assert manifest["counts"]["records"] == 16
    assert manifest["counts"]["by_segment"] == {
        "camden_high_utilizers": 15,
        "frequent_ed_housing_instability": "<11",
        "food_insecurity_diabetes": "<11",
        "overdose_without_bh_services": 0,
    }
    for info in infos.values():
        counts = json.loads(info.current.read_text())["manifest"]["counts"]
        for value in [counts["records"], *counts["by_segment"].values()]:
            assert value == "<11" or value == 0 or value >= 11
    assert infos["mercy_hospital"].cohort_sizes["frequent_ed_housing_instability"] == 1


@pytest.mark.parametrize(
    ("count", "shown"), [(0, 0), (1, "<11"), (10, "<11"), (11, 11), (500, 500)]
)
def test_disclose(count: int, shown: int | str) -> None:
    assert disclose(count) == shown


def test_the_threshold_lives_in_one_place() -> None:
    from warehouse import disclosure
    from warehouse.extracts import build

    assert build.DEFAULT_THRESHOLD is disclosure.DEFAULT_THRESHOLD
    assert build.disclose is disclosure.disclose


@pytest.mark.parametrize(
    ("size", "padded"), [(0, 4096), (100, 4096), (4096, 4096), (4097, 8192), (70_000, 131_072)]
)
def test_payloads_are_padded_to_size_buckets(size: int, padded: int) -> None:
    document = b"{" + b"1" * max(0, size - 2) + b"}" if size else b""
    out = pad(document)
    assert len(out) == padded and out.startswith(document) and not out[len(document) :].strip()


def test_ciphertext_length_tells_only_the_bucket(built) -> None:
    _, infos = built
    for info in infos.values():
        manifest = json.loads(info.path.read_bytes())["manifest"]
        plaintext = manifest["ciphertext_bytes"] - HPKE_OVERHEAD
        assert plaintext >= 4096 and plaintext & (plaintext - 1) == 0, plaintext


def test_every_extract_is_audited_built_and_delivered(built) -> None:
    hub, infos = built
    assert audit.verify(hub.home).ok
    entries = audit.entries(hub.home)
    governance = load_governance(hub.home)
    for partner, info in infos.items():
        built_entry = next(
            e
            for e in entries
            if e.action == "extract_built" and e.details["extract_id"] == info.extract_id
        )
        d = built_entry.details
        assert d["partner"] == partner
        assert d["segments"] == list(governance.agreement_for(partner).segments)
        assert d["counts"]["records"] == disclose(info.records)
        # No small count in the log: each is at least the threshold, 0, or "<11".
        for count in [*d["counts"]["by_segment"].values(), *d["counts"]["by_flag"].values()]:
            assert count == 0 or count == "<11" or count >= 11
        assert d["purpose"] == governance.agreement_for(partner).purpose
        assert d["governance_version"] == governance.version_label
        assert built_entry.time.startswith("2026-11-20T12:00:00")
        assert any(
            e.action == "extract_delivered" and e.details["extract_id"] == info.extract_id
            for e in entries
        )
    log = audit.log_path(hub.home).read_text()
    assert not any(p in log for partner in PARTNERS for p in hub.pseudonyms_of(partner))


def test_manifest_carries_the_audit_anchor(built) -> None:
    hub, infos = built
    seen = {e.hash for e in audit.entries(hub.home)} | {audit.GENESIS}
    for info in infos.values():
        anchor = json.loads(info.current.read_text())["manifest"]["audit_anchor"]
        assert anchor["hash"] in seen


def test_publications_are_recorded(built) -> None:
    hub, infos = built
    con = hub.connect()
    try:
        recorded = {p.output: p for p in last_publications(con)}
    finally:
        con.close()
    for partner, info in infos.items():
        assert recorded[f"extract:{partner}"].version == info.extract_id


def test_manifest_counts_are_in_the_release_ledger(built) -> None:
    hub, infos = built
    con = hub.connect()
    try:
        ledgers = {partner: load_ledger(con, f"extract:{partner}") for partner in infos}
    finally:
        con.close()
    for partner, info in infos.items():
        (release,) = ledgers[partner]
        counts = info.manifest_counts
        # What the clear manifest shows, and nothing more: a "<11" is withheld (None).
        shown = {key[-1]: value for key, value in release.shown.items()}
        expected = {"records": counts["records"], **counts["by_segment"]}
        assert shown == {k: None if isinstance(v, str) else v for k, v in expected.items()}
        assert all(c.sense == "le" for c in release.constraints)


def test_due_only_skips_partners_served_within_their_frequency(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    assert set(build(hub)) == set(PARTNERS)
    assert build(hub, NOW + timedelta(days=1), due_only=True) == {}
    weekly = build(hub, NOW + timedelta(days=7), due_only=True)
    assert set(weekly) == {"mercy_hospital", "harbor_housing", "county_public_health"}
    assert set(build(hub, NOW + timedelta(days=28), due_only=True)) == set(PARTNERS)


def test_inactive_partner_and_lapsed_agreement_get_nothing(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    governance = load_governance(hub.home)
    partners = dict(governance.partners)
    partners["harbor_housing"] = partners["harbor_housing"].model_copy(update={"active": False})
    agreements = tuple(
        a.model_copy(update={"valid_until": NOW.date() - timedelta(days=1)})
        if a.partner == "northside_food"
        else a
        for a in governance.agreements
    )
    save_governance(
        hub.home, governance.model_copy(update={"partners": partners, "agreements": agreements})
    )
    assert set(build(hub)) == {"mercy_hospital", "county_public_health"}


def test_missing_inputs_are_named(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    con = hub.connect()
    try:
        con.execute("DROP TABLE segments.membership")
        with pytest.raises(ExtractInputsMissing, match=r"segments\.membership"):
            build_extracts(con, hub.home, load_governance(hub.home), now=NOW)
    finally:
        con.close()


def _open(
    hub: Hub,
    info: ExtractInfo,
    tmp: Path,
    *,
    keys: list[Path] | None = None,
    hub_keys: Path | None = None,
):
    pk = hub.partners[info.partner_id]
    return open_extract(
        info.path,
        keys or [pk.key_file],
        pk.crosswalk,
        tmp / f"{info.extract_id}.csv",
        hub_keys or public_keys_path(hub.home),
        ledger=tmp / f"{info.extract_id}.ledger",
        now=info.created_at + timedelta(hours=1),
    )


def test_hub_signing_key_rotation_keeps_past_extracts_verifiable(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    before = build(hub)["harbor_housing"]
    old_keyset = tmp_path / "old_keys.json"
    old_keyset.write_bytes(public_keys_path(hub.home).read_bytes())
    old_kid, new_kid = rotate_signing_key(hub.home, now=NOW + timedelta(hours=2))
    assert old_kid == before.hub_kid and new_kid != old_kid
    assert not list(hub.home.keys.glob(f"hub_signing_{old_kid}.key"))  # destroyed
    entries = load_public_keys(public_keys_path(hub.home))
    assert [e.kid for e in entries] == [old_kid, new_kid]
    assert entries[0].not_after is not None and entries[1].not_after is None
    assert verify_chain(entries) == []
    after = build(hub, NOW + timedelta(hours=3))["harbor_housing"]
    assert after.hub_kid == new_kid
    # The extract signed before the rotation still opens with the new key set.
    assert _open(hub, before, tmp_path).hub_kid == old_kid
    assert _open(hub, after, tmp_path).hub_kid == new_kid
    # A partner still holding only the old key set cannot accept the new key's extract.
    with pytest.raises(OpenError) as info:
        _open(hub, after, tmp_path / "stale", hub_keys=old_keyset)
    assert info.value.code == "unknown_hub_key"


def test_retired_key_cannot_vouch_for_an_extract_dated_after_its_retirement(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    info = build(hub)["harbor_housing"]
    rotate_signing_key(hub.home, now=NOW - timedelta(hours=1))  # retired before it signed
    with pytest.raises(OpenError) as caught:
        _open(hub, info, tmp_path)
    assert caught.value.code == "key_not_valid"


def test_partner_extract_key_rotation(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    hub = make_hub(tmp_path, archive=False)
    old = build(hub)["northside_food"]
    new_private = X25519PrivateKey.generate()
    new_file = tmp_path / "northside_new.pem"
    new_file.write_bytes(
        new_private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    new_file.chmod(0o600)
    raw = new_private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    rotate_partner_extract_key(hub.home, "northside_food", base64.b64encode(raw).decode())
    new = build(hub, NOW + timedelta(hours=1))["northside_food"]
    old_key = hub.partners["northside_food"].key_file
    with pytest.raises(OpenError) as caught:
        _open(hub, new, tmp_path, keys=[old_key])
    assert caught.value.code == "wrong_recipient"
    # With both keys the partner opens the old and the new extract.
    assert _open(hub, new, tmp_path, keys=[new_file, old_key]).rows == 1
    assert _open(hub, old, tmp_path, keys=[new_file, old_key]).rows == 1


def test_dagster_materialization_builds_and_checks_extracts(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    from pipelines.defs.extracts.assets import audit_log_intact, extracts_sealed

    result = dg.materialize(
        [partner_extracts, extracts_sealed, audit_log_intact],
        resources={"hub": HubResource(home=str(hub.home.root))},
        run_config={"ops": {"partner_extracts": {"config": {"partners": ["harbor_housing"]}}}},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("partner_extracts")[0].metadata
    assert metadata["extracts"].value == 1
    by_partner = metadata["by_partner"].value
    assert list(by_partner) == ["harbor_housing"]
    assert by_partner["harbor_housing"]["records"] == "<11"
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == {"extracts_sealed", "audit_log_intact"}
    assert all(c.passed for c in checks)
    # Metadata and the event log hold no pseudonym.
    text = json.dumps({k: str(v) for k, v in metadata.items()})
    assert not any(p in text for p in hub.pseudonyms_of("harbor_housing"))


def test_dagster_refuses_unknown_partner_in_run_config(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    result = dg.materialize(
        [partner_extracts],
        resources={"hub": HubResource(home=str(hub.home.root))},
        run_config={"ops": {"partner_extracts": {"config": {"partners": ["nobody_here"]}}}},
        raise_on_error=False,
    )
    assert not result.success


def test_onboarding_a_partner_after_the_fact(tmp_path: Path) -> None:
    """A newly registered partner with no records gets an empty but valid extract."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    hub = make_hub(tmp_path, archive=False)
    raw = (
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    write_governance(
        hub.home,
        [
            PartnerRegistration(
                "eastside_social", "cbo_social", base64.b64encode(raw).decode(), "ab" * 32
            )
        ],
    )
    info = build(hub, partners=["eastside_social"])["eastside_social"]
    assert info.records == 0 and info.manifest_counts["records"] == 0
    assert datetime.fromisoformat(
        json.loads(info.current.read_text())["manifest"]["created_at"].replace("Z", "+00:00")
    ) == NOW.astimezone(UTC)


def test_agreement_naming_an_undefined_segment_stops_the_build(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    con = hub.connect()
    try:
        # The segments part no longer defines one segment that an agreement names.
        con.execute(
            "DELETE FROM segments.definitions WHERE segment = 'overdose_without_bh_services'"
        )
        with pytest.raises(ExtractConfigError, match="overdose_without_bh_services") as info:
            build_extracts(con, hub.home, load_governance(hub.home), now=NOW)
    finally:
        con.close()
    assert "county_public_health: overdose_without_bh_services" in str(info.value)
    assert not list(hub.home.outbox.glob("*/current"))


def test_pinned_hub_key_follows_the_rotation_chain_and_rejects_a_forged_key_set(
    tmp_path: Path,
) -> None:
    from kernel.home import HubHome
    from kernel.signing import canonical
    from warehouse.keys import ensure_signing_key

    hub = make_hub(tmp_path, archive=False)
    pinned = load_public_keys(public_keys_path(hub.home))[0].kid
    rotate_signing_key(hub.home, now=NOW - timedelta(hours=2))
    rotate_signing_key(hub.home, now=NOW - timedelta(hours=1))
    info = build(hub)["harbor_housing"]
    pk = hub.partners["harbor_housing"]

    def attempt(extract: Path, keyset: Path, out: str):
        return open_extract(
            extract, pk.key_file, pk.crosswalk, tmp_path / out, keyset,
            ledger=tmp_path / f"{out}.ledger", now=NOW + timedelta(hours=1), trusted_kid=pinned,
        )  # fmt: skip

    # Two rotations later, the extract's key chains back to the pinned first key.
    assert attempt(info.current, public_keys_path(hub.home), "ok.csv").rows == 1
    # A forger with its own key set re-signs a copy: it verifies against the forged set, but
    # does not chain to the pinned key.
    forger_home = HubHome(tmp_path / "forger").ensure()
    forger = ensure_signing_key(forger_home, now=NOW - timedelta(days=1))
    envelope = json.loads(info.current.read_text())
    envelope["manifest"]["hub_kid"] = forger.kid
    envelope["signature"] = {
        "alg": "Ed25519",
        "kid": forger.kid,
        "value": base64.b64encode(forger.sign(canonical(envelope["manifest"]))).decode(),
    }
    forged = tmp_path / "forged.extract.json"
    forged.write_text(json.dumps(envelope))
    with pytest.raises(OpenError) as caught:
        attempt(forged, public_keys_path(forger_home), "forged.csv")
    assert caught.value.code == "untrusted_key_set"
    assert not (tmp_path / "forged.csv").exists()
