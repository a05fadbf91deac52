"""Drift: a submission's volume and null rates against the partner's own history.

The bounds are tolerant on purpose: partners send increments of varying size, and a first
submission has no history at all (every bound is open, so it passes). Drift only warns; a steward
decides whether a sudden change is a broken export.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import duckdb

from contract.manifest import FileName
from quality.gx_suites import param_name
from quality.locate import sql
from quality.rules import DRIFT_COLUMNS

WINDOW: Final = 5
VOLUME_FACTOR: Final = 4.0  # rows within [median / 4, median * 4]
NULL_RATE_BAND: Final = 0.25  # non-null proportion within median +- 0.25
ROWS: Final = "__rows__"
NO_LIMIT: Final = 10**12


@dataclass(frozen=True)
class History:
    """Medians over the partner's last submissions, keyed by (file, column or ROWS)."""

    medians: dict[tuple[str, str], float]
    submissions: int

    @property
    def empty(self) -> bool:
        return self.submissions == 0


def load_history(con: duckdb.DuckDBPyConnection, partner_id: str) -> History:
    """Read the partner's history from ``staging.column_profiles``."""
    rows = con.execute(
        sql("drift_history"), {"partner_id": partner_id, "window": WINDOW}
    ).fetchall()
    medians = {(file, column): float(value) for file, column, value, _ in rows}
    submissions = max((int(n) for *_, n in rows), default=0)
    return History(medians=medians, submissions=submissions)


def drift_parameters(history: History, file: FileName) -> dict[str, Any]:
    """GX suite parameters (bounds) for the drift suite of ``file``."""
    params: dict[str, Any] = {"rows_min": 0, "rows_max": NO_LIMIT}
    rows = history.medians.get((file, ROWS))
    if rows is not None:
        params["rows_min"] = int(rows / VOLUME_FACTOR)
        params["rows_max"] = int(rows * VOLUME_FACTOR) + 1
    for column in DRIFT_COLUMNS[file]:
        median = history.medians.get((file, column))
        low, high = (0.0, 1.0)
        if median is not None:
            low = max(0.0, median - NULL_RATE_BAND)
            high = min(1.0, median + NULL_RATE_BAND)
        params[param_name("nonnull_min", column)] = low
        params[param_name("nonnull_max", column)] = high
    return params
