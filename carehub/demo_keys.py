"""Keys drawn from a seed, for the demo and the tests only (``carehub demo --key-seed``).

Why: the persons the hub finds depend on the encodings, and the encodings on the shared secret
and on each partner's pseudonym key; the published counts also depend on the hub's perturbation
key (cell-key noise). Under fresh keys two demo runs of the same region differ by
a few persons (a Bloom-filter Dice near a comparison level's edge passes under one key and not
under another), so "the same seed gives the same persons" needs the keys fixed too. A key drawn
from a seed is no secret at all: real partners run ``carehub partner keygen``, which draws from
the operating system.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path

from partner.keyfiles import write_private
from partner.keygen import pseudonym_key_path
from warehouse.disclosure.noise import SECRET_BYTES


def _digest(label: str, key_seed: int) -> bytes:
    return hashlib.sha256(f"{label}/{key_seed}".encode()).digest()


def _seeded_secret_text(label: str, key_seed: int) -> bytes:
    # The same text format as partner.keyfiles.new_secret_text: base64 of 32 bytes.
    return base64.b64encode(_digest(label, key_seed)) + b"\n"


def write_seeded_keys(
    keys: Path, secret: Path | None, key_seed: int, partners: Iterable[str]
) -> None:
    """Write the shared secret (unless ``secret`` is None) and each partner's pseudonym key in
    ``keys``, drawn from ``key_seed``. ``keygen`` keeps both, and draws the rest (extract and
    signing keys, which do not touch the encodings) fresh."""
    if secret is not None:
        write_private(secret, _seeded_secret_text("shared", key_seed), force=True)
    for pid in partners:
        write_private(pseudonym_key_path(keys, pid), _seeded_secret_text(pid, key_seed), force=True)


def write_seeded_perturbation_key(path: Path, key_seed: int) -> None:
    """Write the hub's perturbation key (raw bytes, 0600) drawn from ``key_seed``, before the
    first publication creates a fresh one: the same noise, hence the same published marts."""
    write_private(path, _digest("perturbation", key_seed)[:SECRET_BYTES], force=True)
