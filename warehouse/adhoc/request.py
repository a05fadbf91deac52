"""An analyst's ad hoc table request: conditions on allow-listed feature columns, dimensions.

Only documented, rule-usable INTEGER or BOOLEAN features (:mod:`warehouse.features.columns`)
and six comparison operators are accepted; anything else is refused with the allowed values,
before any query runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from warehouse.features.columns import FEATURES

DIMENSIONS: Final = ("zip3", "age_band", "sex", "sector")
# Longest first, so ">=" is not read as ">".
OPERATORS: Final = (">=", "<=", "!=", ">", "<", "=")
# Deceased people are never counted (as in the marts' all_people); not a choice for analysts.
_EXCLUDED: Final = frozenset({"deceased"})
NUMERIC: Final = tuple(
    f.name for f in FEATURES if f.rule and f.type == "INTEGER" and f.name not in _EXCLUDED
)
FLAGS: Final = tuple(
    f.name for f in FEATURES if f.rule and f.type == "BOOLEAN" and f.name not in _EXCLUDED
)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_CONDITION = re.compile(r"\s*([a-z0-9_]+)\s*(>=|<=|!=|>|<|=)\s*(\S+)\s*")


class AdhocError(ValueError):
    """The request is not allowed (the message names what to change)."""


@dataclass(frozen=True)
class Condition:
    """``feature operator value`` (a flag's value is 1 for true, 0 for false)."""

    feature: str
    operator: str
    value: int

    @property
    def text(self) -> str:
        if self.feature in FLAGS:
            return f"{self.feature}{self.operator}{'true' if self.value else 'false'}"
        return f"{self.feature}{self.operator}{self.value}"


def parse_condition(text: str) -> Condition:
    """``"ed_visits_12m>=3"`` or ``"hrsn_housing_instability=true"`` as a :class:`Condition`."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise AdhocError(
            f"condition {text!r}: write FEATURE OPERATOR VALUE, e.g. ed_visits_12m>=3 "
            f"(operators: {' '.join(OPERATORS)})"
        )
    feature, operator, raw = match.groups()
    if feature in FLAGS:
        if operator not in ("=", "!="):
            raise AdhocError(f"condition {text!r}: {feature} is true/false; use = or !=")
        if raw.lower() not in ("true", "false"):
            raise AdhocError(f"condition {text!r}: {feature} takes true or false, not {raw!r}")
        return Condition(feature, operator, int(raw.lower() == "true"))
    if feature not in NUMERIC:
        raise AdhocError(
            f"condition {text!r}: {feature!r} is not a feature analysts may filter on; "
            f"allowed: {', '.join(NUMERIC + FLAGS)}"
        )
    if not re.fullmatch(r"-?[0-9]{1,6}", raw):
        raise AdhocError(f"condition {text!r}: {feature} takes a whole number, not {raw!r}")
    return Condition(feature, operator, int(raw))


@dataclass(frozen=True)
class AdhocRequest:
    """What an analyst asks for.

    Attributes:
        name: Folder name under ``marts/adhoc/`` (lowercase letters, digits, ``-``, ``_``).
        conditions: Every one must hold (AND).
        by: Dimensions among :data:`DIMENSIONS`; every margin over them is published too.
        segment: Count only members of this segment (None: everyone not deceased).
    """

    name: str
    conditions: tuple[Condition, ...] = ()
    by: tuple[str, ...] = ("zip3",)
    segment: str | None = None

    @classmethod
    def parse(
        cls, name: str, where: list[str], by: list[str], segment: str | None = None
    ) -> AdhocRequest:
        """From CLI text; raises :class:`AdhocError` naming what to change."""
        if not _NAME.fullmatch(name):
            raise AdhocError(
                f"name {name!r}: use lowercase letters, digits, '-' and '_' (e.g. frequent-ed)"
            )
        dims = tuple(d.strip() for part in by for d in part.split(",") if d.strip())
        for dim in dims:
            if dim not in DIMENSIONS:
                raise AdhocError(f"--by {dim!r}: choose among {', '.join(DIMENSIONS)}")
        if len(set(dims)) != len(dims):
            raise AdhocError(f"--by {','.join(dims)}: a dimension is named twice")
        conditions = tuple(parse_condition(c) for w in where for c in _split_and(w))
        return cls(name, conditions, dims, segment)

    @property
    def population(self) -> str:
        """The counted population, canonical (same people, same text, whatever the order):
        cells of two requests for the same population share keys in the release ledger."""
        parts = sorted({c.text for c in self.conditions})
        if self.segment:
            parts.insert(0, f"segment={self.segment}")
        return " AND ".join(parts) or "everyone"


def _split_and(text: str) -> list[str]:
    return [part for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if part]
