"""Build, protect and publish an analyst's ad hoc table under ``marts/adhoc/<name>/``.

The counts are read from the person-level features inside the hub and leave it only through
the one disclosure model: cell-key noise, threshold, and complementary suppression audited
together with every earlier ad hoc release (:mod:`warehouse.disclosure.ledger`).

Each count is a cell keyed ``("adhoc", population, zip3, age_band, sex, sector)`` with ``*`` for
a dimension summed over, so every margin over the chosen dimensions is a cell with its
relations, and the same people counted by two requests (ZIP3 alone, then ZIP3 x sex) share a
cell: the ledger audit attacks the new table together with the earlier ones and withholds
whatever would narrow a count withheld before.

Every combination of the categories found among everyone has a row, with 0 people or withheld
if need be, so a row tells nothing about who is there. For the ledger those cells are also
*sparse*: a cell that another ad hoc table does not list is unknown there (not 0), so tables of
different breakdowns can be attacked together (:func:`warehouse.disclosure.attacks.
differencing`) without its "no count moved by more than ``change``" premise failing.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import combinations, product
from pathlib import Path
from typing import Any, Final

import duckdb

from kernel import clock
from kernel.home import HubHome
from warehouse.adhoc.request import DIMENSIONS, AdhocError, AdhocRequest, Condition
from warehouse.disclosure import (
    DEFAULT_MAX_NOISE,
    DEFAULT_THRESHOLD,
    CellKey,
    CellSet,
    DisclosureError,
    protect,
)
from warehouse.disclosure.attacks import Release
from warehouse.disclosure.ledger import DEFAULT_WINDOW, load_ledger, record_release
from warehouse.marts.publish import perturbation
from warehouse.publish import Publication, new_version, publish_dir

_SQL = Path(__file__).parent / "sql"
OUTPUT: Final = "adhoc"
ALL: Final = "*"
WITHHELD: Final = "withheld"


@dataclass(frozen=True)
class AdhocResult:
    """What :func:`build_table` published (counts as published: None means withheld)."""

    request: AdhocRequest
    as_of: date
    threshold: int
    rows: list[dict[str, Any]]
    cells: int
    withheld: int
    ledger_releases: int
    release_id: str
    publication: Publication

    @property
    def path(self) -> Path:
        return self.publication.path


def collect(
    con: duckdb.DuckDBPyConnection, request: AdhocRequest
) -> tuple[CellSet, list[tuple[str, ...]]]:
    """The request's counts and every margin over its dimensions, linked as cells.

    Returns the cells and the row keys in table order (finest first, grand total last).
    """
    if request.segment is not None:
        known = {r[0] for r in con.execute("SELECT segment FROM segments.definitions").fetchall()}
        if request.segment not in known:
            raise AdhocError(
                f"segment {request.segment!r} does not exist; known: {', '.join(sorted(known))}"
            )
    finest = _counts(con, request.by, request.conditions, request.segment)
    # Every combination of the categories found among everyone (not among the people counted,
    # which would tell who is there) has a row, 0 or not: see the module docstring.
    everyone = _counts(con, request.by, (), None)
    categories = [sorted({labels[i] for labels in everyone}) for i in range(len(DIMENSIONS))]
    for labels in product(*categories):
        finest.setdefault(labels, 0)

    cells = CellSet()
    population = request.population
    levels = [set(s) for k in range(len(request.by), -1, -1) for s in combinations(request.by, k)]
    order: list[tuple[str, ...]] = []
    by_level: list[dict[tuple[str, ...], int]] = []
    for kept in levels:
        counts: dict[tuple[str, ...], int] = defaultdict(int)
        for labels, people in finest.items():
            counts[_coarsen(labels, kept)] += people
        by_level.append(counts)
        for labels in sorted(counts):
            key = ("adhoc", population, *labels)
            order.append(key)
            cells.add(key, counts[labels])
    # Structural (a row whatever the count) and, for the ledger's differencing attack, sparse:
    # a cell another ad hoc table does not list is unknown there, not 0.
    cells.structural.update(cells.values)
    cells.sparse.update(cells.values)
    # Each margin is the sum of its cells one dimension finer, along every dimension it sums.
    for kept, counts in zip(levels, by_level, strict=True):
        for dim in (d for d in request.by if d not in kept):
            finer = kept | {dim}
            parts: dict[tuple[str, ...], list[CellKey]] = defaultdict(list)
            for labels in by_level[levels.index(finer)]:
                parts[_coarsen(labels, kept)].append(("adhoc", population, *labels))
            for labels in counts:
                cells.add_total(("adhoc", population, *labels), parts[labels])
    return cells, order


def _counts(
    con: duckdb.DuckDBPyConnection,
    by: tuple[str, ...],
    conditions: tuple[Condition, ...],
    segment: str | None,
) -> dict[tuple[str, ...], int]:
    """People meeting ``conditions`` (and in the segment) by the chosen dimensions."""
    # Always one condition (never empty lists for the SQL), and deceased people never count.
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for *labels, people in con.execute(
        (_SQL / "adhoc_counts.sql").read_text(),
        {
            "features": [c.feature for c in conditions] + ["deceased"],
            "operators": [c.operator for c in conditions] + ["="],
            "values": [c.value for c in conditions] + [0],
            "segment": segment,
        },
    ).fetchall():
        chosen = dict(zip(DIMENSIONS, labels, strict=True))
        counts[_labels(chosen, set(by))] += int(people)
    return counts


def _labels(values: dict[str, str], kept: set[str]) -> tuple[str, ...]:
    return tuple(values[d] if d in kept else ALL for d in DIMENSIONS)


def _coarsen(labels: tuple[str, ...], kept: set[str]) -> tuple[str, ...]:
    return _labels(dict(zip(DIMENSIONS, labels, strict=True)), kept)


def build_table(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    request: AdhocRequest,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    max_noise: int = DEFAULT_MAX_NOISE,
    ledger_window: int = DEFAULT_WINDOW,
    run_id: str | None = None,
) -> AdhocResult:
    """Count, protect against the ledger, record the release and publish CSV + parquet.

    Writes ``<home>/marts/adhoc/<name>/`` (``table.csv``, ``table.parquet``, ``about.json``):
    one row per shown or withheld count (``people`` empty and ``status`` ``withheld`` where
    withheld), every margin with ``all`` in place of the dimension summed over.

    Raises:
        AdhocError: the request names an unknown segment, or features are missing.
        DisclosureError: the counts could not be protected; nothing is published.
    """
    ((as_of,),) = con.execute("SELECT max(as_of_date) FROM features.person_features").fetchall()
    if as_of is None:
        raise AdhocError("no person features yet: run the features step first")
    cells, order = collect(con, request)
    ledger = load_ledger(con, OUTPUT, ledger_window, threshold=threshold, max_noise=max_noise)
    protection = protect(cells, threshold, perturbation(home, max_noise), ledger)
    if protection.ledger_exposed:
        # The marts publish and report this; an ad hoc table is optional, so it is refused.
        raise DisclosureError(
            f"table {request.name!r} would narrow {protection.ledger_exposed} count(s) withheld "
            "in an earlier ad hoc table; ask for fewer dimensions or a broader population"
        )
    rows = []
    for key in order:  # every cell has a row (structural)
        people = protection.shown.get(key)
        labels = dict(zip(DIMENSIONS, key[2:], strict=True))
        rows.append(
            {
                **{d: "all" if labels[d] == ALL else labels[d] for d in request.by},
                "people": people,
                "status": "shown" if people is not None else WITHHELD,
            }
        )
    published_at = clock.now()
    version = new_version(published_at)
    release_id = f"{OUTPUT}:{request.name}:{version}"
    about = {
        "name": request.name,
        "population": request.population,
        "by": list(request.by),
        "as_of": as_of.isoformat(),
        "data_end_month": f"{as_of:%Y-%m}",
        "threshold": threshold,
        "max_noise": protection.max_noise,
        "cells": len(rows),
        "withheld": sum(1 for r in rows if r["people"] is None),
        "release_id": release_id,
        "note": (
            "Counts carry a small keyed noise (at most max_noise either way) and are withheld "
            "below the threshold or where, together with earlier ad hoc tables, they would let "
            "a withheld count be narrowed. Rows with 'all' are margins. Every combination of "
            "categories found among everyone has a row, whoever is there; deceased people are "
            "not counted. Features describe the 12 (or 6) months up to as_of, the date of the "
            "latest event the partners sent (its month: data_end_month)."
        ),
    }

    def build(folder: Path) -> dict[str, Any]:
        _write(folder, request, rows, about)
        # Recorded before the swap: a release that dies unpublished only makes audits stricter.
        record_release(
            con,
            OUTPUT,
            f"{request.name}:{version}",
            published_at,
            Release.of(cells, protection.suppressed, protection.shown, protection.max_noise),
            threshold,
        )
        return {"population": request.population, "cells": about["cells"]}

    publication = publish_dir(
        home,
        f"{OUTPUT}/{request.name}",
        home.marts / OUTPUT / request.name,
        build,
        run_id=run_id,
        version=version,
        con=con,
    )
    return AdhocResult(
        request=request,
        as_of=as_of,
        threshold=threshold,
        rows=rows,
        cells=len(rows),
        withheld=int(about["withheld"]),
        ledger_releases=len(ledger),
        release_id=release_id,
        publication=publication,
    )


def _write(
    folder: Path, request: AdhocRequest, rows: list[dict[str, Any]], about: dict[str, Any]
) -> None:
    columns = [*request.by, "people", "status"]
    with (folder / "table.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    with duckdb.connect() as out:
        # Values bound as lists; only the allow-listed column names are spliced in.
        out.execute(
            "CREATE TABLE adhoc AS SELECT "
            + ", ".join(f'unnest($c{i}) AS "{c}"' for i, c in enumerate(columns)),
            {f"c{i}": [r[c] for r in rows] for i, c in enumerate(columns)},
        )
        out.table("adhoc").write_parquet(str(folder / "table.parquet"))
    (folder / "about.json").write_text(json.dumps(about, indent=2) + "\n")
