"""The partner client runs without Dagster, Great Expectations or Splink."""

from __future__ import annotations

import subprocess
import sys


def test_partner_client_imports_no_hub_libraries() -> None:
    code = (
        "import sys\n"
        "import partner.encode, partner.cli, partner.keygen, partner.package\n"
        "import encoding.encoder\n"
        "hub = ('dagster', 'great_expectations', 'splink', 'pandas')\n"
        "bad = [m for m in hub if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
