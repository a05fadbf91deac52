"""Loading the code location must not import scipy.optimize or matplotlib (seconds each).

The asset modules import warehouse.disclosure, warehouse.marts and warehouse.report.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scipy.optimize", "matplotlib", "matplotlib.pyplot")


@pytest.mark.parametrize(
    "module",
    [
        "pipelines.defs.segments.assets",
        "pipelines.defs.marts.assets",
        "pipelines.defs.reports.assets",
    ],
)
def test_heavy_libraries_are_imported_only_when_used(module: str) -> None:
    code = f"import sys, {module}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "", f"importing {module} imports {found}: import it inside the function"
