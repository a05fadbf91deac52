"""Collision-free scrambled numbers: an affine permutation of a running counter.

Partner record ids and SSNs must be unique across chunks without keeping a set of used values,
and must not be sequential in resident order (that would leak who is who across partners).
``(a * counter + b) mod m`` with ``gcd(a, m) = 1`` is a bijection on ``[0, m)``.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

_GOLDEN: Final = 0.6180339887498949

SSN_AREAS: Final = 898  # 001-899 without 666
SSN_SPACE: Final = SSN_AREAS * 99 * 9999


def scramble(counter: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """Map distinct counters in ``[0, modulus)`` to distinct scrambled values in ``[0, modulus)``.

    Raises:
        OverflowError: when a counter does not fit the id space (the region is too large for
            the partner's id format).
    """
    if len(counter) and int(counter.max()) >= modulus:
        raise OverflowError(f"id space of {modulus} values exhausted; generate fewer residents")
    # A multiplier near the golden section of the space spreads consecutive counters widely.
    a = int(modulus * _GOLDEN) | 1
    while math.gcd(a, modulus) != 1:
        a += 2
    b = salt % modulus
    if modulus < 3_000_000_000:  # a * counter < 2**63: stay in int64
        return (counter.astype(np.int64) * a + b) % modulus
    big = (counter.astype(object) * a + b) % modulus
    return big.astype(np.int64)


def ssn_numbers(global_index: np.ndarray, seed: int) -> np.ndarray:
    """Unique, well-formed SSNs as int64 (area 001-899 except 666, group 01-99, serial 0001-9999).

    Identifiers stay numeric (-1: missing) until the export, where polars formats them fast.
    """
    v = scramble(global_index, SSN_SPACE, seed * 7919 + 17)
    area = v // (99 * 9999) + 1
    area = np.where(area >= 666, area + 1, area)
    group = (v // 9999) % 99 + 1
    serial = v % 9999 + 1
    number: np.ndarray = area * 1_000_000 + group * 10_000 + serial
    return number
