"""Segment definitions: ``config/segments.yaml`` in the hub home, validated at load time."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kernel.home import HubHome
from warehouse.segments.rules import SegmentRuleError, validate_rule

SEGMENTS_FILE: Final = "segments.yaml"
STARTER: Final = Path(__file__).with_name("starter_segments.yaml")


class SegmentConfigError(ValueError):
    """``segments.yaml`` is missing pieces or holds a bad rule; the message names the fix."""


class Segment(BaseModel):
    """One complex-needs segment.

    Attributes:
        name: lower_snake_case identifier, used in marts, extracts and agreements.
        description: What the segment means, for analysts and partners.
        rule: SQL boolean expression over the feature columns (see ``warehouse.segments.rules``).
        owner: The workgroup that owns the definition.
        version: Bumped whenever the rule changes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    description: str = Field(min_length=1)
    rule: str
    owner: str = Field(min_length=1)
    version: str

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str) or str(value) == "":
            raise ValueError("give a version number such as 1 or '1.2'")
        return str(value)

    @property
    def rule_sql(self) -> str:
        """The canonical SQL of the rule (regenerated from its checked syntax tree)."""
        return validate_rule(self.name, self.rule).sql(dialect="duckdb")


class SegmentSet(BaseModel):
    """Every segment of ``segments.yaml`` with the file's version and digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = "1"
    segments: tuple[Segment, ...]
    sha256: str = ""
    source: str = SEGMENTS_FILE

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> str:
        return str(value)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)


def parse_segments(text: str, *, source: str = SEGMENTS_FILE) -> SegmentSet:
    """Validate segments YAML text: schema, unique names, and every rule.

    Raises:
        SegmentConfigError: naming ``source``, the segment and the problem.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise SegmentConfigError(f"{source}:{where}: not valid YAML; fix the syntax") from None
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise SegmentConfigError(
            f"{source}: expected 'version' and a list 'segments'; start from {STARTER.name}"
        )
    try:
        segments = SegmentSet.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = list(error["loc"])
            label = ".".join(str(p) for p in loc)
            if len(loc) >= 2 and loc[0] == "segments" and isinstance(loc[1], int):
                entry = data["segments"][loc[1]]
                name = entry.get("name") if isinstance(entry, dict) else None
                label = f"segment {name or '#' + str(loc[1] + 1)!r} " + ".".join(
                    str(p) for p in loc[2:]
                )
            problems.append(f"{label}: {error['msg']}")
        raise SegmentConfigError(f"{source}: " + "; ".join(problems)) from None
    seen: set[str] = set()
    for segment in segments.segments:
        if segment.name in seen:
            raise SegmentConfigError(f"{source}: segment {segment.name!r} is defined twice")
        seen.add(segment.name)
        try:
            validate_rule(segment.name, segment.rule)
        except SegmentRuleError as exc:
            raise SegmentConfigError(f"{source}: {exc}") from None
    digest = hashlib.sha256(text.encode()).hexdigest()
    return segments.model_copy(update={"sha256": digest, "source": source})


def segments_path(home: HubHome) -> Path:
    """``<home>/config/segments.yaml``."""
    return home.config / SEGMENTS_FILE


def ensure_segments_file(home: HubHome) -> Path:
    """Copy the starter set to ``config/segments.yaml`` when the home has none; return its path."""
    path = segments_path(home)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(STARTER, path)
    return path


def load_segments(home: HubHome | None = None) -> SegmentSet:
    """Load the hub's segments (the starter set is installed first when missing).

    Args:
        home: The hub home; ``None`` loads the shipped starter set.
    """
    path = STARTER if home is None else ensure_segments_file(home)
    return parse_segments(path.read_text(), source=str(path))
