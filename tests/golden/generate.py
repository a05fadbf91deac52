"""Regenerate the golden vectors of the current spec (2.2; only when the spec changes).

    .venv/bin/python tests/golden/generate.py

The test key is published on purpose: it lets a partner with another tool or language prove
that it encodes exactly as carehub does. Never use it for real data.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import polars as pl

from contract.spec import PERSON_COLUMNS, SPEC_VERSION
from encoding.encoder import DEFAULT_SETTINGS, encode_persons, token_bits
from encoding.keys import BLOOM_DOB, BLOOM_NAME, EncodingKeys, derive_key

HERE = Path(__file__).parent
TEST_SECRET = bytes(range(32))  # 000102...1f
TEST_PARTNER_KEY = bytes(range(32, 64))
PARTNER_ID = "golden_partner"
AS_OF = date(2026, 6, 30)

RECORDS: list[dict[str, str | None]] = [
    {
        "record_id": "G-001",
        "first_name": "Zoë",
        "last_name": "O'Brien",
        "dob": "1984-03-07",
        "sex": "F",
        "street": "412 Elm Street Apt 4B",
        "locality": "Concord",
        "zip": "03301",
        "phone": "(603) 555-1234",
        "ssn": "219-45-6789",
    },
    {
        "record_id": "G-002",
        "first_name": "Bill",
        "last_name": "Smith Jr.",
        "dob": "1950-12-01",
        "sex": "M",
        "street": "12 North Main St.",
        "locality": "N. Conway",
        "zip": "03601-1234",
        "phone": "603.555.9876",
        "ssn": None,
    },
    {
        "record_id": "G-003",
        "first_name": "William",
        "last_name": "Smith",
        "dob": "1950-01-12",
        "sex": "M",
        "street": "12 N Main Street",
        "locality": "North Conway",
        "zip": "03601",
        "phone": None,
        "ssn": "999-99-9999",
    },
    {
        "record_id": "G-004",
        "first_name": "BABY BOY",
        "last_name": "García-López",
        "dob": "2026-01-02",
        "sex": "U",
        "street": "HOMELESS",
        "locality": None,
        "zip": None,
        "phone": "0000000000",
        "ssn": None,
    },
    {
        "record_id": "G-005",
        "first_name": "Mary",
        "last_name": "van der Berg",
        "dob": "1930-05-05",
        "sex": "F",
        "street": "1 Oak Rd #2",
        "locality": "Saint Johnsbury",
        "zip": "3431",
        "phone": "1-603-555-0000",
        "ssn": "078-05-1120",
    },
    {
        "record_id": "G-006",
        "first_name": "Unknown",
        "last_name": "Nguyen",
        "dob": "1900-01-01",
        "sex": "X",
        "street": "PO Box 12",
        "locality": "Unknown",
        "zip": "00000",
        "phone": "",
        "ssn": "",
    },
    {
        # Spec 2.0: a street without a house number is kept; an SSN in group 00 is kept.
        "record_id": "G-007",
        "first_name": "Ann",
        "last_name": "Lee",
        "dob": "1984-03-17",
        "sex": "F",
        "street": "Main Street",
        "locality": None,
        "zip": "03301",
        "phone": None,
        "ssn": "219-00-6789",
    },
    {
        # Spec 2.1: G-001 without line 2, the city written another way: same tok_addr, bf_addr.
        "record_id": "G-008",
        "first_name": "Zoe",
        "last_name": "OBrien",
        "dob": "1984-03-07",
        "sex": "F",
        "street": "412 Elm St",
        "locality": "CITY OF CONCORD, NH",
        "zip": "03301",
        "phone": None,
        "ssn": None,
    },
]


def encode() -> pl.DataFrame:
    raw = pl.DataFrame(RECORDS, schema={k: pl.String for k in RECORDS[0]})
    keys = EncodingKeys.derive(TEST_SECRET, TEST_PARTNER_KEY)
    return encode_persons(
        raw, keys, partner_id=PARTNER_ID, as_of=AS_OF, dob_format="%Y-%m-%d"
    ).persons


def main() -> None:
    persons = encode()
    vectors = {
        "spec_version": SPEC_VERSION,
        "note": "Published TEST keys: never use them for real data.",
        "shared_secret_b64": base64.b64encode(TEST_SECRET).decode(),
        "partner_key_b64": base64.b64encode(TEST_PARTNER_KEY).decode(),
        "partner_id": PARTNER_ID,
        "as_of": AS_OF.isoformat(),
        "dob_format": "%Y-%m-%d",
        "subkeys_hex": {
            p: derive_key(TEST_SECRET, p).hex()
            for p in ("tok_first_addr", "tok_name_dob", BLOOM_NAME, BLOOM_DOB)
        },
        "key_fingerprint": EncodingKeys.derive(TEST_SECRET).fingerprint,
        "settings": asdict(DEFAULT_SETTINGS) | {"threads": None},
        # Spec 2.2: the widths of the truncated tokens for the settings' ecosystem_persons.
        "token_bits": token_bits(DEFAULT_SETTINGS),
        "records": [
            {"input": rec, "expected": {c: row[c] for c in PERSON_COLUMNS}}
            for rec, row in zip(RECORDS, persons.iter_rows(named=True), strict=True)
        ],
    }
    (HERE / f"vectors_{SPEC_VERSION}.json").write_text(
        json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"
    )


if __name__ == "__main__":
    main()
