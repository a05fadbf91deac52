"""``carehub synth``."""

from __future__ import annotations


def synth() -> None:
    """Not built yet."""
    raise SystemExit("carehub synth: not built yet")
