"""The partner client runs without Dagster, Great Expectations or Splink, and without the hub."""

from __future__ import annotations

import subprocess
import sys

# What must not be loaded: the hub's libraries and its heavy dependencies.
HUB = (
    "warehouse",
    "linkage",
    "quality",
    "pipelines",
    "dagster",
    "great_expectations",
    "splink",
    "pandas",
)


def test_partner_client_imports_no_hub_package() -> None:
    """Every module of partner/ loads without the hub's packages or its heavy dependencies."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import partner\n"
        "for module in pkgutil.iter_modules(partner.__path__, 'partner.'):\n"
        "    importlib.import_module(module.name)\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & set({HUB!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
