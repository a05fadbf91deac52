"""The content rules of submission spec 1.0, declared once.

Each :class:`Rule` becomes one Great Expectations expectation (``quality.gx_suites``) and, when
that expectation fails, one DuckDB locator query that finds the failing row numbers
(``quality.locate``), so a quarantine reason can say where without repeating the value.
Regexes are written for both engines (Python ``re`` and DuckDB's RE2): plain classes and counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from contract.findings import CheckName
from contract.ids import HEX32, HEX64
from contract.manifest import EVENTS_FILE, PERSONS_FILE, FileName
from contract.spec import (
    BLOOM_FIELDS,
    PROGRAM_MAX_CHARS,
    TOKEN_COLUMNS,
    token_format,
    token_hex_chars,
)
from contract.vocabulary import EVENT_TYPES, SCREENING_RESULTS, SEXES

RuleKind = Literal[
    "match_regex",
    "not_match_regex",
    "in_set",
    "between",
    "not_null",
    "unique",
    "max_length",
    "pair_in_set",
    "a_not_before_b",
]
PERSONS: Final = PERSONS_FILE
EVENTS: Final = EVENTS_FILE
FORMULA_START: Final = "^[=+@\\t\\r-]"
# NUL and other control characters: no program name holds one; they hide text from viewers.
CONTROL_CHARACTER: Final = "[\\x00-\\x1f\\x7f]"
PROGRAM_MAX: Final = PROGRAM_MAX_CHARS
CODE_MAX: Final = 40
# Bound at validation time: the submission's own creation date (no event may be after it).
TODAY: Final = "$today"
MIN_DATE: Final = "1900-01-01"
MIN_BIRTH_YEAR: Final = 1890


@dataclass(frozen=True)
class Rule:
    """One expectation on one column of one file.

    Attributes:
        check: The asset check it reports to.
        file: ``persons.parquet`` or ``events.parquet``.
        column: The column (for pair rules, the first column).
        kind: What is expected.
        problem: The class of a failing value, for the reason text (never a value).
        fix: What the partner should change.
        regex: For ``match_regex`` (full match) and ``not_match_regex`` (search).
        values: For ``in_set``.
        min_value: For ``between`` (an int, an ISO date, or :data:`TODAY`).
        max_value: For ``between`` and ``max_length``.
        column_b: For pair rules, the second column.
        pairs: For ``pair_in_set``: allowed ``(column, column_b)`` pairs.
    """

    check: CheckName
    file: FileName
    column: str
    kind: RuleKind
    problem: str
    fix: str
    regex: str | None = None
    values: tuple[str, ...] = ()
    min_value: int | str | None = None
    max_value: int | str | None = None
    column_b: str | None = None
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def rule_id(self) -> str:
        """Stable id, stored in the expectation's ``meta`` to map results back."""
        return f"{self.file}:{self.column}:{self.kind}"


def _hex(file: FileName, column: str, pattern: str, length: int, what: str) -> Rule:
    return Rule(
        "encoding_format",
        file,
        column,
        "match_regex",
        problem=f"is not {length} lower-hex characters",
        fix=f"{column} must hold the {what} written by the partner client "
        "(`carehub partner encode`), never a raw value",
        regex=pattern,
    )


def _category_pairs() -> tuple[tuple[str, str], ...]:
    return tuple(
        (event_type, category)
        for event_type, categories in EVENT_TYPES.items()
        for category in categories or ()
    )


PERSON_RULES: Final[tuple[Rule, ...]] = (
    _hex(PERSONS, "record_pseudonym", HEX64, 64, "keyed pseudonym of the record id"),
    # Spec 2.2: a truncated token (the phone) is 8 hex characters, every other one 32.
    *(_hex(PERSONS, c, token_format(c), token_hex_chars(c), "keyed token") for c in TOKEN_COLUMNS),
    Rule(
        "duplicate_records",
        PERSONS,
        "record_pseudonym",
        "not_null",
        problem="is empty",
        fix="every row needs its record pseudonym",
    ),
    Rule(
        "duplicate_records",
        PERSONS,
        "record_pseudonym",
        "unique",
        problem="repeats a pseudonym of another row",
        fix="send one row per partner record (deduplicate the export)",
    ),
    Rule(
        "payload_domains",
        PERSONS,
        "sex",
        "in_set",
        problem="is not one of F, M, U",
        fix="map sex to F, M or U (U for unknown)",
        values=SEXES,
    ),
    Rule(
        "payload_domains",
        PERSONS,
        "sex",
        "not_null",
        problem="is empty",
        fix="use U for unknown sex",
    ),
    Rule(
        "payload_domains",
        PERSONS,
        "zip3",
        "match_regex",
        problem="is not 3 digits",
        fix="send the first 3 digits of the ZIP code (000 for low-population areas)",
        regex="[0-9]{3}",
    ),
    Rule(
        "payload_domains",
        PERSONS,
        "birth_year",
        "between",
        problem="is not a plausible birth year (1890 to the submission year)",
        fix="send the 4-digit birth year (top-coded for ages 90+), or null when unknown",
        min_value=MIN_BIRTH_YEAR,
        max_value=TODAY,
    ),
    *(
        Rule(
            "payload_domains",
            PERSONS,
            c,
            "not_null",
            problem="is empty",
            fix=f"{c} is a required true/false flag",
        )
        for c in ("age_90_plus", "consented", "part2_consent")
    ),
)

EVENT_RULES: Final[tuple[Rule, ...]] = (
    _hex(EVENTS, "record_pseudonym", HEX64, 64, "keyed pseudonym of the record id"),
    _hex(EVENTS, "event_id", HEX32, 32, "HMAC of the partner's own event id"),
    Rule(
        "duplicate_records",
        EVENTS,
        "event_id",
        "not_null",
        problem="is empty",
        fix="every event needs its event id",
    ),
    Rule(
        "duplicate_records",
        EVENTS,
        "event_id",
        "unique",
        problem="repeats the event id of another row",
        fix="send each event once (deduplicate the export)",
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "event_type",
        "in_set",
        problem="is not a known event type",
        fix="use the event types of docs/submission-format.md (contract/vocabulary.py)",
        values=tuple(EVENT_TYPES),
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "event_type",
        "not_null",
        problem="is empty",
        fix="every event needs its event type",
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "event_date",
        "not_null",
        problem="is empty",
        fix="every event needs its date",
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "event_date",
        "between",
        problem="is in the future or before 1900",
        fix="check the date column's format and century; no event may be after the "
        "submission was created",
        min_value=MIN_DATE,
        max_value=TODAY,
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "end_date",
        "between",
        problem="is in the future or before 1900",
        fix="leave end_date null until the stay has ended",
        min_value=MIN_DATE,
        max_value=TODAY,
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "end_date",
        "a_not_before_b",
        problem="is before the event's start date",
        fix="end_date must be on or after event_date",
        column_b="event_date",
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "event_type",
        "pair_in_set",
        problem="has a category not allowed for its event type",
        fix="use the categories of docs/submission-format.md for each event type",
        column_b="category",
        pairs=_category_pairs(),
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "result",
        "in_set",
        problem="is not positive or negative",
        fix="screenings carry result positive or negative; other events leave it null",
        values=SCREENING_RESULTS,
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "program",
        "max_length",
        problem=f"is longer than {PROGRAM_MAX} characters",
        fix=f"shorten program names to at most {PROGRAM_MAX} characters",
        max_value=PROGRAM_MAX,
    ),
    *(
        Rule(
            "payload_domains",
            EVENTS,
            c,
            "max_length",
            problem=f"is longer than {CODE_MAX} characters",
            fix="send the code only",
            max_value=CODE_MAX,
        )
        for c in ("category", "result")
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "program",
        "not_match_regex",
        problem="starts with a spreadsheet formula character (=, +, -, @, tab or CR), or holds "
        "a NUL or other control character",
        fix="send program names as plain text on one line, without a leading formula "
        "character (formula injection)",
        regex=f"{FORMULA_START}|{CONTROL_CHARACTER}",
    ),
    Rule(
        "payload_domains",
        EVENTS,
        "part2",
        "not_null",
        problem="is empty",
        fix="part2 is a required true/false flag (42 CFR Part 2)",
    ),
)

RULES: Final[dict[FileName, tuple[Rule, ...]]] = {PERSONS: PERSON_RULES, EVENTS: EVENT_RULES}

# Columns whose null rate is tracked for drift (one Bloom word stands for its filter).
DRIFT_COLUMNS: Final[dict[FileName, tuple[str, ...]]] = {
    PERSONS: (
        "birth_year",
        "zip3",
        *TOKEN_COLUMNS,
        *(f"bf_{field}_0" for field in BLOOM_FIELDS),
    ),
    EVENTS: ("end_date", "category", "result", "program"),
}


def rule_columns(file: FileName) -> list[str]:
    """Every column the rules and drift of ``file`` read, in a stable order."""
    seen: dict[str, None] = {}
    for rule in RULES[file]:
        seen[rule.column] = None
        if rule.column_b:
            seen[rule.column_b] = None
    for column in DRIFT_COLUMNS[file]:
        seen[column] = None
    return list(seen)
