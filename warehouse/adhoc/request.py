"""An analyst's ad hoc table request: conditions on allow-listed feature columns, dimensions.

Only documented, rule-usable INTEGER or BOOLEAN features (:mod:`warehouse.features.columns`),
the reference ``month`` (``month >= '2026-01'``: people who met every condition at the end of at
least one of those months) and six comparison operators are accepted; anything else is refused
with the allowed values, before any query runs. Dimensions are the person's ZIP3, age band, sex
and sector combination, and ``segment`` (one row group per segment, beside everyone asked for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from warehouse.features.columns import FEATURES

# The labels a count is broken down by (a person has one of each), in cell-key order.
DIMENSIONS: Final = ("zip3", "age_band", "sex", "sector")
# What --rows / --cols may name: the labels, and ``segment`` (a person may be in several).
TABLE_DIMENSIONS: Final = (*DIMENSIONS, "segment")
MONTH: Final = "month"
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
_CONDITION = re.compile(r"\s*([a-z0-9_]+)\s*(>=|<=|!=|>|<|=)\s*'?([^'\s]+)'?\s*")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


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
        if self.feature == MONTH:
            return f"{MONTH}{self.operator}{month_text(self.value)}"
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
    if feature == MONTH:
        month = _MONTH.fullmatch(raw)
        if month is None or not 1 <= int(month[2]) <= 12:
            raise AdhocError(f"condition {text!r}: month takes YYYY-MM, e.g. month >= '2026-01'")
        if operator == "!=":
            raise AdhocError(f"condition {text!r}: give the months as a range (>=, <=, >, <, =)")
        return Condition(MONTH, operator, int(month[1]) * 12 + int(month[2]) - 1)
    if feature in FLAGS:
        if operator not in ("=", "!="):
            raise AdhocError(f"condition {text!r}: {feature} is true/false; use = or !=")
        if raw.lower() not in ("true", "false"):
            raise AdhocError(f"condition {text!r}: {feature} takes true or false, not {raw!r}")
        return Condition(feature, operator, int(raw.lower() == "true"))
    if feature not in NUMERIC:
        raise AdhocError(
            f"condition {text!r}: {feature!r} is not a feature analysts may filter on; "
            f"allowed: {', '.join((MONTH, *NUMERIC, *FLAGS))}"
        )
    if not re.fullmatch(r"-?[0-9]{1,6}", raw):
        raise AdhocError(f"condition {text!r}: {feature} takes a whole number, not {raw!r}")
    return Condition(feature, operator, int(raw))


def month_text(index: int) -> str:
    """``YYYY-MM`` of a month index (``year * 12 + month - 1``)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def allowed(conditions: tuple[Condition, ...]) -> dict[str, tuple[float, float]] | None:
    """The values each feature may take under ``conditions`` (all holding), as closed
    intervals; ``!=`` narrows nothing here. None: no value satisfies them all."""
    ranges: dict[str, tuple[float, float]] = {}
    for c in conditions:
        low, high = ranges.get(c.feature, (float("-inf"), float("inf")))
        if c.operator in (">=", "="):
            low = max(low, c.value)
        if c.operator == ">":
            low = max(low, c.value + 1)
        if c.operator in ("<=", "="):
            high = min(high, c.value)
        if c.operator == "<":
            high = min(high, c.value - 1)
        if low > high:
            return None
        ranges[c.feature] = (low, high)
    return ranges


def implies(narrow: tuple[Condition, ...], broad: tuple[Condition, ...]) -> bool:
    """Whoever meets ``narrow`` meets ``broad`` (judged feature by feature; False when unsure,
    which only leaves a true relation out of the audit)."""
    if any(c.operator == "!=" and c not in narrow for c in broad):
        return False
    have, need = allowed(narrow), allowed(broad)
    if have is None:
        return True
    if need is None:
        return False
    inf = float("inf")
    return all(
        have.get(f, (-inf, inf))[0] >= low and have.get(f, (-inf, inf))[1] <= high
        for f, (low, high) in need.items()
    )


def rule_conditions(rule: str) -> tuple[Condition, ...] | None:
    """A segment rule that is a plain AND of comparisons and flags (``ed_visits_12m >= 4 AND
    hrsn_housing_instability``) as conditions; None for any other rule."""
    if re.search(r"\b(or|in|between|is|null)\b|[()+*/-]", rule, flags=re.IGNORECASE):
        return None
    conditions = []
    for part in _split_and(rule):
        words = part.split()
        try:
            if len(words) == 1 and words[0] in FLAGS:
                conditions.append(Condition(words[0], "=", 1))
            elif len(words) == 2 and words[0].lower() == "not" and words[1] in FLAGS:
                conditions.append(Condition(words[1], "=", 0))
            else:
                conditions.append(parse_condition(part.replace("<>", "!=")))
        except AdhocError:
            return None
    return tuple(conditions)


@dataclass(frozen=True)
class AdhocRequest:
    """What an analyst asks for.

    Attributes:
        name: Folder name under ``marts/adhoc/`` (lowercase letters, digits, ``-``, ``_``).
        conditions: Every one must hold (AND), ``month`` conditions included.
        by: Dimensions among :data:`TABLE_DIMENSIONS`, rows first, then columns; every
            margin over them is published too.
        segment: Count only members of this segment (None: everyone not deceased).
        cols: The dimensions of ``by`` shown across (the console's cross-table).
    """

    name: str
    conditions: tuple[Condition, ...] = ()
    by: tuple[str, ...] = ("zip3",)
    segment: str | None = None
    cols: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        name: str,
        where: list[str],
        by: list[str],
        segment: str | None = None,
        *,
        cols: list[str] | None = None,
    ) -> AdhocRequest:
        """From CLI text (``by``: the rows; ``cols``: the columns); raises
        :class:`AdhocError` naming what to change."""
        if not _NAME.fullmatch(name):
            raise AdhocError(
                f"name {name!r}: use lowercase letters, digits, '-' and '_' (e.g. frequent-ed)"
            )
        rows, across = _dimensions("--rows", by), _dimensions("--cols", cols or [])
        dims = rows + across
        if len(set(dims)) != len(dims):
            raise AdhocError(f"--rows/--cols {','.join(dims)}: a dimension is named twice")
        if "segment" in dims and segment is not None:
            raise AdhocError(
                f"--segment {segment} and a segment dimension: choose one (the dimension "
                "already has a row group per segment)"
            )
        conditions = tuple(parse_condition(c) for w in where for c in _split_and(w))
        return cls(name, conditions, dims, segment, across)

    @property
    def labels(self) -> tuple[str, ...]:
        """The dimensions of :data:`DIMENSIONS` asked for (not ``segment``)."""
        return tuple(d for d in self.by if d in DIMENSIONS)

    @property
    def population(self) -> str:
        """The counted population, canonical (same people, same text, whatever the order):
        cells of two requests for the same population share keys in the release ledger."""
        return population_text(self.conditions, self.segment)


def population_text(conditions: tuple[Condition, ...], segment: str | None) -> str:
    """``segment=S AND cond AND ...`` (conditions sorted), or ``everyone``."""
    parts = sorted({c.text for c in conditions})
    if segment:
        parts.insert(0, f"segment={segment}")
    return " AND ".join(parts) or "everyone"


def parse_population(text: str) -> tuple[tuple[Condition, ...], str | None]:
    """The conditions and segment of a :func:`population_text` (as stored in cell keys)."""
    if text == "everyone":
        return (), None
    parts = text.split(" AND ")
    segment = None
    if parts[0].startswith("segment="):
        segment = parts.pop(0).removeprefix("segment=")
    return tuple(parse_condition(p) for p in parts), segment


def _dimensions(option: str, given: list[str]) -> tuple[str, ...]:
    dims = tuple(d.strip() for part in given for d in part.split(",") if d.strip())
    for dim in dims:
        if dim not in TABLE_DIMENSIONS:
            raise AdhocError(f"{option} {dim!r}: choose among {', '.join(TABLE_DIMENSIONS)}")
    return dims


def _split_and(text: str) -> list[str]:
    return [part for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if part]
