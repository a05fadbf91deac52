"""The partner client runs without Dagster, Great Expectations or Splink, and without the hub."""

from __future__ import annotations

import subprocess
import sys

# Every module of the partner client.
PARTNER_MODULES = (
    "partner.cli",
    "partner.encode",
    "partner.inbox",
    "partner.keyfiles",
    "partner.keygen",
    "partner.mapping",
    "partner.open",
    "partner.package",
    "partner.reader",
    "partner.region",
    "partner.submit",
)
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
    code = (
        "import importlib, sys\n"
        f"for name in {PARTNER_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & set({HUB!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
