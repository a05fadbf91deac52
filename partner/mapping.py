"""The partner's YAML mapping: which raw columns hold identifiers, consent and events.

A mapping is validated with pydantic; every error names the mapping file, the key and the fix.
See ``partner/mappings/*.yaml`` for one example per synthetic partner and
``docs/submission-format.md`` for the full reference.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contract.ids import partner_id_problem
from contract.vocabulary import EVENT_TYPES, SCREENING_RESULTS, SEXES

_ALL_CATEGORIES = frozenset(c for cats in EVENT_TYPES.values() if cats for c in cats)


class MappingError(ValueError):
    """A mapping file is unreadable or invalid; the message names the file, key and fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """One output field taken from raw columns.

    YAML shorthand: a string is one column, a list is several columns joined with a space.
    """

    column: list[str] | None = None
    format: str | None = None  # strftime format of a date column
    values: dict[str, Any] | None = None  # raw code -> canonical value (null drops the code)
    constant: Any = None  # a fixed value instead of a column
    only_for: list[str] | None = None  # event types this field applies to (others get null)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": [data]}
        if isinstance(data, list):
            return {"column": data}
        if isinstance(data, dict) and isinstance(data.get("column"), str):
            return {**data, "column": [data["column"]]}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        if self.column is None and self.constant is None:
            raise ValueError("give either `column` or `constant`")
        if self.column is not None and self.constant is not None:
            raise ValueError("give `column` or `constant`, not both")
        return self

    @property
    def columns(self) -> list[str]:
        return list(self.column or [])


class PersonsMapping(_Strict):
    """Where the identifiers and consent flags of each partner record are."""

    file: str
    record_id: Source
    first_name: Source
    last_name: Source
    middle_name: Source | None = None
    dob: Source
    birth_year: Source | None = None  # year-only fallback when the full date is unknown
    sex: Source | None = None
    address: Source | None = None  # street line and unit (several columns are joined)
    locality: Source | None = None  # city or town (optional; spec 2.1 folds it into bf_addr)
    zip: Source | None = None
    phone: Source | None = None
    ssn: Source | None = None
    consented: Source = Field(default_factory=lambda: Source(constant=True))
    part2_consent: Source = Field(default_factory=lambda: Source(constant=False))

    @field_validator("dob")
    @classmethod
    def _dob_format(cls, v: Source) -> Source:
        if v.column and not v.format:
            raise ValueError("dob needs a `format` (strftime, e.g. '%m/%d/%Y')")
        return v

    @field_validator("sex")
    @classmethod
    def _sex_values(cls, v: Source | None) -> Source | None:
        for raw, code in ((v.values or {}) if v else {}).items():
            if code not in SEXES:
                raise ValueError(f"sex value for {raw!r} must be one of {', '.join(SEXES)}")
        return v


class EventsMapping(_Strict):
    """One raw event file mapped onto the canonical event vocabulary."""

    file: str
    record_id: Source
    event_id: Source  # one or more columns that are unique together within the file
    event_type: Source
    event_date: Source
    end_date: Source | None = None
    category: Source | None = None
    result: Source | None = None
    program: Source | None = None
    part2: bool = False  # every event of this file is 42 CFR Part 2 protected

    @field_validator("event_type")
    @classmethod
    def _types(cls, v: Source) -> Source:
        produced = [v.constant] if v.constant is not None else list((v.values or {}).values())
        for t in produced:
            if t is not None and t not in EVENT_TYPES:
                raise ValueError(
                    f"event_type {t!r} is not in the vocabulary; use one of "
                    f"{', '.join(EVENT_TYPES)}"
                )
        if v.column and v.values is None:
            raise ValueError("event_type from a column needs `values` mapping codes to types")
        return v

    @field_validator("category")
    @classmethod
    def _categories(cls, v: Source | None) -> Source | None:
        if v is None:
            return v
        produced = [v.constant] if v.constant is not None else list((v.values or {}).values())
        for c in produced:
            if c is not None and c not in _ALL_CATEGORIES:
                raise ValueError(
                    f"category {c!r} is not in the vocabulary (contract/vocabulary.py)"
                )
        return v

    @field_validator("result")
    @classmethod
    def _results(cls, v: Source | None) -> Source | None:
        for r in ((v.values or {}) if v else {}).values():
            if r is not None and r not in SCREENING_RESULTS:
                raise ValueError(f"result must map to {', '.join(SCREENING_RESULTS)}")
        return v

    @field_validator("event_date")
    @classmethod
    def _date_format(cls, v: Source) -> Source:
        if v.column and not v.format:
            raise ValueError("event_date needs a `format` (strftime)")
        return v


class CsvDialect(_Strict):
    """How the partner's CSV files are written, when not UTF-8 with commas.

    Spreadsheet and EHR exports are often Windows-1252 (``encoding: cp1252``) or, in locales
    with a decimal comma, separated by semicolons (``delimiter: ";"``).
    """

    encoding: str = "utf-8"
    delimiter: str = ","

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            return codecs.lookup(v).name
        except LookupError:
            raise ValueError(
                f"unknown text encoding {v!r}; use a Python codec name such as utf-8, cp1252 "
                "or latin-1"
            ) from None

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, v: str) -> str:
        if v in ("\\t", "tab"):
            return "\t"
        if len(v) != 1 or v in ('"', "\n", "\r"):
            raise ValueError('the delimiter is one character such as ",", ";", "|" or "\\t"')
        return v


class Mapping(_Strict):
    """A partner's whole mapping file."""

    partner_id: str
    sector: str | None = None
    description: str | None = None
    csv: CsvDialect = Field(default_factory=CsvDialect)
    persons: PersonsMapping
    events: list[EventsMapping] = Field(default_factory=list)

    @field_validator("partner_id")
    @classmethod
    def _partner_id(cls, v: str) -> str:
        # The hub's pattern: an id it would refuse is refused here, before anything is encoded.
        problem = partner_id_problem(v)
        if problem:
            raise ValueError(f"{problem}; the steward registers the id the mapping must use")
        return v


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("function-after", "function-before"))


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping YAML file.

    Raises:
        MappingError: naming the file, the key and what to change.
    """
    p = Path(path)
    if not p.is_file():
        raise MappingError(
            f"mapping file {p} does not exist; pass --mapping partner/mappings/<id>.yaml"
        )
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {p} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(f"mapping file {p}: expected a mapping with partner_id and persons")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise MappingError(f"mapping file {p}: {problems}") from None
