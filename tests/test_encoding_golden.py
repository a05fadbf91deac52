"""Golden vectors of the current spec (2.2): inputs -> expected encodings under a test key."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from contract.spec import PERSON_COLUMNS, SPEC_VERSION
from encoding.encoder import encode_persons
from encoding.keys import EncodingKeys, derive_key

VECTORS = json.loads(
    (Path(__file__).parent / "golden" / f"vectors_{SPEC_VERSION}.json").read_text()
)
SECRET = base64.b64decode(VECTORS["shared_secret_b64"])
PARTNER_KEY = base64.b64decode(VECTORS["partner_key_b64"])


@pytest.fixture(scope="module")
def encoded() -> list[dict[str, object]]:
    records = [r["input"] for r in VECTORS["records"]]
    raw = pl.DataFrame(records, schema={k: pl.String for k in records[0]})
    out = encode_persons(
        raw,
        EncodingKeys.derive(SECRET, PARTNER_KEY),
        partner_id=VECTORS["partner_id"],
        as_of=date.fromisoformat(VECTORS["as_of"]),
        dob_format=VECTORS["dob_format"],
    )
    return list(out.persons.iter_rows(named=True))


def test_fingerprint_and_subkeys() -> None:
    assert EncodingKeys.derive(SECRET).fingerprint == VECTORS["key_fingerprint"]
    for purpose, hexkey in VECTORS["subkeys_hex"].items():
        assert derive_key(SECRET, purpose).hex() == hexkey


@pytest.mark.parametrize("index", range(len(VECTORS["records"])))
@pytest.mark.parametrize("column", PERSON_COLUMNS)
def test_golden_vector(encoded: list[dict[str, object]], index: int, column: str) -> None:
    assert encoded[index][column] == VECTORS["records"][index]["expected"][column]


def test_vectors_cover_the_interesting_cases() -> None:
    expected = [r["expected"] for r in VECTORS["records"]]
    assert any(e["tok_ssn"] is None for e in expected)
    assert any(e["zip3"] == "000" for e in expected)
    assert any(e["age_90_plus"] for e in expected)
    assert any(e["bf_first_0"] is None for e in expected)
    # Bill (nickname) and William with a day/month swap share the swap-invariant tokens.
    assert expected[1]["tok_first_dob"] == expected[2]["tok_first_dob"]
    assert expected[1]["tok_name_dob"] != expected[2]["tok_name_dob"]
    # Spec 2.0 keeps a street without a number and an SSN in group 00.
    assert expected[6]["bf_addr_0"] is not None and expected[6]["tok_first_addr"] is not None
    # Spec 2.1: unknown sex is no value to agree on (G-004 is U, and has no ZIP either).
    assert expected[3]["sex"] == "U" and expected[3]["tok_dob_zip5_sex"] is None
    assert expected[6]["tok_ssn"] is not None and expected[6]["bf_ssn_0"] is not None
    # Spec 2.1: line 1 + line 2 and the street alone agree (tok_addr and bf_addr), and so do
    # two spellings of one city; the city joins bf_addr only, never tok_addr.
    addr = [f"bf_addr_{i}" for i in range(8)]
    assert expected[7]["tok_first_addr"] == expected[0]["tok_first_addr"]
    assert [expected[7][c] for c in addr] == [expected[0][c] for c in addr]
    # "N. Conway" and "North Conway", Bill and William, a day/month swap: the DOB bucket's pass
    # agrees (swap-invariant), the first-name bucket's may not: half the filter or more.
    assert _dice([expected[1][c] for c in addr], [expected[2][c] for c in addr]) >= 0.5


def test_vectors_were_made_with_the_current_settings() -> None:
    from dataclasses import asdict

    from encoding.encoder import DEFAULT_SETTINGS

    expected = asdict(DEFAULT_SETTINGS) | {"threads": None}
    assert VECTORS["settings"] == expected, (
        "settings changed: bump the spec, run tests/golden/generate.py"
    )


# An independent reading of docs/encoding.md for the first golden record (hmac, hashlib and the
# stock AES-CMAC of `cryptography`; no vectorised code): what a partner writing its own encoder in
# another language would implement.
_M64 = (1 << 64) - 1
_GOLDEN_RATIO = 0x9E3779B97F4A7C15


def _dice(a: list[object], b: list[object]) -> float:
    """Dice similarity of two filters given as their signed 64-bit words."""
    x = [int(str(w)) & (2**64 - 1) for w in a]
    y = [int(str(w)) & (2**64 - 1) for w in b]
    both = sum((p & q).bit_count() for p, q in zip(x, y, strict=True))
    return 2 * both / (sum(p.bit_count() for p in x) + sum(q.bit_count() for q in y))


def _mac(key: bytes, message: str) -> bytes:
    import hashlib
    import hmac

    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _cmac(key: bytes, message: str) -> bytes:
    """AES-256-CMAC (RFC 4493), the primitive of every token and pseudonym."""
    from cryptography.hazmat.primitives.ciphers import algorithms
    from cryptography.hazmat.primitives.cmac import CMAC

    mac = CMAC(algorithms.AES(key))
    mac.update(message.encode())
    return mac.finalize()


def _splitmix64(x: int) -> int:
    z = (x + _GOLDEN_RATIO) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _reference_filter(
    passes: list[tuple[str, str]],
    key: bytes,
    k: int,
    seed: int,
    stream: int,
    more: list[tuple[str, str, int]] = (),  # type: ignore[assignment]
) -> list[int]:
    """One filter: the bits of every (value, salt) pass ORed (``more``: passes with their own
    number of bits per bigram), then the seed's flips."""
    flips = VECTORS["settings"]["noise_flips"]
    words = [0] * 8
    bits = set()
    for value, salt, k in [(v, s, k) for v, s in passes] + list(more):
        padded = f"_{value}_"
        for i in range(len(padded) - 1):
            mac = _mac(key, f"{salt}|{padded[i : i + 2]}")
            bits |= {int.from_bytes(mac[2 * j : 2 * j + 2], "big") % 512 for j in range(k)}
    for p in bits:
        words[p // 64] |= 1 << (p % 64)
    for j in range(flips):
        counter = stream * 1024 + j + 1
        p = _splitmix64(seed ^ ((counter * _GOLDEN_RATIO) & _M64)) >> 55
        words[p // 64] ^= 1 << (p % 64)
    return [w - (1 << 64) if w >= 1 << 63 else w for w in words]


def test_reference_implementation_reproduces_record_one() -> None:
    # Zoë O'Brien, 1984-03-07, 412 Elm Street Apt 4B, Concord
    expected = VECTORS["records"][0]["expected"]
    sub = lambda purpose: derive_key(SECRET, purpose)  # noqa: E731
    # Pseudonym subkeys keep the "carehub/1.0/" label in every spec (docs/encoding.md, Keys).
    pseudonym = _cmac(derive_key(PARTNER_KEY, "record_pseudonym", "1.0"), "G-001") + _cmac(
        derive_key(PARTNER_KEY, "record_pseudonym_hi", "1.0"), "G-001"
    )
    assert pseudonym.hex() == expected["record_pseudonym"]
    messages = {
        "tok_name_dob": "ZOE|OBRIEN|1984-03-07",
        "tok_first_dob": "ZOE|1984|03|07",
        "tok_last_dob": "OBRIEN|1984|03|07",
        "tok_fullname": "OBRIEN|ZOE",
        "tok_first_addr": "ZOE|412 ELM ST|03301",
        "tok_dob_zip5_sex": "1984-03-07|03301|F",
        "tok_phone": "6035551234",
        "tok_ssn": "219456789",
    }
    for column, message in messages.items():
        tag = _cmac(sub(column), message)
        if column in VECTORS["token_bits"]:
            # Spec 2.2: a truncated token is the tag's first b bits (b = floor(log2(E)) for the
            # announced ecosystem size), as an unsigned 32-bit number in 8 lower-hex characters.
            bits = VECTORS["token_bits"][column]
            assert bits == VECTORS["settings"]["ecosystem_persons"].bit_length() - 1
            assert f"{int.from_bytes(tag[:4], 'big') >> (32 - bits):08x}" == expected[column]
        else:
            assert tag.hex() == expected[column], column
    seed = int.from_bytes(_cmac(sub("bloom_noise"), "1984|03|07")[:8], "big")
    settings = VECTORS["settings"]

    def bucket(name: str) -> str:  # salts of the DOB and name filters: keyed buckets
        tag = _cmac(sub("bloom_dob"), f"bucket|{name}")
        return str(int.from_bytes(tag[:4], "big") % settings["dob_name_buckets"])

    dob = "A1B9C8D4E0F3G0H7"  # 19840307, each digit after a letter naming its position
    for stream, (field, passes, key, k) in enumerate(
        [
            # Names: one pass salted by the other name's bucket, one by the DOB's.
            (
                "first",
                [("ZOE", bucket("OBRIEN")), ("ZOE", bucket("1984|03|07"))],
                sub("bloom_name"),
                settings["name_hashes"],
            ),
            (
                "last",
                [("OBRIEN", bucket("ZOE")), ("OBRIEN", bucket("1984|03|07"))],
                sub("bloom_name"),
                settings["name_hashes"],
            ),
            # Address (spec 2.1): the street (unit dropped) and ZIP5, salted by the first
            # name's bucket; the locality joins at fewer bits.
            (
                "addr",
                [("412 ELM ST 03301", bucket("ZOE"))],
                sub("bloom_addr"),
                settings["addr_hashes"],
            ),
            (
                "dob",
                [(dob, bucket("ZOE")), (dob, bucket("OBRIEN"))],
                sub("bloom_dob"),
                settings["dob_hashes"],
            ),
            ("ssn", [("A2B1C9D4E5F6G7H8I9", "")], sub("bloom_ssn"), settings["ssn_hashes"]),
        ]
    ):
        words = [expected[f"bf_{field}_{i}"] for i in range(8)]
        more = [("CONCORD", "locality", settings["locality_hashes"])] if field == "addr" else []
        assert _reference_filter(passes, key, k, seed, stream, more) == words, field
    assert (expected["birth_year"], expected["sex"], expected["zip3"]) == (1984, "F", "033")
