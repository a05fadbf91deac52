"""Build ``features.person_features`` and ``features.person_month`` inside ``hub.duckdb``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import duckdb

from contract.vocabulary import CHRONIC_CONDITIONS, HRSN_DOMAINS, SERVICES
from kernel import clock
from warehouse.disclosure.safe_harbor import MIN_ZIP3_POPULATION, zip3_population
from warehouse.features.sqlscript import run_script

_SQL = Path(__file__).parent

# Sectors of the partners of the synthetic region (docs/architecture.md); the governance
# registry, when there is one, is passed instead.
DEFAULT_PARTNER_SECTORS: Final[dict[str, str]] = {
    "mercy_hospital": "hospital",
    "riverside_health": "hospital",
    "county_public_health": "public_health",
    "harbor_housing": "cbo_housing",
    "northside_food": "cbo_food",
}
TREND_MONTHS: Final = 12


@dataclass(frozen=True)
class FeatureSummary:
    """What :func:`build_features` built.

    Attributes:
        as_of: The reference date of ``features.person_features``.
        months: First days of the months of ``features.person_month``, oldest first.
        persons: Linked persons with features.
        rows_monthly: Rows of ``features.person_month``.
    """

    as_of: date
    months: tuple[date, ...]
    persons: int
    rows_monthly: int


def default_as_of(con: duckdb.DuckDBPyConnection) -> date:
    """The latest event date (not in the future), else today."""
    ((day,),) = con.execute(
        (_SQL / "default_as_of.sql").read_text(), {"today": clock.today()}
    ).fetchall()
    assert isinstance(day, date)  # the SQL falls back to today
    return day


def reference_dates(as_of: date, months: int = TREND_MONTHS) -> list[tuple[date, date]]:
    """``(month, as_of)`` pairs: each of the last ``months`` months with its last day.

    The newest month ends at ``as_of`` itself (a month in progress counts up to ``as_of``).
    """
    first = as_of.replace(day=1)
    pairs = []
    for back in range(months - 1, 0, -1):
        month = _add_months(first, -back)
        pairs.append((month, _add_months(month, 1) - timedelta(days=1)))
    pairs.append((first, as_of))
    return pairs


def _drop_old_person_month_table(con: duckdb.DuckDBPyConnection) -> None:
    # Early versions stored features.person_month as a table; it is a view now.
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'features' "
        "AND table_name = 'person_month' AND database_name = current_database()"
    ).fetchall()
    if found[0][0]:
        con.execute("DROP TABLE features.person_month")


def _month_index(day: date) -> int:
    # The month_index of features.reference_months: year * 12 + month - 1.
    return day.year * 12 + day.month - 1


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def build_features(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    *,
    months: int = TREND_MONTHS,
    partner_sectors: Mapping[str, str] | None = None,
) -> FeatureSummary:
    """Compute person-level features of every linked person, now and at past month-ends.

    Reads ``staging.current_events``, ``staging.current_persons`` and
    ``linkage.person_records``. Writes ``features.persons`` (demographics, sectors),
    ``features.monthly_events`` (events per person and calendar month up to ``as_of``, packed),
    ``features.event_month`` (packed window sums per person and reference month; see
    ``event_features.sql``), ``features.reference_months``, the view ``features.person_month``
    (every feature column per person and month, decoded on read) and the table
    ``features.person_features`` (the rows of the last month, as of ``as_of``). Nothing here is
    ever published.

    Args:
        con: Connection to ``hub.duckdb``.
        as_of: Reference date; default the latest event date (or today).
        months: How many months of history to compute for trends (at least 1).
        partner_sectors: partner_id -> sector; default the partners of the synthetic region.

    Returns:
        A summary with the reference date, months and row counts.
    """
    as_of = as_of or default_as_of(con)
    dates = reference_dates(as_of, max(months, 1))
    sectors = dict(partner_sectors or DEFAULT_PARTNER_SECTORS)
    con.execute("CREATE SCHEMA IF NOT EXISTS features")
    con.execute((_SQL / "reference_months.sql").read_text())
    con.executemany("INSERT INTO features.reference_months (month, as_of) VALUES (?, ?)", dates)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _partner_sectors (partner_id VARCHAR, sector VARCHAR)"
    )
    con.executemany("INSERT INTO _partner_sectors VALUES (?, ?)", list(sectors.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE _zip3_population (zip3 VARCHAR, population INTEGER)")
    con.executemany("INSERT INTO _zip3_population VALUES (?, ?)", list(zip3_population().items()))
    con.execute(
        (_SQL / "person_demographics.sql").read_text(),
        {"min_zip3_population": MIN_ZIP3_POPULATION},
    )
    run_script(
        con,
        _SQL / "event_features.sql",
        {
            "chronic": list(CHRONIC_CONDITIONS),
            "hrsn": list(HRSN_DOMAINS),
            "services": list(SERVICES),
            "first_month_index": _month_index(dates[0][0]),
            "last_month_index": _month_index(dates[-1][0]),
            "last_as_of": as_of,
        },
    )
    _drop_old_person_month_table(con)
    con.execute((_SQL / "person_month.sql").read_text())
    con.execute((_SQL / "person_features.sql").read_text(), {"month": dates[-1][0]})
    for table in ("_partner_sectors", "_zip3_population"):
        con.execute(f"DROP TABLE IF EXISTS {table}")  # fixed names, not values
    ((persons,),) = con.execute("SELECT count(*) FROM features.person_features").fetchall()
    ((monthly,),) = con.execute(
        "SELECT count(*) * (SELECT count(*) FROM features.reference_months) FROM features.persons"
    ).fetchall()
    return FeatureSummary(
        as_of=as_of,
        months=tuple(month for month, _ in dates),
        persons=int(persons),
        rows_monthly=int(monthly),
    )
