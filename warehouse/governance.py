"""Governance configuration: partner registry, data-sharing agreements, consent, retention.

The stewards keep ``config/governance.yaml`` in the hub home under version control. It is loaded
and validated here, once, at the start of every run that needs it; a bad file is refused with a
:class:`GovernanceError` that names the file, the key path and the fix, so no run ever proceeds on
a half-understood configuration. The shipped starting point is ``governance_template.yaml`` next
to this module (``carehub hub init`` copies it).

Nothing here is secret: the registry holds partners' *public* extract keys and the *fingerprint*
of the shared linkage secret, never the secret itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from contract.envelope import recipient_key_id
from contract.ids import PARTNER_ID
from contract.vocabulary import ALERT_TYPES, CONTEXT_FLAGS, SECTORS, SERVICES
from governance.quorum import required
from kernel import clock
from kernel.home import HubHome
from kernel.signing import decode_public

_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEMPLATE: Final = Path(__file__).with_name("governance_template.yaml")
GOVERNANCE_FILE: Final = "governance.yaml"

PartnerId = Annotated[str, StringConstraints(pattern=PARTNER_ID.pattern)]
SegmentName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16,128}$")]
Frequency = Literal["daily", "weekly", "monthly"]


class GovernanceError(ValueError):
    """The governance configuration is missing or invalid; the message says where and how to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _decode_x25519(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "is not base64; paste the partner's extract public key as printed by "
            "`carehub partner keygen` (base64 of the 32 raw bytes)"
        ) from None
    if len(raw) != 32:
        raise ValueError(
            f"decodes to {len(raw)} bytes, an X25519 public key has 32; "
            "paste the base64 of the raw public key, not a PEM file or a private key"
        )
    X25519PublicKey.from_public_bytes(raw)
    return raw


def key_id(public_key_b64: str) -> str:
    """Short id of an X25519 extract public key: first 16 hex of sha256 of its raw bytes."""
    return recipient_key_id(_decode_x25519(public_key_b64))


def _within(day: date, start: date | None, end: date | None) -> bool:
    """Whether ``day`` falls in the window ``[start, end]`` (an open side is unbounded)."""
    return (start is None or start <= day) and (end is None or day <= end)


def _ordered(start: date | None, end: date | None, problem: str) -> None:
    if start and end and end < start:
        raise ValueError(f"{problem}; swap or correct the dates")


class RetiredExtractKey(_Strict):
    """A partner's former extract public key, kept so past extracts stay attributable."""

    public_key: str
    retired_on: date

    @field_validator("public_key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        _decode_x25519(value)
        return value


class PartnerSigningKey(_Strict):
    """An Ed25519 public key that a partner signs its package manifests with.

    A package verifies only against keys valid on the day it arrives. To rotate, register the
    new key and give the old one a ``not_after`` a few days ahead, so packages already in
    transit still verify; after that day the old key vouches for nothing.
    """

    public_key: str
    not_before: date | None = None
    not_after: date | None = None

    @field_validator("public_key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        decode_public(value)
        return value

    @model_validator(mode="after")
    def _check_window(self) -> PartnerSigningKey:
        _ordered(self.not_before, self.not_after, "not_after is before not_before")
        return self

    def valid_on(self, day: date) -> bool:
        """Whether ``day`` falls in the key's validity window."""
        return _within(day, self.not_before, self.not_after)


class Partner(_Strict):
    """One registered partner.

    Attributes:
        partner_id: Registry key, e.g. ``harbor_housing``.
        sector: One of :data:`contract.vocabulary.SECTORS`.
        display_name: How stewards and reports name the partner.
        extract_public_key: Base64 of the 32 raw bytes of the partner's X25519 public key;
            extracts are HPKE-encrypted to it.
        key_fingerprint: Expected fingerprint (lower hex) of the shared linkage secret that the
            partner's submissions must carry.
        previous_key_fingerprints: Fingerprints still accepted during a coordinated rotation of
            the shared secret; empty otherwise.
        retired_extract_keys: Former extract keys (rotation history).
        signing_keys: Ed25519 keys the partner signs package manifests with, each with its
            validity window (several during a rotation). A package must verify against one.
        active: An inactive partner receives no extracts and its submissions are refused.
    """

    partner_id: PartnerId
    sector: str
    display_name: str = ""
    extract_public_key: str
    key_fingerprint: Fingerprint
    previous_key_fingerprints: tuple[Fingerprint, ...] = ()
    retired_extract_keys: tuple[RetiredExtractKey, ...] = ()
    signing_keys: tuple[PartnerSigningKey, ...] = ()
    active: bool = True

    @field_validator("sector")
    @classmethod
    def _check_sector(cls, value: str) -> str:
        if value not in SECTORS:
            raise ValueError(f"unknown sector; use one of {', '.join(SECTORS)}")
        return value

    @field_validator("extract_public_key")
    @classmethod
    def _check_key(cls, value: str) -> str:
        _decode_x25519(value)
        return value

    @property
    def extract_key_id(self) -> str:
        """Id of the current extract public key (see :func:`key_id`)."""
        return key_id(self.extract_public_key)

    def extract_public_key_obj(self) -> X25519PublicKey:
        """The current extract public key as a ``cryptography`` object."""
        return X25519PublicKey.from_public_bytes(_decode_x25519(self.extract_public_key))

    def signing_keys_on(self, day: date) -> list[Ed25519PublicKey]:
        """The signing public keys valid on ``day``."""
        return [decode_public(k.public_key) for k in self.signing_keys if k.valid_on(day)]

    def all_signing_keys(self) -> list[Ed25519PublicKey]:
        """Every registered signing public key, whatever its window."""
        return [decode_public(k.public_key) for k in self.signing_keys]

    def accepts_fingerprint(self, fingerprint: str) -> bool:
        """Whether a submission's key fingerprint is the expected (or a still-accepted) one."""
        return fingerprint in (self.key_fingerprint, *self.previous_key_fingerprints)


class Agreement(_Strict):
    """A data-sharing agreement: what one partner may receive, why, and how often.

    Attributes:
        partner: The receiving partner.
        purpose: The stated purpose (recorded in every extract and audit entry).
        segments: Segments whose members (among the partner's own clients) it may receive.
        context_flags: Names from :data:`CONTEXT_FLAGS` it may receive for those clients.
        frequency: How often an extract is built.
        extract_valid_days: Days an extract may be opened after it is built.
        valid_from: First day the agreement is in force (inclusive); none means always.
        valid_until: Last day in force (inclusive); none means open-ended.
    """

    partner: PartnerId
    purpose: Annotated[str, StringConstraints(min_length=10, max_length=500)]
    segments: tuple[SegmentName, ...] = Field(min_length=1)
    context_flags: tuple[str, ...] = ()
    frequency: Frequency
    extract_valid_days: int = Field(default=14, ge=1, le=90)
    valid_from: date | None = None
    valid_until: date | None = None

    @field_validator("context_flags")
    @classmethod
    def _check_flags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [flag for flag in value if flag not in CONTEXT_FLAGS]
        if unknown:
            raise ValueError(
                f"unknown context flag(s) {', '.join(unknown)}; "
                f"use names from: {', '.join(CONTEXT_FLAGS)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("a context flag is listed twice; list each once")
        return value

    @field_validator("segments")
    @classmethod
    def _check_segments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a segment is listed twice; list each once")
        return value

    @model_validator(mode="after")
    def _check_dates(self) -> Agreement:
        _ordered(self.valid_from, self.valid_until, "valid_until is before valid_from")
        return self

    def in_force(self, day: date) -> bool:
        """Whether the agreement applies on ``day``."""
        return _within(day, self.valid_from, self.valid_until)


class Subscription(_Strict):
    """Which real-time care alerts a partner may receive about its OWN clients (docs/alerts.md).

    An alert tells the partner only the alert type, the sector that saw the event and its date,
    plus the facility when ``include_facility`` says so: the minimum necessary. Alerts draw on
    other partners' consented records only, and Part 2 events only from records with Part 2
    consent (``consent:`` rules, as for extracts).

    Attributes:
        partner: The receiving partner.
        purpose: The stated purpose (recorded in every alert and audit entry).
        alert_types: Names from :data:`contract.vocabulary.ALERT_TYPES`.
        from_sectors: Sectors whose events may alert this partner.
        include_facility: Also name the partner (facility) that saw the event.
        min_link_probability: An event alerts only when the records on both sides are joined
            at least this surely: the widest path of links between them inside the person
            (``warehouse/alerts/certainty.py``); others are counted as uncertain, never sent.
        max_event_age_days: Events older than this when they arrive alert no one (counted).
        alert_valid_days: Days an alert file can be opened after it is written.
        valid_from: First day in force (inclusive); none means always.
        valid_until: Last day in force (inclusive); none means open-ended.
    """

    partner: PartnerId
    purpose: Annotated[str, StringConstraints(min_length=10, max_length=500)]
    alert_types: tuple[str, ...] = Field(min_length=1)
    from_sectors: tuple[str, ...] = Field(min_length=1)
    include_facility: bool = False
    min_link_probability: float = Field(default=0.99, ge=0.5, le=1.0)
    max_event_age_days: int = Field(default=30, ge=1, le=365)
    alert_valid_days: int = Field(default=14, ge=1, le=90)
    valid_from: date | None = None
    valid_until: date | None = None

    @field_validator("alert_types")
    @classmethod
    def _check_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in value if t not in ALERT_TYPES]
        if unknown:
            raise ValueError(
                f"unknown alert type(s) {', '.join(unknown)}; use names from: "
                f"{', '.join(ALERT_TYPES)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("an alert type is listed twice; list each once")
        return value

    @field_validator("from_sectors")
    @classmethod
    def _check_sectors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in SECTORS]
        if unknown:
            raise ValueError(f"unknown sector(s) {', '.join(unknown)}; use {', '.join(SECTORS)}")
        if len(set(value)) != len(value):
            raise ValueError("a sector is listed twice; list each once")
        return value

    @model_validator(mode="after")
    def _check_dates(self) -> Subscription:
        _ordered(self.valid_from, self.valid_until, "valid_until is before valid_from")
        return self

    def in_force(self, day: date) -> bool:
        """Whether the subscription applies on ``day``."""
        return _within(day, self.valid_from, self.valid_until)


class ConsentRules(_Strict):
    """How partners' consent flags limit what leaves the hub.

    Attributes:
        non_consented: Records a partner flags ``consented=false`` count only in aggregates:
            never in an extract, and never as another partner's context.
        explicit_consent_categories: Service/referral categories (42 CFR Part 2 style) that feed
            another partner's context flags only from records with ``part2_consent``. Events
            flagged ``part2`` by the submitting partner are always treated so as well.
        withhold_unconsented_persons: Leave out of every extract a linked person who has any
            record that is not consented: segment membership is computed from all of a
            person's records, so it may rest on that record.
        withhold_part2_persons: Leave out of a partner's extract a linked person with an
            explicit-consent event at another partner whose record lacks ``part2_consent``:
            segment membership may rest on that event.
    """

    non_consented: Literal["aggregate_only"] = "aggregate_only"
    explicit_consent_categories: tuple[str, ...] = ("substance_use_treatment",)
    withhold_unconsented_persons: bool = True
    withhold_part2_persons: bool = True

    @field_validator("explicit_consent_categories")
    @classmethod
    def _check_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in SERVICES]
        if unknown:
            raise ValueError(
                f"unknown service categories {', '.join(unknown)}; use names from "
                "contract/vocabulary.py SERVICES"
            )
        if "substance_use_treatment" not in value:
            raise ValueError(
                "must include substance_use_treatment (42 CFR Part 2 always needs explicit "
                "consent); add it back"
            )
        return value


class Retention(_Strict):
    """How long the hub keeps files (days), enforced by the operations retention sweep."""

    landing_days: int = Field(default=30, ge=1)
    archive_days: int = Field(default=730, ge=1)
    quarantine_days: int = Field(default=90, ge=1)
    outbox_days: int = Field(default=30, ge=1)


QuorumRule = Literal["majority", "two_thirds", "one_third", "all"] | Annotated[int, Field(ge=1)]


class QuorumRules(_Strict):
    """How many partners must sign a governance proposal (see :mod:`governance.quorum`).

    Attributes:
        changes: Any change, including to these rules (the rules in force decide).
        emergency_revocation: Revoking partners at once (no other change); must not need
            more than ``changes``.
        proposal_valid_days: Days a proposal can gather approvals before it expires.
    """

    changes: QuorumRule = "majority"
    emergency_revocation: QuorumRule = "one_third"
    proposal_valid_days: int = Field(default=30, ge=1, le=365)

    @model_validator(mode="after")
    def _emergency_is_smaller(self) -> QuorumRules:
        for voters in range(1, 51):
            if required(self.emergency_revocation, voters) > required(self.changes, voters):
                raise ValueError(
                    f"emergency_revocation ({self.emergency_revocation}) needs more approvals "
                    f"than changes ({self.changes}) with {voters} voting partners; make it the "
                    "smaller quorum"
                )
        return self


class Governance(_Strict):
    """The validated governance configuration.

    Attributes:
        version: The stewards' version number of the file (bump on every change).
        partners: Partner registry, by partner id.
        agreements: Data-sharing agreements (at most one per partner).
        subscriptions: Real-time care-alert subscriptions (at most one per partner).
        consent: Consent rules.
        retention: Retention settings.
        quorum: Who must approve a change (:class:`QuorumRules`).
        ecosystem_persons: The ecosystem size the steward announced with the shared secret
            (encoding spec 2.2), when recorded: the hub then refuses a package whose token
            widths are not the ones it gives (else it holds every package to the widths of
            the submissions already staged). Not secret: the widths are in every manifest.
        sha256: sha256 of the file's bytes (set by :func:`load_governance`).
        path: Where it was loaded from (set by :func:`load_governance`).
    """

    version: int = Field(ge=1)
    partners: dict[PartnerId, Partner]
    agreements: tuple[Agreement, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    consent: ConsentRules = ConsentRules()
    retention: Retention = Retention()
    quorum: QuorumRules = QuorumRules()
    ecosystem_persons: int | None = Field(default=None, ge=2)
    sha256: str = ""
    path: str = ""

    @model_validator(mode="before")
    @classmethod
    def _fill_partner_ids(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("partners"), dict):
            partners = {}
            for pid, body in data["partners"].items():
                if isinstance(body, dict):
                    body = {"partner_id": pid, **body}
                partners[pid] = body
            data = {**data, "partners": partners}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> Governance:
        for pid, partner in self.partners.items():
            if partner.partner_id != pid:
                raise ValueError(
                    f"partners.{pid}: partner_id {partner.partner_id!r} differs from its key; "
                    "remove partner_id (the key is the id)"
                )
        seen_keys: dict[str, str] = {}
        for pid, partner in self.partners.items():
            for key in (
                partner.extract_public_key,
                *(k.public_key for k in partner.retired_extract_keys),
            ):
                other = seen_keys.setdefault(key, pid)
                if other != pid:
                    raise ValueError(
                        f"partners.{pid}.extract_public_key is also registered for {other}; "
                        "every partner needs its own key (an extract would be readable by both)"
                    )
        signers: dict[str, str] = {}
        for pid, partner in self.partners.items():
            for signing in partner.signing_keys:
                other = signers.setdefault(signing.public_key, pid)
                if other != pid:
                    raise ValueError(
                        f"partners.{pid}.signing_keys is also registered for {other}; every "
                        "partner signs with its own key (else one could send as the other)"
                    )
        seen: set[str] = set()
        for i, agreement in enumerate(self.agreements):
            if agreement.partner not in self.partners:
                raise ValueError(
                    f"agreements.{i}.partner: {agreement.partner} is not registered; add it "
                    "under partners: first"
                )
            if agreement.partner in seen:
                raise ValueError(
                    f"agreements.{i}.partner: a second agreement for {agreement.partner}; "
                    "merge them into one"
                )
            seen.add(agreement.partner)
        subscribed: set[str] = set()
        for i, sub in enumerate(self.subscriptions):
            if sub.partner not in self.partners:
                raise ValueError(
                    f"subscriptions.{i}.partner: {sub.partner} is not registered; add it under "
                    "partners: first"
                )
            if sub.partner in subscribed:
                raise ValueError(
                    f"subscriptions.{i}.partner: a second subscription for {sub.partner}; "
                    "merge them into one"
                )
            subscribed.add(sub.partner)
        return self

    @property
    def version_label(self) -> str:
        """``<version>+<first 12 hex of sha256>``: recorded in audit entries and manifests."""
        return f"{self.version}+{self.sha256[:12]}" if self.sha256 else str(self.version)

    def partner(self, partner_id: str) -> Partner | None:
        """The registered partner, or None."""
        return self.partners.get(partner_id)

    def agreement_for(self, partner_id: str) -> Agreement | None:
        """The partner's data-sharing agreement, or None."""
        return next((a for a in self.agreements if a.partner == partner_id), None)

    def subscription_for(self, partner_id: str) -> Subscription | None:
        """The partner's care-alert subscription, or None."""
        return next((s for s in self.subscriptions if s.partner == partner_id), None)

    def sector_of(self, partner_id: str) -> str | None:
        """The registered partner's sector, or None."""
        partner = self.partners.get(partner_id)
        return partner.sector if partner else None


@dataclass(frozen=True)
class PartnerRegistration:
    """What onboarding needs about a new partner (see :func:`write_governance`)."""

    partner_id: str
    sector: str
    extract_public_key: str
    key_fingerprint: str
    display_name: str = ""
    signing_public_key: str | None = None


# Default agreements by sector: the starter segments of config/segments.yaml and the context a
# care team of that sector needs for outreach. Stewards edit them per partner.
DEFAULT_AGREEMENTS: Final[dict[str, dict[str, Any]]] = {
    "hospital": {
        "purpose": "Care coordination: outreach by the hospital's complex-care team to its own "
        "patients with complex health and social needs",
        "segments": [
            "camden_high_utilizers",
            "frequent_ed_housing_instability",
            "food_insecurity_diabetes",
            "overdose_without_bh_services",
        ],
        "context_flags": [
            "seen_by_housing_cbo_90d",
            "seen_by_food_cbo_90d",
            "housing_instability_positive_elsewhere",
            "food_insecurity_positive_elsewhere",
            "case_management_elsewhere_90d",
        ],
        "frequency": "weekly",
    },
    "public_health": {
        "purpose": "Public-health follow-up: overdose prevention outreach to the department's "
        "own case persons",
        "segments": ["overdose_without_bh_services", "camden_high_utilizers"],
        "context_flags": [
            "seen_by_housing_cbo_90d",
            "behavioral_health_services_elsewhere_365d",
            "substance_use_treatment_elsewhere_365d",
        ],
        "frequency": "weekly",
    },
    "cbo_housing": {
        "purpose": "Care coordination: housing navigators reach their own clients who are "
        "high utilisers of hospital care",
        "segments": ["frequent_ed_housing_instability", "camden_high_utilizers"],
        "context_flags": [
            "ed_visit_elsewhere_90d",
            "inpatient_stay_elsewhere_90d",
            "seen_by_food_cbo_90d",
            "case_management_elsewhere_90d",
        ],
        "frequency": "weekly",
    },
    "cbo_food": {
        "purpose": "Care coordination: medically tailored meals outreach to the CBO's own "
        "members with diet-related chronic disease",
        "segments": ["food_insecurity_diabetes", "camden_high_utilizers"],
        "context_flags": ["seen_by_hospital_90d", "seen_by_housing_cbo_90d"],
        "frequency": "monthly",
    },
    "cbo_social": {
        "purpose": "Care coordination: social-services outreach to the CBO's own clients",
        "segments": ["camden_high_utilizers"],
        "context_flags": ["seen_by_housing_cbo_90d", "seen_by_food_cbo_90d"],
        "frequency": "monthly",
    },
}


def governance_path(home: HubHome) -> Path:
    """``<home>/config/governance.yaml``."""
    return home.config / GOVERNANCE_FILE


def parse_governance(text: str, *, source: str = GOVERNANCE_FILE) -> Governance:
    """Validate governance YAML text.

    Raises:
        GovernanceError: naming ``source``, each bad key path and its fix.
    """
    try:
        data = yaml.load(text, Loader=_LOADER)  # a SafeLoader (the C one if built)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise GovernanceError(
            f"{source}:{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax"
        ) from None
    if not isinstance(data, dict):
        raise GovernanceError(
            f"{source}: expected a mapping with version, partners, agreements, consent, "
            f"retention; start from {TEMPLATE.name}"
        )
    try:
        governance = Governance.model_validate(data)
    except ValidationError as exc:
        raise GovernanceError(_describe(source, exc)) from None
    digest = hashlib.sha256(text.encode()).hexdigest()
    return governance.model_copy(update={"sha256": digest, "path": source})


def load_governance(home: HubHome) -> Governance:
    """Load and validate ``config/governance.yaml`` of ``home``.

    Raises:
        GovernanceError: the file is missing or invalid (the message names file, key and fix).
    """
    path = governance_path(home)
    if not path.is_file():
        raise GovernanceError(
            f"{path}: no governance configuration; create it with `carehub hub init` "
            f"(or copy {TEMPLATE} and register partners)"
        )
    return parse_governance(path.read_text(encoding="utf-8"), source=str(path))


def _describe(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid governance configuration ({exc.error_count()} problem(s)):"]
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in error["loc"]) or "(top level)"
        msg = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            msg = "unknown key; check its spelling against governance_template.yaml"
        elif error["type"] == "missing":
            msg = "required key is missing; add it (see governance_template.yaml)"
        elif error["type"] == "string_pattern_mismatch":
            msg = f"{msg} (ids are lower-case letters, digits and _; fingerprints lower hex)"
        lines.append(f"  - {loc}: {msg}")
    return "\n".join(lines)


def dump_governance(governance: Governance) -> str:
    """Governance as YAML text (without the computed ``sha256``/``path``)."""
    data = governance.model_dump(mode="json", exclude={"sha256", "path"})
    for body in data["partners"].values():
        body.pop("partner_id", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def governance_text(governance: Governance) -> str:
    """The file text of ``governance`` (header comment and YAML)."""
    return _HEADER + dump_governance(governance)


def save_governance(home: HubHome, governance: Governance) -> Governance:
    """Validate and write ``governance`` atomically; return it as loaded back (with sha256)."""
    text = governance_text(governance)
    parse_governance(text, source=str(governance_path(home)))
    path = governance_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)
    return load_governance(home)


_HEADER = (
    "# carehub governance configuration (validated by warehouse/governance.py).\n"
    "# Bump `version` on every change; it takes effect once a quorum of partners approves it\n"
    "# (`carehub governance propose`, then `apply`). Every extract and audit entry records it.\n"
)


def default_agreement(
    partner_id: str, sector: str, segments: Sequence[str] | None = None
) -> Agreement:
    """The default agreement for a partner of ``sector`` (segments overridable)."""
    body = dict(DEFAULT_AGREEMENTS[sector])
    if segments is not None:
        body["segments"] = list(segments)
    return Agreement.model_validate({"partner": partner_id, **body})


def template_governance() -> Governance:
    """The shipped template (no partners registered)."""
    return parse_governance(TEMPLATE.read_text(encoding="utf-8"), source=str(TEMPLATE))


def write_governance(
    home: HubHome,
    partners: Iterable[PartnerRegistration],
    *,
    agreements: bool = True,
    segments: Sequence[str] | None = None,
) -> Governance:
    """Register ``partners`` (replacing same ids) with default agreements, and save.

    Starts from the existing ``config/governance.yaml`` or else the shipped template, and bumps
    its version.

    Args:
        home: The hub home.
        partners: Partners to onboard.
        agreements: Also give each a default agreement for its sector (existing agreements of
            other partners are kept).
        segments: Override the default agreements' segment lists (e.g. the segments that
            ``config/segments.yaml`` defines).

    Returns:
        The saved governance, as loaded back.
    """
    current = load_governance(home) if governance_path(home).is_file() else template_governance()
    try:
        registry = dict(current.partners)
        deals = {a.partner: a for a in current.agreements}
        for reg in partners:
            registry[reg.partner_id] = Partner(
                partner_id=reg.partner_id,
                sector=reg.sector,
                display_name=reg.display_name,
                extract_public_key=reg.extract_public_key,
                key_fingerprint=reg.key_fingerprint,
                signing_keys=(
                    (PartnerSigningKey(public_key=reg.signing_public_key, not_before=None),)
                    if reg.signing_public_key
                    else ()
                ),
            )
            if agreements:
                deals[reg.partner_id] = default_agreement(reg.partner_id, reg.sector, segments)
        updated = Governance.model_validate(
            {
                **current.model_dump(exclude={"sha256", "path", "partners", "agreements"}),
                "version": current.version + 1,
                "partners": {pid: p.model_dump() for pid, p in registry.items()},
                "agreements": [a.model_dump() for a in deals.values()],
            }
        )
    except ValidationError as exc:
        raise GovernanceError(_describe(str(governance_path(home)), exc)) from None
    return save_governance(home, updated)


def rotate_partner_extract_key(
    home: HubHome, partner_id: str, new_public_key: str, *, today: date | None = None
) -> Governance:
    """Replace a partner's extract key, keeping the old one as retired; bump the version.

    Extracts built before the rotation stay encrypted to the old key (the partner keeps its old
    private key to open them); every later extract uses the new key.

    Raises:
        GovernanceError: unknown partner, or the key is invalid or already in use.
    """
    current = load_governance(home)
    partner = current.partner(partner_id)
    if partner is None:
        raise GovernanceError(f"{current.path}: partners.{partner_id}: not registered")
    try:
        _decode_x25519(new_public_key)
    except ValueError as exc:
        raise GovernanceError(f"new extract key for {partner_id} {exc}") from None
    if new_public_key == partner.extract_public_key:
        raise GovernanceError(f"partners.{partner_id}: the new key is the current key")
    retired = RetiredExtractKey(
        public_key=partner.extract_public_key, retired_on=today or clock.today()
    )
    rotated = partner.model_copy(
        update={
            "extract_public_key": new_public_key,
            "retired_extract_keys": (*partner.retired_extract_keys, retired),
        }
    )
    updated = current.model_copy(
        update={
            "version": current.version + 1,
            "partners": {**current.partners, partner_id: rotated},
        }
    )
    try:
        return save_governance(home, Governance.model_validate(updated.model_dump()))
    except ValidationError as exc:
        raise GovernanceError(_describe(current.path, exc)) from None


def rotate_partner_signing_key(
    home: HubHome,
    partner_id: str,
    new_public_key: str,
    *,
    overlap_days: int = 7,
    today: date | None = None,
) -> Governance:
    """Add a partner's new package-signing key to the file; see :func:`with_signing_key`."""
    current = load_governance(home)
    rotated = with_signing_key(
        current, partner_id, new_public_key, overlap_days=overlap_days, today=today
    )
    return save_governance(home, rotated)


def with_signing_key(
    current: Governance,
    partner_id: str,
    new_public_key: str,
    *,
    overlap_days: int = 7,
    today: date | None = None,
) -> Governance:
    """``current`` with a partner's new signing key; its current keys expire after
    ``overlap_days``, and the version goes up.

    Packages signed with an old key and still in transit verify until the overlap ends.

    Raises:
        GovernanceError: unknown partner, or the key is invalid or already registered.
    """
    partner = current.partner(partner_id)
    if partner is None:
        raise GovernanceError(f"{current.path}: partners.{partner_id}: not registered")
    try:
        decode_public(new_public_key)
    except ValueError as exc:
        raise GovernanceError(f"new signing key for {partner_id} {exc}") from None
    if any(k.public_key == new_public_key for k in partner.signing_keys):
        raise GovernanceError(f"partners.{partner_id}.signing_keys: the key is already registered")
    day = today or clock.today()
    until = day + timedelta(days=overlap_days)
    kept = tuple(
        k
        if k.not_after is not None and k.not_after <= until
        else k.model_copy(update={"not_after": until})
        for k in partner.signing_keys
    )
    rotated = partner.model_copy(
        update={
            "signing_keys": (*kept, PartnerSigningKey(public_key=new_public_key, not_before=day))
        }
    )
    updated = current.model_copy(
        update={
            "version": current.version + 1,
            "partners": {**current.partners, partner_id: rotated},
        }
    )
    try:
        return Governance.model_validate(updated.model_dump())
    except ValidationError as exc:
        raise GovernanceError(_describe(current.path, exc)) from None


def is_valid_partner_id(value: str) -> bool:
    """Whether ``value`` is a well-formed partner id."""
    return PARTNER_ID.fullmatch(value) is not None
