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
