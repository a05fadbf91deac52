"""Governance configuration: the template, onboarding, validation errors, partner key rotation."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from contract.vocabulary import SECTORS
from kernel.home import HubHome
from warehouse.governance import (
    CONTEXT_FLAGS,
    DEFAULT_AGREEMENTS,
    GovernanceError,
    PartnerRegistration,
    governance_path,
    key_id,
    load_governance,
    parse_governance,
    rotate_partner_extract_key,
    template_governance,
    write_governance,
)

FP = "0f" * 32


def public_key() -> str:
    raw = (
        X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def valid_config() -> dict:
    return {
        "version": 3,
        "partners": {
            "mercy_hospital": {
                "sector": "hospital",
                "extract_public_key": public_key(),
                "key_fingerprint": FP,
            },
            "harbor_housing": {
                "sector": "cbo_housing",
                "extract_public_key": public_key(),
                "key_fingerprint": FP,
                "previous_key_fingerprints": ["1e" * 32],
            },
        },
        "agreements": [
            {
                "partner": "harbor_housing",
                "purpose": "Care coordination outreach to own clients",
                "segments": ["camden_high_utilizers"],
                "context_flags": ["ed_visit_elsewhere_90d"],
                "frequency": "weekly",
            }
        ],
    }


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    return HubHome(tmp_path / "home").ensure()


def test_template_is_valid_and_has_no_partners() -> None:
    governance = template_governance()
    assert governance.partners == {}
    assert governance.consent.explicit_consent_categories == ("substance_use_treatment",)
    assert governance.retention.quarantine_days == 90
    assert governance.version_label.startswith("1+")


def test_default_agreements_cover_every_sector_with_known_flags() -> None:
    assert set(DEFAULT_AGREEMENTS) == set(SECTORS)
    for body in DEFAULT_AGREEMENTS.values():
        assert set(body["context_flags"]) <= set(CONTEXT_FLAGS)


def test_write_governance_onboards_partners_with_default_agreements(home: HubHome) -> None:
    key = public_key()
    governance = write_governance(
        home,
        [
            PartnerRegistration("mercy_hospital", "hospital", key, FP, "Mercy Hospital"),
            PartnerRegistration("northside_food", "cbo_food", public_key(), FP),
        ],
    )
    assert governance_path(home).is_file()
    loaded = load_governance(home)
    assert loaded == governance
    assert loaded.version == 2  # the template is version 1
    mercy = loaded.partner("mercy_hospital")
    assert mercy is not None and mercy.display_name == "Mercy Hospital"
    assert mercy.extract_key_id == key_id(key)
    assert mercy.accepts_fingerprint(FP) and not mercy.accepts_fingerprint("aa" * 32)
    deal = loaded.agreement_for("northside_food")
    assert deal is not None and deal.frequency == "monthly"
    assert loaded.sector_of("northside_food") == "cbo_food"
    assert loaded.partner("unknown") is None and loaded.agreement_for("unknown") is None
    # A second onboarding keeps the first partners and bumps the version again.
    again = write_governance(
        home, [PartnerRegistration("harbor_housing", "cbo_housing", public_key(), FP)]
    )
    assert set(again.partners) == {"mercy_hospital", "northside_food", "harbor_housing"}
    assert again.version == 3 and again.sha256 != loaded.sha256


def test_version_label_changes_with_the_file_bytes() -> None:
    text = yaml.safe_dump(valid_config())
    a = parse_governance(text)
    b = parse_governance(text + "\n# a comment changes the bytes\n")
    assert a.version == b.version == 3
    assert a.version_label != b.version_label


def test_previous_fingerprint_is_accepted_during_rotation() -> None:
    governance = parse_governance(yaml.safe_dump(valid_config()))
    harbor = governance.partners["harbor_housing"]
    assert harbor.accepts_fingerprint(FP) and harbor.accepts_fingerprint("1e" * 32)


def _set(config: dict, path: str, value: object) -> dict:
    node = config
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return config


_DELETE = object()

BAD_CASES = [
    ("partners.mercy_hospital.sector", "hopsital", "partners.mercy_hospital.sector", "use one of"),
    ("partners.mercy_hospital.extract_public_key", "not base64!", "extract_public_key", "base64"),
    (
        "partners.mercy_hospital.extract_public_key",
        base64.b64encode(b"x" * 16).decode(),
        "extract_public_key",
        "32",
    ),
    ("partners.mercy_hospital.key_fingerprint", "XYZ", "key_fingerprint", "lower hex"),
    ("partners.mercy_hospital.key_fingerprint", _DELETE, "key_fingerprint", "required key"),
    ("partners.mercy_hospital.colour", "blue", "partners.mercy_hospital.colour", "unknown key"),
    ("agreements.0.partner", "nobody_here", "nobody_here", "is not registered"),
    ("agreements.0.frequency", "hourly", "agreements.0.frequency", "daily"),
    ("agreements.0.segments", [], "agreements.0.segments", "at least 1"),
    ("agreements.0.segments", ["DROP TABLE x"], "agreements.0.segments", "lower-case"),
    ("agreements.0.context_flags", ["home_address"], "context_flags", "unknown context flag"),
    ("agreements.0.purpose", "x", "agreements.0.purpose", "at least 10"),
    ("agreements.0.extract_valid_days", 365, "extract_valid_days", "less than or equal"),
    ("agreements.0.valid_from", "2026-12-01", "valid_until", "before valid_from"),
    ("consent.explicit_consent_categories", ["food_pantry"], "explicit_consent", "substance_use"),
    ("consent.explicit_consent_categories", ["tarot"], "explicit_consent", "unknown service"),
    ("consent.non_consented", "share_anyway", "consent.non_consented", "aggregate_only"),
    ("retention.outbox_days", 0, "retention.outbox_days", "greater than or equal"),
    ("version", 0, "version", "greater than or equal"),
    ("ecosystem_persons", 1, "ecosystem_persons", "greater than or equal to 2"),
    ("ecosystem_persons", "many", "ecosystem_persons", "valid integer"),
    ("partners.Mercy Hospital", {"sector": "hospital"}, "partners.Mercy Hospital", "lower-case"),
]


@pytest.mark.parametrize(
    ("path", "value", "where", "fix"),
    BAD_CASES,
    ids=[c[0] + "=" + str(c[1])[:12] for c in BAD_CASES],
)
def test_bad_configuration_is_refused_naming_key_and_fix(
    path: str, value: object, where: str, fix: str
) -> None:
    config = valid_config()
    if path == "agreements.0.valid_from":
        config["agreements"][0]["valid_until"] = "2026-11-01"
    config = _set(config, path, value)
    with pytest.raises(GovernanceError) as info:
        parse_governance(yaml.safe_dump(config), source="config/governance.yaml")
    message = str(info.value)
    assert message.startswith("config/governance.yaml")
    assert where in message
    assert fix in message


def test_same_extract_key_for_two_partners_is_refused() -> None:
    config = valid_config()
    key = config["partners"]["mercy_hospital"]["extract_public_key"]
    config["partners"]["harbor_housing"]["extract_public_key"] = key
    with pytest.raises(GovernanceError, match="every partner needs its own key"):
        parse_governance(yaml.safe_dump(config))


def test_two_agreements_for_one_partner_are_refused() -> None:
    config = valid_config()
    config["agreements"].append(dict(config["agreements"][0]))
    with pytest.raises(GovernanceError, match="merge them into one"):
        parse_governance(yaml.safe_dump(config))


def test_yaml_syntax_error_names_line() -> None:
    with pytest.raises(GovernanceError, match=r"g.yaml: line \d+, column \d+: not valid YAML"):
        parse_governance("version: 1\npartners:\n  - [unclosed\n", source="g.yaml")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text"])
def test_non_mapping_is_refused(text: str) -> None:
    with pytest.raises(GovernanceError, match="expected a mapping"):
        parse_governance(text)


def test_missing_file_says_how_to_create_it(home: HubHome) -> None:
    with pytest.raises(GovernanceError, match="carehub hub init"):
        load_governance(home)


def test_agreement_validity_window() -> None:
    from datetime import date

    config = valid_config()
    config["agreements"][0]["valid_from"] = "2026-01-01"
    config["agreements"][0]["valid_until"] = "2026-06-30"
    deal = parse_governance(yaml.safe_dump(config)).agreements[0]
    assert deal.in_force(date(2026, 3, 1))
    assert not deal.in_force(date(2025, 12, 31)) and not deal.in_force(date(2026, 7, 1))


def test_partner_extract_key_rotation_keeps_history(home: HubHome) -> None:
    old = public_key()
    write_governance(home, [PartnerRegistration("harbor_housing", "cbo_housing", old, FP)])
    new = public_key()
    rotated = rotate_partner_extract_key(home, "harbor_housing", new)
    harbor = rotated.partners["harbor_housing"]
    assert harbor.extract_public_key == new
    assert [k.public_key for k in harbor.retired_extract_keys] == [old]
    assert load_governance(home) == rotated
    with pytest.raises(GovernanceError, match="current key"):
        rotate_partner_extract_key(home, "harbor_housing", new)
    with pytest.raises(GovernanceError, match="not registered"):
        rotate_partner_extract_key(home, "nobody_here", public_key())
    with pytest.raises(GovernanceError, match="base64"):
        rotate_partner_extract_key(home, "harbor_housing", "not-a-key")
    # A key retired by one partner cannot be registered for another.
    with pytest.raises(GovernanceError, match="its own key"):
        write_governance(home, [PartnerRegistration("mercy_hospital", "hospital", old, FP)])
