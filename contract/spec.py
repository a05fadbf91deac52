"""The columns of a submission (spec 2.2): one Arrow schema per file, written once.

``persons.parquet`` and ``events.parquet`` have exactly the columns of :data:`PERSON_SCHEMA`
and :data:`EVENT_SCHEMA`, in those Arrow types. Everything else is derived from them: the
column name tuples, the DuckDB types the manifest records and the hub checks
(:func:`duckdb_type`), and the hub's staging tables (``warehouse/staging/schema.sql``, held to
:func:`duckdb_columns` column for column by ``tests/test_contract.py``). A new column goes
here first (docs/architecture.md says what follows). The encoding design and its measured
trade-offs are in docs/encoding.md.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

SPEC_VERSION: Final = "2.2"
SUPPORTED_SPEC_VERSIONS: Final = frozenset({SPEC_VERSION})
# Spec versions the hub recognises but no longer links, with why (docs/encoding.md): their
# packages are refused at ingest with the fix (re-encode with the current spec).
RETIRED_SPECS: Final = {
    "1.0": "spec 1.0's ZIP5 and birth-month tokens gave them away",
    "2.0": "spec 2.0's DOB and address tokens gave twins' and households' DOBs and addresses "
    "away within the clear strata, its street line kept the unit, so line 1 + line 2 never "
    "agreed with the street alone, and it had no locality",
    "2.1": "spec 2.1's full-width phone token gave a household's shared phone away within the "
    "clear ZIP3 and sex, and its encodings (other subkeys) never compare with spec 2.2's",
}
RETIRED_SPEC_VERSIONS: Final = frozenset(RETIRED_SPECS)

# Keyed tokens (AES-CMAC): 32 lower-hex characters (128 bits) each, null when an input is missing;
# the truncated ones (TRUNCATED_TOKENS, below) 8.
TOKEN_COLUMNS: Final = (
    "tok_name_dob",  # canonical first + last + dob: exact agreement on the lot
    "tok_first_dob",  # nickname-canonical first name + swap-invariant dob
    "tok_last_dob",  # last name + swap-invariant dob
    "tok_fullname",  # sorted(first, last): robust to dob errors and first/last swaps
    "tok_first_addr",  # first name + street line + ZIP5: a household's members differ
    "tok_dob_zip5_sex",  # dob + ZIP5 + sex: blocks a changed name at the same place
    "tok_phone",  # 10-digit phone; truncated to the ecosystem's width (spec 2.2, below)
    "tok_ssn",  # 9-digit SSN
)
# Frequency-hiding tokens (spec 2.2): each keeps only the first b bits of its MAC, written as
# 8 lower-hex characters, with b = floor(log2(E)) for E the ecosystem's expected number of
# persons, which the steward announces with the shared secret. A token is then a keyed bucket
# that about one person's value fills over the whole ecosystem, so within a clear stratum its
# count is a sum over values the hub cannot tell apart (docs/encoding.md, "Spec 2.2"). Every
# partner must use the same E: the manifest records the widths, and the hub refuses a package
# whose widths differ from those of the submissions it links with.
TRUNCATED_TOKENS: Final = ("tok_phone",)
TRUNCATED_TOKEN_HEX: Final = 8  # a truncated token's characters (b <= 32 bits)
MIN_ECOSYSTEM_PERSONS: Final = 2
# The size a library call uses when none is announced (tests, demos, benchmarks); the partner
# client never does: `carehub partner encode` needs the steward's ecosystem file.
DEFAULT_ECOSYSTEM_PERSONS: Final = 1_000_000
MAX_TOKEN_BITS: Final = 32


def token_widths(ecosystem_persons: int) -> dict[str, int]:
    """The bits each truncated token keeps for an ecosystem of ``ecosystem_persons`` persons:
    ``floor(log2(E))``, at most 32 (``{"tok_phone": 13}`` for E = 9,446)."""
    if ecosystem_persons < MIN_ECOSYSTEM_PERSONS:
        raise ValueError(
            f"the ecosystem size is {ecosystem_persons}; it is the number of persons the "
            f"steward expects over all partners, at least {MIN_ECOSYSTEM_PERSONS}"
        )
    bits = min(ecosystem_persons.bit_length() - 1, MAX_TOKEN_BITS)
    return dict.fromkeys(TRUNCATED_TOKENS, bits)


def token_bits_problem(value: object) -> str | None:
    """What is wrong with a manifest's ``token_bits`` (None: it has the spec's shape, one width
    of 1-32 bits for each of :data:`TRUNCATED_TOKENS` and nothing else). Names no value."""
    if not isinstance(value, dict):
        return "token_bits is missing or not an object"
    if sorted(value) != sorted(TRUNCATED_TOKENS):
        return f"token_bits must list exactly {', '.join(TRUNCATED_TOKENS)}"
    if not all(
        isinstance(b, int) and not isinstance(b, bool) and 1 <= b <= MAX_TOKEN_BITS
        for b in value.values()
    ):
        return f"token_bits widths must be whole numbers of bits from 1 to {MAX_TOKEN_BITS}"
    return None


def shown_widths(token_bits: dict[str, int]) -> str:
    """``tok_phone 13 bits``: widths as a steward reads them in a finding."""
    return ", ".join(f"{c} {b} bits" for c, b in sorted(token_bits.items())) or "none"


def token_hex_chars(column: str) -> int:
    """How many lower-hex characters a token of ``column`` has in a package."""
    return TRUNCATED_TOKEN_HEX if column in TRUNCATED_TOKENS else 32


def token_format(column: str) -> str:
    """The RE2 pattern of a token of ``column`` (the hub's format rule and detector share it)."""
    return f"[0-9a-f]{{{token_hex_chars(column)}}}"


# Bloom filters: 512 bits each, stored as 8 signed BIGINT words bf_<field>_0 .. bf_<field>_7.
# No single-field token exists (spec 2.1 dropped tok_dob, tok_dob_swap and tok_addr): the hub
# sees birth year, ZIP3 and sex in clear, and within them twins, shared birthdays and households
# made a DOB or address count unique enough for frequency alignment (docs/encoding.md).
BLOOM_FIELDS: Final = (
    "first",  # first name bigrams (unsalted: a birth-year typo keeps the name's similarity)
    "last",  # last name bigrams, same key as first (a first/last swap still compares)
    # street (no unit) + ZIP5 bigrams salted by the first-name bucket (households share no
    # filter), and the locality's bigrams at fewer bits
    "addr",
    "dob",  # position-tagged DOB digits, salted by each name (a one-digit typo: partial)
    "ssn",  # position-tagged SSN digits (a one-digit typo or transposition: partial)
)
BLOOM_WORDS: Final = 8
BLOOM_BITS: Final = BLOOM_WORDS * 64


def bloom_columns(field: str) -> list[str]:
    """The word columns of one Bloom filter, in order."""
    return [f"bf_{field}_{i}" for i in range(BLOOM_WORDS)]


SAFE_HARBOR_COLUMNS: Final = ("birth_year", "age_90_plus", "sex", "zip3")
FLAG_COLUMNS: Final = ("consented", "part2_consent")
# The one free-text column (a program or unit name) is cut to this many characters.
PROGRAM_MAX_CHARS: Final = 80

PERSON_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        ("record_pseudonym", pa.string()),
        ("birth_year", pa.int16()),
        ("age_90_plus", pa.bool_()),
        ("sex", pa.string()),
        ("zip3", pa.string()),
        ("consented", pa.bool_()),
        ("part2_consent", pa.bool_()),
        *((c, pa.string()) for c in TOKEN_COLUMNS),
        *((c, pa.int64()) for f in BLOOM_FIELDS for c in bloom_columns(f)),
    ]
)
EVENT_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        ("record_pseudonym", pa.string()),
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("event_date", pa.date32()),
        ("end_date", pa.date32()),
        ("category", pa.string()),
        ("result", pa.string()),
        ("program", pa.string()),
        ("part2", pa.bool_()),
    ]
)
PERSON_COLUMNS: Final[tuple[str, ...]] = tuple(PERSON_SCHEMA.names)
EVENT_COLUMNS: Final[tuple[str, ...]] = tuple(EVENT_SCHEMA.names)

# Arrow type -> DuckDB type name (what DuckDB's DESCRIBE shows for a Parquet column).
_DUCKDB_TYPES: Final[dict[pa.DataType, str]] = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.string_view(): "VARCHAR",
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.uint8(): "UTINYINT",
    pa.uint16(): "USMALLINT",
    pa.uint32(): "UINTEGER",
    pa.uint64(): "UBIGINT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.binary(): "BLOB",
    pa.large_binary(): "BLOB",
    pa.null(): "NULL",
}


def duckdb_type(dtype: pa.DataType) -> str:
    """The DuckDB type name of an Arrow type, as the manifest's schema records it."""
    if dtype in _DUCKDB_TYPES:
        return _DUCKDB_TYPES[dtype]
    if pa.types.is_timestamp(dtype):
        return "TIMESTAMP"
    return str(dtype).upper()


def duckdb_columns(schema: pa.Schema) -> list[tuple[str, str]]:
    """``(column, DuckDB type)`` of every field of ``schema``, in order: the column list of the
    hub's staging table for that file (after its ``submission_id`` and ``partner_id``)."""
    return [(f.name, duckdb_type(f.type)) for f in schema]
