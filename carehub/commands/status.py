"""``carehub status``."""

from __future__ import annotations


def status() -> None:
    """Not built yet."""
    raise SystemExit("carehub status: not built yet")
