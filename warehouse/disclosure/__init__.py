"""Disclosure control for everything that leaves the hub.

* :mod:`~warehouse.disclosure.safe_harbor`: ZIP3 < 20,000 people -> ``000``, ages 90+ grouped,
  dates to months.
* :mod:`~warehouse.disclosure.suppression`: small cells (1 .. threshold-1) suppressed, with
  complementary suppression across every margin of every published table.
* :mod:`~warehouse.disclosure.audit`: the adversary's LP bounds on each suppressed cell.
"""

from warehouse.disclosure.audit import Interval, exposed, intervals
from warehouse.disclosure.cells import CellKey, CellSet, Constraint
from warehouse.disclosure.safe_harbor import (
    MIN_ZIP3_POPULATION,
    RESTRICTED_ZIP3,
    age_band,
    generalise_zip3,
    month_label,
    zip3_population,
)
from warehouse.disclosure.suppression import (
    DEFAULT_THRESHOLD,
    DisclosureError,
    SuppressionResult,
    protect,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_ZIP3_POPULATION",
    "RESTRICTED_ZIP3",
    "CellKey",
    "CellSet",
    "Constraint",
    "DisclosureError",
    "Interval",
    "SuppressionResult",
    "age_band",
    "exposed",
    "generalise_zip3",
    "intervals",
    "month_label",
    "protect",
    "zip3_population",
]
