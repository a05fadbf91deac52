"""``carehub demo``."""

from __future__ import annotations


def demo() -> None:
    """Not built yet."""
    raise SystemExit("carehub demo: not built yet")
