"""Typed settings of the synthetic region, with documented defaults (docs/synthetic-data.md).

Every rate lives here once; `region.json` records the full configuration a region was built with.
A YAML file passed with ``--config`` overrides any subset of it, e.g.::

    errors: {typo: 0.08, duplicate: 0.05}
    missing: {harbor_housing: {ssn: 0.9}}
    overlap: {complex: {share: 0.1}}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

PartnerId = Literal[
    "mercy_hospital", "riverside_health", "county_public_health", "harbor_housing", "northside_food"
]
PARTNER_IDS: Final[tuple[PartnerId, ...]] = get_args(PartnerId)
Tier = Literal["low", "moderate", "complex"]
TIERS: Final[tuple[Tier, ...]] = get_args(Tier)
Sector = Literal["hospital", "public_health", "cbo_housing", "cbo_food"]
SECTOR_OF: Final[dict[PartnerId, Sector]] = {
    "mercy_hospital": "hospital",
    "riverside_health": "hospital",
    "county_public_health": "public_health",
    "harbor_housing": "cbo_housing",
    "northside_food": "cbo_food",
}

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
_STRICT = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class ErrorRates:
    """Identifier error rates. Per partner record unless the docstring says per resident."""

    __pydantic_config__ = _STRICT

    typo: Rate = 0.04
    """Keyboard error in the first or last name."""
    nickname: Rate = 0.06
    """First name written as a nickname, among records whose first name has one."""
    surname_change: Rate = 0.04
    """Per adult resident: a married or hyphenated surname; records show either."""
    name_swap: Rate = 0.01
    """First and last name exchanged."""
    dob_swap: Rate = 0.01
    """Day and month exchanged, among records where that gives another valid date."""
    dob_error: Rate = 0.005
    """One part of the date of birth wrong (still a valid date)."""
    move: Rate = 0.10
    """Per resident: moved in the window; records show the old or the new address."""
    phone_change: Rate = 0.12
    """Per resident: a second phone number; records show either."""
    duplicate: Rate = 0.02
    """A second registration of the same resident at the same partner."""
    twins: Rate = 0.02
    """Per resident: is one of a pair of twins (same DOB, surname, address)."""
    common_name: Rate = 0.005
    """Per resident: forced to one of the very common full names."""
    placeholder: Rate = 0.003
    """One identifier replaced by a placeholder value (UNKNOWN, 1900-01-01, 999-99-9999...)."""
    # The kinds below default to 0, so a region of the default profile is unchanged by them
    # (they draw from the generator only when their rate is above 0); the hard profile sets them.
    given_replaced: Rate = 0.0
    """Another given name on file (same sex), every other field intact."""
    dob_typo: Rate = 0.0
    """One digit of the birth year, month or day mistyped, or two adjacent digits swapped."""
    missing_dob: Rate = 0.0
    """No date of birth at all (not even the year)."""
    ssn_typo: Rate = 0.0
    """One SSN digit mistyped, or two adjacent digits swapped (records with an SSN)."""
    ocr: Rate = 0.0
    """An optical confusion in the first or last name (rn/m, cl/d, l/I...)."""
    phonetic: Rate = 0.0
    """A sound-alike spelling of the first or last name (ph/f, ck/k, doubled letters...)."""
    no_house_number: Rate = 0.0
    """The street written without its house number."""
    po_box: Rate = 0.0
    """A PO box on file instead of the street address (same ZIP)."""
    unit_dropped: Rate = 0.0
    """Line 2 (the unit) left out: the street only."""
    missing_locality: Rate = 0.0
    """The city (locality) left empty, the rest of the address kept."""
    locality_variant: Rate = 0.0
    """The city spelled another way: a short form (North -> N., Port -> Pt.), its words run
    together, or a keyboard typo."""


@dataclass(frozen=True)
class MissingRates:
    """Share of one partner's records with a field not recorded."""

    __pydantic_config__ = _STRICT

    ssn: Rate = 0.0
    ssn_partial: Rate = 0.0
    """SSN recorded as its last four digits only (``XXX-XX-1234``)."""
    dob_year_only: Rate = 0.0
    """Only the birth year known."""
    phone: Rate = 0.0
    address: Rate = 0.0
    sex: Rate = 0.0
    middle_name: Rate = 0.0


def _default_missing() -> dict[PartnerId, MissingRates]:
    return {
        "mercy_hospital": MissingRates(ssn=0.08, phone=0.05, address=0.01, sex=0.005),
        "riverside_health": MissingRates(ssn=0.12, phone=0.06, address=0.02, sex=0.01),
        "county_public_health": MissingRates(
            ssn=0.55, phone=0.20, address=0.08, sex=0.02, middle_name=0.5
        ),
        "harbor_housing": MissingRates(
            ssn=0.70, ssn_partial=0.10, dob_year_only=0.12, phone=0.25, address=0.20, sex=0.03
        ),
        "northside_food": MissingRates(
            ssn=1.0, dob_year_only=0.15, phone=0.15, address=0.05, sex=0.10
        ),
    }


@dataclass(frozen=True)
class TierConfig:
    """One needs tier: its share of residents and its chance of appearing at each partner."""

    __pydantic_config__ = _STRICT

    share: Rate
    presence: dict[PartnerId, Rate]


def _default_tiers() -> dict[Tier, TierConfig]:
    def p(m: float, r: float, c: float, h: float, n: float) -> dict[PartnerId, float]:
        return dict(zip(PARTNER_IDS, (m, r, c, h, n), strict=True))

    return {
        "low": TierConfig(share=0.75, presence=p(0.20, 0.14, 0.06, 0.01, 0.02)),
        "moderate": TierConfig(share=0.18, presence=p(0.42, 0.33, 0.16, 0.06, 0.10)),
        "complex": TierConfig(share=0.07, presence=p(0.72, 0.62, 0.45, 0.38, 0.45)),
    }


@dataclass(frozen=True)
class ProgramEffect:
    """Utilisation after the first CBO service, for the program-evaluation mart."""

    __pydantic_config__ = _STRICT

    responder_share: Rate = 0.5
    """Share of CBO clients whose hospital use drops after their first service."""
    effect: Rate = 0.35
    """Relative drop of ED and inpatient rates for responders."""


@dataclass(frozen=True)
class SynthConfig:
    """Everything that shapes a synthetic region besides ``residents`` and ``seed``."""

    __pydantic_config__ = _STRICT

    as_of: dt.date = dt.date(2026, 6, 30)
    """Export date: events fall in the ``window_days`` before it, ages are computed at it."""
    window_days: Annotated[int, Field(ge=90, le=3650)] = 730
    chunk_size: Annotated[int, Field(ge=1000, le=1_000_000)] = 50_000
    """Residents generated per chunk: bounds memory. Part of the config: changing it changes
    the output (each chunk has its own seed)."""
    errors: ErrorRates = field(default_factory=ErrorRates)
    missing: dict[PartnerId, MissingRates] = field(default_factory=_default_missing)
    overlap: dict[Tier, TierConfig] = field(default_factory=_default_tiers)
    program: ProgramEffect = field(default_factory=ProgramEffect)
    opt_out: Rate = 0.03
    """Share of records whose consent column says "do not share"."""

    def __post_init__(self) -> None:
        shares = sum(t.share for t in self.overlap.values())
        if set(self.overlap) != set(TIERS) or abs(shares - 1.0) > 1e-6:
            raise ValueError(
                f"overlap: give the tiers {', '.join(TIERS)} with shares summing to 1 "
                f"(they sum to {shares:.3f})"
            )
        for tier in self.overlap.values():
            if set(tier.presence) != set(PARTNER_IDS):
                raise ValueError(f"overlap presence: give a rate for each of {PARTNER_IDS}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written to ``region.json``."""
        out: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        return out

    def with_error_rates(self, **rates: float) -> SynthConfig:
        """A copy with some error rates changed (CLI options)."""
        return replace(self, errors=replace(self.errors, **rates))


_ADAPTER: Final = TypeAdapter(SynthConfig)
ERROR_RATE_NAMES: Final = tuple(f.name for f in fields(ErrorRates))

Profile = Literal["default", "hard"]
PROFILES: Final[tuple[Profile, ...]] = get_args(Profile)
# The hard profile: every error kind of a real registry at once, at rates seen in hospital and
# CBO exports (issue 15), so linkage is tuned on more than one kind of data.
_HARD: Final[dict[str, Any]] = {
    "errors": {
        "typo": 0.06,
        "nickname": 0.10,
        "surname_change": 0.06,
        "name_swap": 0.02,
        "dob_swap": 0.02,
        "dob_error": 0.01,
        "duplicate": 0.06,
        "twins": 0.04,
        "given_replaced": 0.02,
        "dob_typo": 0.03,
        "missing_dob": 0.01,
        "ssn_typo": 0.03,
        "ocr": 0.02,
        "phonetic": 0.03,
        "no_house_number": 0.03,
        "po_box": 0.02,
        "unit_dropped": 0.3,
        "missing_locality": 0.1,
        "locality_variant": 0.05,
    },
    "missing": {
        "mercy_hospital": {"ssn": 0.2},
        "riverside_health": {"ssn": 0.25},
        "county_public_health": {"ssn": 0.7},
    },
}


def parse_rates(items: list[str]) -> dict[str, float]:
    """``NAME=VALUE`` texts (CLI ``--rate``) as error rates.

    Raises:
        ValueError: for an unknown name, or a value that is not a number in [0, 1].
    """
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in ERROR_RATE_NAMES:
            raise ValueError(
                f"{item!r}: give NAME=VALUE with NAME one of {', '.join(ERROR_RATE_NAMES)}"
            )
        number = float(value)
        if not 0.0 <= number <= 1.0:
            raise ValueError(f"{item!r}: a rate is between 0 and 1")
        out[name] = number
    return out


def profile_config(profile: Profile) -> SynthConfig:
    """The settings of a named error profile: ``default`` or ``hard`` (docs/synthetic-data.md)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return SynthConfig() if profile == "default" else config_from_dict(_HARD)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def config_from_dict(data: dict[str, Any], base: SynthConfig | None = None) -> SynthConfig:
    """``base`` (default: the defaults) overridden by a (possibly partial, nested) mapping;
    validated."""
    return _ADAPTER.validate_python(_merge((base or SynthConfig()).to_dict(), data))


def load_config(path: Path, base: SynthConfig | None = None) -> SynthConfig:
    """Read a YAML override file (over ``base``, default: the default profile).

    Raises:
        ValueError: naming the file and the offending key when the file is invalid.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(
            f"{path}: not valid YAML ({exc.__class__.__name__}); fix the syntax"
        ) from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of settings at the top level")
    try:
        return config_from_dict(data, base)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(f"{path}: {problems}") from exc
