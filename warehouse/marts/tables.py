"""The published tables as linked cells: read aggregates from the hub, protect them together.

Each published count is a cell (:class:`warehouse.disclosure.CellSet`). Rows of different tables
that count the same people share a cell, and every margin an analyst could compute is a relation:

* ``segment_trends[s, m]`` = sum of ``segment_counts[s, m, *, *, *]``;
* ``segment_sizes[s]`` = ``segment_trends[s, latest month]`` = sum of ``sector_overlap[s, *]``;
* ``sector_reach[s, sector, reached]`` = sum of ``sector_overlap[s, c]`` over combinations ``c``
  with (without) the sector, and reached + not reached = ``segment_sizes[s]``;
* ``segment_overlap[a, b]`` <= both sizes, and >= ``size[a] + size[b] - size[all_people]``;
* every segment is a subset of ``all_people``: each of its sizes, sector combinations and
  sector reach counts is at most the same count of ``all_people``.
  (``segment_counts`` cells are left out of the subset relations: each is bounded by a cell of
  ``all_people`` that the audit keeps at least threshold wide itself, and adding them would
  join every withheld count of a month into one program.)

``program_evaluation`` groups stand alone (their counts are not margins of any other table).

Rows: ``segment_sizes`` and ``segment_trends`` list every population and month (structural
cells: the row exists whatever the count, a withheld one shows ``people`` NULL). Every other
table lists only the rows whose count is shown (sparse cells): a withheld combination has no
row at all, so neither a row nor its absence says that anyone is there, in one publication or
between two (:class:`warehouse.disclosure.CellSet`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import duckdb

from contract.vocabulary import SECTORS, SERVICES
from warehouse.disclosure import CellKey, CellSet, SuppressionResult

_SQL = Path(__file__).parent / "sql"
ALL_PEOPLE: Final = "all_people"
PROGRAMS: Final = ("any_cbo_service", "housing_services", "food_services", "case_management")


@dataclass
class PublishedRow:
    """One row of a published table; ``cell`` is the count it shows (None: no count)."""

    values: dict[str, Any]
    cell: CellKey | None


@dataclass
class MartCells:
    """Every table to publish, as rows pointing at cells, and the cells with their relations."""

    as_of: date
    latest_month: str
    cells: CellSet = field(default_factory=CellSet)
    tables: dict[str, list[PublishedRow]] = field(default_factory=lambda: defaultdict(list))
    evaluation: list[dict[str, Any]] = field(default_factory=list)

    def row(self, table: str, values: dict[str, Any], cell: CellKey | None) -> None:
        self.tables[table].append(PublishedRow(values, cell))


def _size(segment: str, month: str) -> CellKey:
    return ("size", segment, month)


def collect(con: duckdb.DuckDBPyConnection, as_of: date) -> MartCells:
    """Read the aggregates from ``hub.duckdb`` and link them as cells (nothing suppressed yet)."""
    latest = f"{as_of.year:04d}-{as_of.month:02d}"
    mart = MartCells(as_of=as_of, latest_month=latest)
    cells = mart.cells
    segments = [
        row[0]
        for row in con.execute("SELECT segment FROM segments.definitions ORDER BY 1").fetchall()
    ]
    populations = [ALL_PEOPLE, *segments]

    # segment_counts and their margins, segment_trends.
    blocks: dict[tuple[str, str], list[CellKey]] = defaultdict(list)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for segment, month, age_band, sex, zip3, people in con.execute(
        (_SQL / "segment_cells.sql").read_text()
    ).fetchall():
        key = cells.add(("count", segment, month, age_band, sex, zip3), people)
        blocks[segment, month].append(key)
        totals[segment, month] += int(people)
        mart.row(
            "segment_counts",
            {"segment": segment, "month": month, "age_band": age_band, "sex": sex, "zip3": zip3},
            key,
        )
    # Sizes have a row for every population and month, whatever the count (structural), so a
    # segment's row appearing or vanishing between publications tells nothing.
    months = sorted({month for _, month in blocks} | {latest})
    for segment in populations:
        for month in months:
            total = cells.add(_size(segment, month), totals.get((segment, month), 0))
            if (segment, month) in blocks:  # (no parts: "0 = nothing" is no public fact)
                cells.add_total(total, blocks[segment, month])
            cells.structural.add(total)
            mart.row("segment_trends", {"segment": segment, "month": month}, total)
        mart.row("segment_sizes", {"segment": segment, "month": latest}, _size(segment, latest))

    # sector_overlap (exclusive combinations) and sector_reach (set sizes): rows where people
    # are (listing every combination would join the segments' withheld rows into one program).
    found = {
        (segment, combination or "none"): int(people)
        for segment, combination, people in con.execute(
            (_SQL / "sector_cells.sql").read_text()
        ).fetchall()
    }
    for segment in populations:
        entries = []
        for combination in sorted(c for s, c in found if s == segment):
            key = cells.add(("combo", segment, combination), found[segment, combination])
            entries.append((combination, key))
            members = set(combination.split("+"))
            flags = {sector: sector in members for sector in SECTORS}
            mart.row(
                "sector_overlap",
                {
                    "segment": segment,
                    "sector_combination": combination,
                    **flags,
                    "n_sectors": sum(flags.values()),
                },
                key,
            )
        size = _size(segment, latest)
        if not entries or size not in cells.values:
            continue
        cells.add_total(size, [key for _, key in entries])
        for sector in SECTORS:
            split = []
            for reached in (True, False):
                parts = [
                    key
                    for combination, key in entries
                    if (sector in combination.split("+")) == reached
                ]
                value = sum(cells.values[p] for p in parts)
                if value == 0:
                    continue
                reach = cells.add(("reach", segment, sector, reached), value)
                cells.add_total(reach, parts)
                split.append(reach)
                mart.row(
                    "sector_reach",
                    {"segment": segment, "sector": sector, "reached": reached},
                    reach,
                )
            # Reached + not reached = the segment: an analyst subtracts, so does the adversary.
            if len(split) == 2:
                cells.add_total(size, split)

    # Every segment is a subset of all_people (a public fact: all_people is everyone).
    keys: list[tuple[Any, ...]] = [k for k in cells.values if isinstance(k, tuple)]
    for key in keys:
        if key[0] in ("combo", "reach", "size") and key[1] != ALL_PEOPLE:
            whole = (key[0], ALL_PEOPLE, *key[2:])
            if whole in cells.values:
                cells.add_le({key: 1, whole: -1})

    # segment_overlap: bounded by both sizes and by inclusion-exclusion with all_people.
    everyone = _size(ALL_PEOPLE, latest)
    pairs = {
        (a, b): int(people)
        for a, b, people in con.execute((_SQL / "overlap_cells.sql").read_text()).fetchall()
    }
    for (segment_a, segment_b), people in sorted(pairs.items()):
        key = cells.add(("pair", segment_a, segment_b), people)
        size_a, size_b = _size(segment_a, latest), _size(segment_b, latest)
        cells.add_le({key: 1, size_a: -1})
        cells.add_le({key: 1, size_b: -1})
        if everyone in cells.values:
            cells.add_le({size_a: 1, size_b: 1, everyone: -1, key: -1})
        mart.row("segment_overlap", {"segment_a": segment_a, "segment_b": segment_b}, key)

    # Every other table lists a row only where its count is shown (sparse): a withheld
    # combination has no row, so rows that appear or vanish between publications tell nothing.
    cells.sparse.update(k for k in cells.values if k not in cells.structural)

    # program_evaluation: stand-alone groups.
    for row in con.execute(
        (_SQL / "evaluation.sql").read_text(), {"as_of": as_of, "services": list(SERVICES)}
    ).fetchall():
        program, cohort, people, before, after, first_month, last_month = row
        key = cells.add(("evaluation", program, cohort), people)
        cells.sparse.add(key)
        mart.evaluation.append(
            {
                "program": program,
                "cohort": cohort,
                "before": float(before),
                "after": float(after),
                "first_index_month": first_month,
                "last_index_month": last_month,
                "cell": key,
            }
        )
    return mart


def published_value(result: SuppressionResult, key: CellKey | None) -> int | None:
    """The number to show for ``key``: its perturbed count, or None when withheld."""
    if key is None:
        return None
    return result.shown.get(key)
