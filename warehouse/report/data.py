"""What the report shows, read from the published marts only.

The report never touches ``hub.duckdb``: every number in it comes from ``marts.duckdb``, which
already passed disclosure control, so the report cannot show a count the marts withhold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

_SQL = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class Count:
    """A published count (``people`` None: withheld)."""

    label: str
    people: int | None
    share: float | None = None


@dataclass
class ReportData:
    """Everything the ecosystem report charts and tabulates."""

    about: dict[str, str]
    segments: list[dict[str, str]]
    sizes: list[Count]
    everyone: int | None
    combinations: list[Count]
    reach: dict[str, list[Count]]
    trends: dict[str, list[Count]]
    months: list[str]
    evaluation: list[dict[str, object]]
    missing: dict[str, dict[str, float | None]] = field(default_factory=dict)


def multi_sector_share(
    combinations: list[Count], everyone: int | None, max_noise: int = 0
) -> tuple[float, float]:
    """Bounds that hold on the share of people known to 2+ sectors: ``(low, high)``.

    Every shown number is its true count within ``max_noise`` (and at least 1: a row means
    someone); a listed withheld combination holds at least 1; unlisted ones (withheld
    combinations have no row) hold the rest of everyone, in either group. So the true share
    lies between the fewest multi-sector people over the most people, and all but the fewest
    single- and no-sector people over the most people. ``(nan, nan)``: nobody published.
    """
    if not everyone:
        return (float("nan"), float("nan"))
    most = everyone + max_noise

    def fewest(multi: bool) -> int:
        return sum(
            1 if c.people is None else max(1, c.people - max_noise)
            for c in combinations
            if ("+" in c.label) == multi
        )

    return (min(1.0, fewest(True) / most), max(0.0, 1.0 - fewest(False) / most))


def shown_multi_sector_share(combinations: list[Count], everyone: int | None) -> float:
    """The share as shown: shown multi-sector combinations over everyone (nan: nobody)."""
    if not everyone:
        return float("nan")
    return sum(c.people or 0 for c in combinations if "+" in c.label) / everyone


def share_text(shown: float, low: float, high: float) -> str:
    """A headline share as the report states it: the shown share when the bounds keep it within
    1 point of the truth, else the bounds (rounded outwards, so they still hold)."""
    if shown != shown:  # nan: nobody published
        return "-"
    if high - shown <= 0.01 and shown - low <= 0.01:
        return f"{shown:.0%}"
    return f"at least {math.floor(low * 100)}% and at most {math.ceil(high * 100)}%"


def _rows(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[Any, ...]]:
    return con.execute((_SQL / f"{name}.sql").read_text()).fetchall()


def marts_release(marts_db: Path) -> tuple[str, int]:
    """The version and threshold of the published marts (from their ``about`` table)."""
    with duckdb.connect(str(marts_db), read_only=True) as con:
        about: dict[str, str] = dict(_rows(con, "about"))
    return about["version"], int(about["threshold"])


def read_report_data(marts_db: Path) -> ReportData:
    """Read the report's numbers from ``marts_db`` (opened read-only)."""
    with duckdb.connect(str(marts_db), read_only=True) as con:
        about: dict[str, str] = dict(_rows(con, "about"))
        segments = [
            {"segment": r[0], "description": r[1], "owner": r[2], "version": r[3], "rule": r[4]}
            for r in _rows(con, "segments")
        ]
        sizes_rows = _rows(con, "sizes")
        combos = [Count(r[0], r[1]) for r in _rows(con, "combinations")]
        reach: dict[str, list[Count]] = {}
        missing: dict[str, dict[str, float | None]] = {}
        for segment, sector, reached, people, share in _rows(con, "reach"):
            if reached:
                reach.setdefault(segment, []).append(Count(sector, people, share))
            else:
                missing.setdefault(segment, {})[sector] = share
        trends: dict[str, list[Count]] = {}
        months = sorted({r[1] for r in _rows(con, "trends")})
        for segment, month, people in _rows(con, "trends"):
            trends.setdefault(segment, []).append(Count(month, people))
        evaluation = [
            {
                "program": r[0],
                "cohort": r[1],
                "people": r[2],
                "before": r[3],
                "after": r[4],
                "change": r[5],
                "did": r[6],
                "first_month": r[7],
                "last_month": r[8],
            }
            for r in _rows(con, "evaluation")
        ]
    everyone = next((r[1] for r in sizes_rows if r[0] == "all_people"), None)
    sizes = [Count(r[0], r[1], r[2]) for r in sizes_rows if r[0] != "all_people"]
    return ReportData(
        about=about,
        segments=segments,
        sizes=sizes,
        everyone=everyone,
        combinations=combos,
        reach=reach,
        trends=trends,
        months=months,
        evaluation=evaluation,
        missing=missing,
    )
