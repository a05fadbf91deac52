"""Keys, and the HMAC bit positions of Bloom bigrams."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contract.spec import SPEC_VERSION
from encoding import bloom
from encoding.keys import EncodingKeys, SecretError, derive_key, key_fingerprint

SECRET = bytes(range(32))

MESSAGES = [
    "",
    "JOHN|SMITH|1984-03-07",
    "ZOË|ÅSTRÖM",  # non-ASCII: encoded as UTF-8
    "x" * 55,
    "x" * 56,  # one more byte than fits the first inner block with padding
    "y" * 64,
    "z" * 300,
]


@pytest.mark.parametrize("key", [b"k" * 32, bytes(range(32)), b"\xff" * 32, b"short"])
@pytest.mark.parametrize("hashes", [1, 6, 12, 16])
def test_bigram_masks_are_the_hmac_read_as_16_bit_numbers(key: bytes, hashes: int) -> None:
    masks = bloom.message_masks(MESSAGES, key, hashes)
    for message, mask in zip(MESSAGES, masks, strict=True):
        mac = hmac.new(key, message.encode(), hashlib.sha256).digest()
        bits = {int.from_bytes(mac[2 * j : 2 * j + 2], "big") % 512 for j in range(hashes)}
        assert {b for b in range(512) if int(mask[b // 64]) >> (b % 64) & 1} == bits


def test_hkdf_subkeys_follow_the_published_recipe() -> None:
    info = f"carehub/{SPEC_VERSION}/tok_phone".encode()
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(SECRET)
    assert derive_key(SECRET, "tok_phone") == expected
    assert derive_key(SECRET, "tok_phone") != derive_key(SECRET, "tok_ssn")
    # Two specs never share a subkey, so their encodings never agree by accident.
    assert derive_key(SECRET, "tok_phone", "1.0") != derive_key(SECRET, "tok_phone")


def test_fingerprint_keeps_the_spec_1_label() -> None:
    """Registries hold fingerprints: a new spec must not change a partner's fingerprint."""
    info = b"carehub/1.0/fingerprint"
    sub = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(SECRET)
    label = b"carehub key fingerprint v1"
    assert key_fingerprint(SECRET) == hmac.new(sub, label, hashlib.sha256).hexdigest()


def test_fingerprint_is_not_the_secret_and_changes_with_it() -> None:
    fp = key_fingerprint(SECRET)
    assert len(fp) == 64 and all(c in "0123456789abcdef" for c in fp)
    assert SECRET.hex() not in fp
    assert fp != hashlib.sha256(SECRET).hexdigest()
    assert fp != key_fingerprint(bytes(range(1, 33)))


def test_short_secret_is_refused() -> None:
    with pytest.raises(SecretError, match="at least 32"):
        derive_key(b"too short", "tok_phone")


def test_keys_repr_hides_key_bytes() -> None:
    keys = EncodingKeys.derive(SECRET, b"p" * 32)
    text = repr(keys)
    assert keys.tokens["tok_phone"].hex() not in text
    assert "fingerprint" in text


def test_bloom_dice_orders_similarity() -> None:
    words, present = bloom.value_filters(
        pl.Series(["CATHERINE", "CATHERINE", "KATHERINE", "ROBERT", None]),
        pl.Series(["1980"] * 5),
        b"b" * 32,
        12,
    )
    assert present.tolist() == [True, True, True, True, False]
    assert bloom.dice(words[0], words[1]) == 1.0
    assert bloom.dice(words[0], words[2]) > 0.6
    assert bloom.dice(words[0], words[3]) < 0.35
    salted, _ = bloom.value_filters(pl.Series(["CATHERINE"]), pl.Series(["1981"]), b"b" * 32, 12)
    assert bloom.dice(words[0], salted[0]) < 0.35, "another birth year salts the bit positions"


def test_hardening_flips_deterministically_per_record() -> None:
    import numpy as np

    base = np.zeros((3, 8), dtype=np.uint64)
    present = np.array([True, True, False])
    seeds = np.array([1, 2, 1], dtype=np.uint64)
    a, b = base.copy(), base.copy()
    bloom.harden(a, present, seeds, 0, 6)
    bloom.harden(b, present, seeds, 0, 6)
    assert (a == b).all()
    assert not (a[0] == a[1]).all()
    assert (a[2] == 0).all()
    assert 0 < sum(int(x).bit_count() for x in a[0]) <= 6
