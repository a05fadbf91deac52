"""``carehub ui``."""

from __future__ import annotations


def ui() -> None:
    """Not built yet."""
    raise SystemExit("carehub ui: not built yet")
