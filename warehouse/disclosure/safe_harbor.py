"""HIPAA Safe Harbor generalisation: ZIP3 with under 20,000 people, ages 90+, dates to months.

The synthetic region is small, so the population behind each ZIP3 cannot be measured from the
data; it is shipped as a table (``zip3_population.csv``, one row per ZIP3 with its census-style
population). A ZIP3 missing from the table counts as low-population and becomes ``000``.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from pathlib import Path
from typing import Final

ZIP3_POPULATION_FILE: Final = Path(__file__).with_name("zip3_population.csv")
MIN_ZIP3_POPULATION: Final = 20_000
RESTRICTED_ZIP3: Final = "000"
TOP_AGE: Final = 90


@cache
def zip3_population(path: Path = ZIP3_POPULATION_FILE) -> dict[str, int]:
    """ZIP3 -> population, from the shipped table (or ``path``)."""
    with path.open(newline="") as handle:
        return {row["zip3"]: int(row["population"]) for row in csv.DictReader(handle)}


def generalise_zip3(zip3: str | None, population: dict[str, int] | None = None) -> str:
    """The ZIP3 itself when at least 20,000 people live there, else ``000``."""
    table = zip3_population() if population is None else population
    if zip3 is None or table.get(zip3, 0) < MIN_ZIP3_POPULATION:
        return RESTRICTED_ZIP3
    return zip3


def age_band(age: int | None) -> str:
    """The published age band; every age of 90 or more is the single band ``90+``."""
    if age is None:
        return "unknown"
    for floor, band in ((90, "90+"), (65, "65-89"), (50, "50-64"), (35, "35-49"), (18, "18-34")):
        if age >= floor:
            return band
    return "0-17"


def month_label(day: date) -> str:
    """A date generalised to its month, ``YYYY-MM``: nothing finer is ever published."""
    return f"{day.year:04d}-{day.month:02d}"
