"""``carehub marts``."""

from __future__ import annotations


def marts() -> None:
    """Not built yet."""
    raise SystemExit("carehub marts: not built yet")
