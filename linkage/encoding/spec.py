"""Names of the encoded columns of spec 2.1. Every other part imports them from here.

The design and its measured trade-offs are in docs/encoding.md.
"""

from __future__ import annotations

from typing import Final

SPEC_VERSION: Final = "2.1"
SUPPORTED_SPEC_VERSIONS: Final = frozenset({SPEC_VERSION})
# Spec versions the hub recognises but no longer links, with why (docs/encoding.md): their
# packages are refused at ingest with the fix (re-encode with the current spec).
RETIRED_SPECS: Final = {
    "1.0": "spec 1.0's ZIP5 and birth-month tokens gave them away",
    "2.0": "spec 2.0's DOB and address tokens gave twins' and households' DOBs and addresses "
    "away within the clear strata, its street line kept the unit, so line 1 + line 2 never "
    "agreed with the street alone, and it had no locality",
}
RETIRED_SPEC_VERSIONS: Final = frozenset(RETIRED_SPECS)

# Keyed tokens (AES-CMAC): 32 lower-hex characters (128 bits) each, null when an input is missing.
TOKEN_COLUMNS: Final = (
    "tok_name_dob",  # canonical first + last + dob: exact agreement on the lot
    "tok_first_dob",  # nickname-canonical first name + swap-invariant dob
    "tok_last_dob",  # last name + swap-invariant dob
    "tok_fullname",  # sorted(first, last): robust to dob errors and first/last swaps
    "tok_first_addr",  # first name + street line + ZIP5: a household's members differ
    "tok_dob_zip5_sex",  # dob + ZIP5 + sex: blocks a changed name at the same place
    "tok_phone",  # 10-digit phone
    "tok_ssn",  # 9-digit SSN
)
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
PERSON_COLUMNS: Final = (
    "record_pseudonym",
    *SAFE_HARBOR_COLUMNS,
    *FLAG_COLUMNS,
    *TOKEN_COLUMNS,
    *(c for f in BLOOM_FIELDS for c in bloom_columns(f)),
)
EVENT_COLUMNS: Final = (
    "record_pseudonym",
    "event_id",
    "event_type",
    "event_date",
    "end_date",
    "category",
    "result",
    "program",
    "part2",
)
