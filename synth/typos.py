"""Keyboard errors: adjacent-key substitution, deletion, insertion of a neighbour, transposition."""

from __future__ import annotations

from typing import Final

import numpy as np

_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    pos = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    out: dict[str, str] = {}
    for ch, (r, c) in pos.items():
        near = [
            other
            for other, (r2, c2) in pos.items()
            if other != ch and abs(r - r2) <= 1 and abs((c + 0.5 * r) - (c2 + 0.5 * r2)) <= 1.0
        ]
        out[ch] = "".join(sorted(near))
    return out


NEIGHBOURS: Final = _neighbours()


def _match_case(new: str, like: str) -> str:
    return new.upper() if like.isupper() else new


def keyboard_typo(name: str, rng: np.random.Generator) -> str:
    """One keyboard error in ``name``: a different string (``name`` itself if too short)."""
    letters = [i for i, ch in enumerate(name) if ch.lower() in NEIGHBOURS]
    if len(name) < 2 or not letters:
        return name
    for _ in range(8):
        op = rng.random()
        i = int(letters[int(rng.integers(0, len(letters)))])
        ch = name[i]
        near = NEIGHBOURS[ch.lower()]
        if op < 0.5:
            new = name[:i] + _match_case(near[int(rng.integers(0, len(near)))], ch) + name[i + 1 :]
        elif op < 0.7 and len(name) > 2:
            new = name[:i] + name[i + 1 :]
        elif op < 0.85:
            extra = _match_case(near[int(rng.integers(0, len(near)))], ch)
            new = name[: i + 1] + extra + name[i + 1 :]
        elif i + 1 < len(name):
            new = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        else:
            continue
        if new != name:
            return new
    return name


# Optical confusions of scanned or faxed forms (read as -> written), both ways.
_OCR: Final = (
    ("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("vv", "w"), ("w", "vv"),
    ("l", "I"), ("I", "l"), ("O", "0"), ("o", "0"), ("e", "c"), ("c", "e"),
    ("h", "b"), ("b", "h"), ("u", "v"), ("n", "h"), ("i", "l"), ("S", "5"), ("B", "8"),
)  # fmt: skip
# Spellings that sound alike (heard at a front desk, typed by ear).
_PHONETIC: Final = (
    ("ph", "f"), ("f", "ph"), ("ck", "k"), ("k", "c"), ("c", "k"), ("y", "i"), ("i", "y"),
    ("ie", "y"), ("ey", "y"), ("ll", "l"), ("l", "ll"), ("tt", "t"), ("t", "tt"),
    ("nn", "n"), ("n", "nn"), ("ss", "s"), ("s", "z"), ("z", "s"), ("ou", "ow"),
    ("th", "t"), ("ch", "sh"), ("sh", "ch"), ("ee", "ea"), ("ea", "ee"), ("x", "ks"),
    ("qu", "kw"), ("gh", "g"), ("j", "g"), ("v", "b"), ("e", ""),
)  # fmt: skip


def _substitute(name: str, table: tuple[tuple[str, str], ...], rng: np.random.Generator) -> str:
    """One rule of ``table`` applied at one place where it fits (case-insensitive for letters)."""
    low = name.lower()
    sites = [
        (i, old, new)
        for old, new in table
        for i in range(len(name))
        if (name if old.lower() != old or old.isdigit() else low).startswith(old, i)
    ]
    if not sites:
        return name
    i, old, new = sites[int(rng.integers(0, len(sites)))]
    if name.isupper():
        new = new.upper()
    elif i == 0 and name[:1].isupper():
        new = new[:1].upper() + new[1:]
    out = name[:i] + new + name[i + len(old) :]
    return out if out.strip() else name


def ocr_typo(name: str, rng: np.random.Generator) -> str:
    """One optical confusion (``rn``/``m``, ``cl``/``d``, ``l``/``I``...); ``name`` if none fits."""
    return _substitute(name, _OCR, rng)


def phonetic_typo(name: str, rng: np.random.Generator) -> str:
    """One sound-alike spelling (``ph``/``f``, ``ck``/``k``, doubled letters...)."""
    return _substitute(name, _PHONETIC, rng)


def digit_typo(digits: str, rng: np.random.Generator) -> str:
    """One keypad error in a digit string: a neighbouring digit, or two adjacent swapped.

    Returns a different string whenever ``digits`` has two or more distinct digits.
    """
    for _ in range(8):
        i = int(rng.integers(0, len(digits)))
        if rng.random() < 0.6 or i + 1 >= len(digits):
            d = int(digits[i])
            new = str((d + int(rng.choice([-1, 1, 3, -3]))) % 10)
            out = digits[:i] + new + digits[i + 1 :]
        else:
            out = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        if out != digits:
            return out
    return digits
