"""Disclosure control for everything that leaves the hub.

* :mod:`~warehouse.disclosure.safe_harbor`: ZIP3 < 20,000 people -> ``000``, ages 90+ grouped,
  dates to months.
* :mod:`~warehouse.disclosure.noise`: cell-key perturbation, consistent across publications.
* :mod:`~warehouse.disclosure.suppression`: the one model, :func:`protect`: noise, withhold
  shown counts below the threshold, complement until the audit finds nothing exposed.
* :mod:`~warehouse.disclosure.audit`: the adversary's LP bounds on each withheld cell.
* :mod:`~warehouse.disclosure.attacks`: the attack suite (one publication, and differencing of
  consecutive ones).
"""

from warehouse.disclosure.audit import Interval, exposed, intervals
from warehouse.disclosure.cells import CellKey, CellSet, Constraint
from warehouse.disclosure.noise import (
    DEFAULT_MAX_NOISE,
    EXACT,
    Perturbation,
    load_or_create_secret,
)
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
    disclose,
    protect,
)

__all__ = [
    "DEFAULT_MAX_NOISE",
    "DEFAULT_THRESHOLD",
    "EXACT",
    "MIN_ZIP3_POPULATION",
    "RESTRICTED_ZIP3",
    "CellKey",
    "CellSet",
    "Constraint",
    "DisclosureError",
    "Interval",
    "Perturbation",
    "SuppressionResult",
    "age_band",
    "disclose",
    "exposed",
    "generalise_zip3",
    "intervals",
    "load_or_create_secret",
    "month_label",
    "protect",
    "zip3_population",
]
