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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations, product
from pathlib import Path
from typing import Any, Final

import duckdb

from kernel import clock
from kernel.home import HubHome
from warehouse.adhoc.request import (
    DIMENSIONS,
    MONTH,
    AdhocError,
    AdhocRequest,
    Condition,
    allowed,
    implies,
    month_text,
    parse_population,
    population_text,
    rule_conditions,
)
from warehouse.disclosure import (
    DEFAULT_MAX_NOISE,
    DEFAULT_THRESHOLD,
    CellKey,
    CellSet,
    DisclosureError,
    protect,
)
from warehouse.disclosure.attacks import Release, differencing
from warehouse.disclosure.ledger import DEFAULT_WINDOW, load_ledger, record_release
from warehouse.disclosure.suppression import DEFAULT_CHANGE
from warehouse.marts.publish import OUTPUT as MARTS
from warehouse.marts.publish import perturbation
from warehouse.marts.tables import ALL_PEOPLE
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


@dataclass(frozen=True)
class Entry:
    """One row of the table: its segment row group (None: no segment dimension; ``all``:
    everyone asked for), its labels in :data:`DIMENSIONS` order (``*`` summed over), its cell."""

    segment: str | None
    labels: tuple[str, ...]
    key: CellKey


@dataclass(frozen=True)
class Population:
    """People counted by one block of cells: meeting ``conditions`` in a month of ``months``
    (first, last month index), in ``segment`` if given. ``marts``: the marts' population with
    the same people (a segment, or ``all_people``), whose cell keys it then shares."""

    conditions: tuple[Condition, ...]
    segment: str | None
    months: tuple[int, int]
    text: str
    marts: str | None


class Data:
    """What a request is counted against: the reference months and the segments."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.months = [
            m.year * 12 + m.month - 1
            for (m,) in con.execute(
                "SELECT month FROM features.reference_months ORDER BY month"
            ).fetchall()
        ]
        if not self.months:
            raise AdhocError("no person features yet: run the features step first")
        self.latest = self.months[-1]
        self.rules = {
            name: rule_conditions(rule)
            for name, rule in con.execute(
                "SELECT segment, rule FROM segments.definitions ORDER BY 1"
            ).fetchall()
        }

    def population(self, conditions: tuple[Condition, ...], segment: str | None) -> Population:
        """Resolve the month conditions and find the marts' population with the same people."""
        if segment is not None and segment not in self.rules:
            raise AdhocError(
                f"segment {segment!r} does not exist; known: {', '.join(sorted(self.rules))}"
            )
        timed = tuple(c for c in conditions if c.feature == MONTH)
        others = tuple(c for c in conditions if c.feature != MONTH)
        low, high = (allowed(timed) or {}).get(MONTH, (self.latest, self.latest))
        if timed and allowed(timed) is None:
            low, high = 1, 0
        chosen = [m for m in self.months if low <= m <= high]
        if not chosen:
            raise AdhocError(
                f"{' and '.join(c.text for c in timed)}: no data for those months; the "
                f"reference months are {month_text(self.months[0])} to {month_text(self.latest)}"
            )
        months = (chosen[0], chosen[-1])
        if months == (self.latest, self.latest):
            timed = ()  # the latest month is what a request without a month counts
        marts = None
        if not timed:
            if segment is None and not others:
                marts = ALL_PEOPLE
            for name, rule in self.rules.items():
                same = rule is not None and implies(others, rule) and implies(rule, others)
                within = segment == name and implies(rule or (), others)
                if segment in (None, name) and (same or within):
                    marts = name
        text = population_text(others + timed, segment)
        if marts is not None and marts != ALL_PEOPLE:
            text = population_text((), marts)  # one key whichever way the segment is asked
        return Population(others + timed, segment, months, text, marts)

    def within(self, narrow: Population, broad: Population) -> bool:
        """Everyone ``narrow`` counts is counted by ``broad`` (False when unsure: a relation
        left out only weakens the audit's adversary, a wrong one would make it unsound)."""
        if not broad.months[0] <= narrow.months[0] <= narrow.months[1] <= broad.months[1]:
            return False
        # Met in some month of the narrow range, which the broad range holds: the conditions
        # below are judged in that one month.
        have = narrow.conditions + (self.rules.get(narrow.segment or "") or ())
        if broad.segment not in (None, narrow.segment):
            rule = self.rules.get(broad.segment)
            if rule is None or not implies(have, rule):
                return False
        features = tuple(c for c in broad.conditions if c.feature != MONTH)
        return implies(tuple(c for c in have if c.feature != MONTH), features)

    def counts(self, population: Population, by: tuple[str, ...]) -> dict[tuple[str, ...], int]:
        """The population's people by the dimensions ``by`` (others ``*``)."""
        counts: dict[tuple[str, ...], int] = defaultdict(int)
        features = [c for c in population.conditions if c.feature != MONTH]
        first, last = (date(m // 12, m % 12 + 1, 1) for m in population.months)
        for *labels, people in self.con.execute(
            (_SQL / "adhoc_counts.sql").read_text(),
            {
                # Always one condition (never empty lists for the SQL).
                "features": [c.feature for c in features] + ["deceased"],
                "operators": [c.operator for c in features] + ["="],
                "values": [c.value for c in features] + [0],
                "segment": population.segment,
                "first": first,
                "last": last,
            },
        ).fetchall():
            chosen = dict(zip(DIMENSIONS, labels, strict=True))
            counts[_labels(chosen, set(by))] += int(people)
        return counts


# Which dimensions a cell sums over (True: ``*``), in DIMENSIONS order: the level of a table.
Pattern = tuple[bool, ...]
# The levels the marts publish for each population: its size, age band x sex x ZIP3 (segment
# counts) and sector combination (sector overlap).
MARTS_LEVELS: Final[frozenset[Pattern]] = frozenset(
    {(True, True, True, True), (False, False, False, True), (True, True, True, False)}
)


def collect(
    con: duckdb.DuckDBPyConnection,
    request: AdhocRequest,
    data: Data | None = None,
    published: Sequence[Release] = (),
) -> tuple[CellSet, list[Entry]]:
    """The request's counts and every margin over its dimensions, linked as cells.

    ``published``: the marts and ad hoc releases the request is audited with. Every population
    they count (and every marts segment) that is nested in one of the request's, or holds one,
    brings its cells at the levels it was published at and the request has too, with the
    subset relations (``narrow <= broad``, label by label): so the audit sees that, say, a
    3+ ED visits table minus the published 4+ segment is the people with exactly 3. Those cells
    have no row in the table (their numbers are the ones already published).

    Returns the cells and the rows in table order (per segment row group: finest first, grand
    total last).
    """
    data = Data(con) if data is None else data
    labels = request.labels
    # Every combination of the categories found among everyone (not among the people counted,
    # which would tell who is there) has a row, 0 or not: see the module docstring.
    everyone = data.counts(data.population((), None), labels)
    categories = [sorted({found[i] for found in everyone}) for i in range(len(DIMENSIONS))]
    groups: list[tuple[str | None, Population]] = [
        (
            None if "segment" not in request.by else "all",
            data.population(request.conditions, request.segment),
        )
    ]
    if "segment" in request.by:
        groups += [(s, data.population(request.conditions, s)) for s in sorted(data.rules)]

    cells = CellSet()
    entries: list[Entry] = []
    levels = [set(s) for k in range(len(labels), -1, -1) for s in combinations(labels, k)]
    latest = month_text(data.latest)
    blocks: list[dict[tuple[str, ...], CellKey]] = []
    for group, population in groups:
        finest = data.counts(population, labels)
        for found in product(*categories):
            finest.setdefault(found, 0)
        keys: dict[tuple[str, ...], CellKey] = {}
        by_level: list[dict[tuple[str, ...], int]] = []
        for kept in levels:
            counts: dict[tuple[str, ...], int] = defaultdict(int)
            for found, people in finest.items():
                counts[_coarsen(found, kept)] += people
            by_level.append(counts)
            for found in sorted(counts):
                key = cells.add(cell_key(population, latest, found), counts[found])
                keys[found] = key
                entries.append(Entry(group, found, key))
        # Each margin is the sum of its cells one dimension finer, along every dimension.
        for kept, counts in zip(levels, by_level, strict=True):
            for dim in (d for d in labels if d not in kept):
                parts: dict[tuple[str, ...], list[CellKey]] = defaultdict(list)
                for found in by_level[levels.index(kept | {dim})]:
                    parts[_coarsen(found, kept)].append(keys[found])
                for found in counts:
                    cells.add_total(keys[found], parts[found])
        blocks.append(keys)
        if population.marts is not None:  # the grand total is the marts' size (see cell_key)
            total = keys[(ALL,) * len(DIMENSIONS)]
            size = cells.add(("size", population.marts, latest), cells.values[total])
            cells.add_le({total: 1, size: -1})
            cells.add_le({size: 1, total: -1})
            if not {"zip3", "age_band", "sex"} <= set(labels):
                _tie_to_marts_counts(cells, data, population, latest, keys)
    # A segment's people are among everyone asked for: each of its cells is at most the
    # everyone cell of the same labels.
    for keys in blocks[1:]:
        for found, key in keys.items():
            if key != blocks[0][found]:
                cells.add_le({key: 1, blocks[0][found]: -1})
    asked = {tuple(label == ALL for label in found) for found in blocks[0]}
    for other, levels_published in _published_populations(data, published):
        for (_, population), keys in zip(groups, blocks, strict=True):
            narrow = other if data.within(other, population) else None
            if narrow is None and data.within(population, other):
                narrow = population
            if narrow is None or other.text == population.text:
                continue
            for pattern in levels_published & asked:
                kept = {d for d, summed in zip(DIMENSIONS, pattern, strict=True) if not summed}
                counts = data.counts(other, tuple(kept))
                for found, key in keys.items():
                    if tuple(label == ALL for label in found) != pattern:
                        continue
                    theirs = cells.add(_their_key(other, latest, found), counts.get(found, 0))
                    small, large = (theirs, key) if narrow is other else (key, theirs)
                    cells.add_le({small: 1, large: -1})
    # Structural (a row whatever the count) and, for the ledger's differencing attack, sparse:
    # a cell another table does not list is unknown there, not 0.
    cells.structural.update(cells.values)
    cells.sparse.update(cells.values)
    return cells, entries


def audited_with(
    con: duckdb.DuckDBPyConnection,
    threshold: int = DEFAULT_THRESHOLD,
    max_noise: int = DEFAULT_MAX_NOISE,
    window: int = DEFAULT_WINDOW,
) -> list[Release]:
    """What an ad hoc table is attacked with: the latest marts release, then the last
    ``window`` ad hoc releases (oldest first).

    The marts' cells count as *sparse* here: an ad hoc release does not list them, and the
    differencing attack reads a non-sparse cell missing from a release as 0 there, which makes
    its program infeasible at once (and an infeasible ledger attack is skipped).
    """
    marts = [
        Release(r.shown, r.constraints, r.max_noise, r.structural, r.sparse | frozenset(r.shown))
        for r in load_ledger(con, MARTS, 1, threshold=threshold, max_noise=max_noise)
    ]
    return [*marts, *load_ledger(con, OUTPUT, window, threshold=threshold, max_noise=max_noise)]


def _attack_once_more(
    request: AdhocRequest, ledger: Sequence[Release], release: Release, threshold: int
) -> None:
    """The table as it would be published, attacked with the ledger; raises DisclosureError.

    :func:`warehouse.disclosure.protect` skips its ledger attack when that program is
    infeasible (a count moved by more than the ledger's ``change`` since a release it is
    attacked with: new data since the marts were published); that must stop an optional
    table, not publish it unaudited.
    """
    try:
        narrowed = differencing([*ledger, release], DEFAULT_CHANGE, threshold).narrowed
    except ValueError:
        raise DisclosureError(
            f"table {request.name!r}: the data changed since the marts or an earlier ad hoc "
            f"table were published by more than the audit allows ({DEFAULT_CHANGE} people "
            "per count); publish the marts again (analyst_marts), then ask again"
        ) from None
    if narrowed:
        raise DisclosureError(
            f"table {request.name!r} would narrow {len(narrowed)} count(s) withheld in the "
            "marts, an earlier ad hoc table or itself; ask for fewer dimensions or a broader "
            "population"
        )


def _tie_to_marts_counts(
    cells: CellSet,
    data: Data,
    population: Population,
    latest: str,
    keys: dict[tuple[str, ...], CellKey],
) -> None:
    """Margins of a marts population that the marts do not publish (ZIP3 alone, age band x
    sex, ...) add up the marts' age band x sex x ZIP3 counts: bring those counts (as the marts
    published them; no row here) and the margins' sums, so the audit sees it."""
    fine = ("zip3", "age_band", "sex")
    summed = [f for f in keys if f[3] == ALL and ALL in f[:3] and f[:3] != (ALL, ALL, ALL)]
    if not summed:
        return
    counts = data.counts(population, fine)
    everyone = data.counts(data.population((), None), fine)
    categories = [sorted({f[i] for f in everyone}) for i in range(3)]
    parts = {
        (*f, ALL): cells.add(cell_key(population, latest, (*f, ALL)), counts.get((*f, ALL), 0))
        for f in product(*categories)
    }
    for found in summed:
        inside = [
            key
            for f, key in parts.items()
            if all(a in (ALL, b) for a, b in zip(found[:3], f[:3], strict=True))
        ]
        cells.add_total(keys[found], inside)


def _their_key(population: Population, latest: str, labels: tuple[str, ...]) -> CellKey:
    """An earlier population's cell as published: a marts population's total is its size
    (here a cell of an inequality, never the total of a margin: see :func:`cell_key`)."""
    if population.marts is not None and all(label == ALL for label in labels):
        return ("size", population.marts, latest)
    return cell_key(population, latest, labels)


def _published_populations(
    data: Data, published: Sequence[Release]
) -> list[tuple[Population, frozenset[Pattern]]]:
    """The populations of the earlier releases (ad hoc ones from their cell keys; the marts'
    segments and all_people) with the levels each was published at."""
    levels: dict[str, set[Pattern]] = defaultdict(set)
    for release in published:
        for key in release.shown:
            if isinstance(key, tuple) and len(key) == 2 + len(DIMENSIONS) and key[0] == OUTPUT:
                levels[key[1]].add(tuple(label == ALL for label in key[2:]))
    found: dict[str, tuple[Population, frozenset[Pattern]]] = {}
    for segment in [None, *data.rules] if published else []:
        population = data.population((), segment)
        found[population.text] = (population, MARTS_LEVELS)
    for text, patterns in levels.items():
        try:
            population = data.population(*parse_population(text))
        except AdhocError:  # a segment since removed, or months no longer in the data
            continue
        known = found.get(population.text, (population, frozenset()))[1]
        found[population.text] = (population, known | frozenset(patterns))
    return list(found.values())


def cell_key(population: Population, latest: str, labels: tuple[str, ...]) -> CellKey:
    """The cell of ``population`` at ``labels``: the marts' own key where the marts publish the
    same count (segment x age band x sex x ZIP3, segment x sector combination), so that the
    ledger attacks both as one; else ``("adhoc", population, *labels)``.

    Not the segment's size: the ledger's attack reads a total's parts in one release as
    unlisted parts of the same total in another (:func:`warehouse.disclosure.attacks.
    differencing`), which holds for the marts' nightly tables but not across breakdowns; the
    grand total is tied to the size by :func:`collect` with two inequalities instead."""
    zip3, age_band, sex, sector = labels
    if population.marts is not None:
        if sector == ALL and ALL not in (zip3, age_band, sex):
            return ("count", population.marts, latest, age_band, sex, zip3)
        if (zip3, age_band, sex) == (ALL, ALL, ALL) and sector != ALL:
            return ("combo", population.marts, sector)
    return ("adhoc", population.text, *labels)


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
    # One model with the marts: the latest marts release first (the ad hoc cells that are the
    # marts' own share its keys), then the earlier ad hoc tables.
    ledger = audited_with(con, threshold, max_noise, ledger_window)
    cells, entries = collect(con, request, published=ledger)
    # A cell the marts (or an earlier table) showed shows the same number here.
    shown_before: dict[CellKey, int] = {}
    for release in ledger:
        for cell, number in release.shown.items():
            if number is not None and cell in cells.values:
                shown_before.setdefault(cell, number)
    protection = protect(
        cells, threshold, perturbation(home, max_noise), ledger, shown_before=shown_before
    )
    if protection.ledger_exposed:
        # The marts publish and report this; an ad hoc table is optional, so it is refused.
        raise DisclosureError(
            f"table {request.name!r} would narrow {protection.ledger_exposed} count(s) withheld "
            "in the marts or an earlier ad hoc table; ask for fewer dimensions or a broader "
            "population"
        )
    release = Release.of(cells, protection.suppressed, protection.shown, protection.max_noise)
    if ledger:
        _attack_once_more(request, ledger, release, threshold)
    rows = []
    for entry in entries:  # every cell has a row (structural)
        people = protection.shown.get(entry.key)
        labels = dict(zip(DIMENSIONS, entry.labels, strict=True))
        if entry.segment is not None:
            labels["segment"] = entry.segment
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
            "below the threshold or where, together with the published marts and earlier ad "
            "hoc tables, they would let a withheld count be narrowed. Rows with 'all' are "
            "margins (segment 'all': everyone asked for, in any segment or none). Every "
            "combination of categories found among everyone has a row, whoever is there; "
            "deceased people are not counted. Features describe the 12 (or 6) months up to "
            "the end of each reference month; without a month condition the latest one, "
            "as_of, the date of the latest event the partners sent (its month: "
            "data_end_month; a table made later still ends there)."
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
            release,
            threshold,
        )
        return {"population": request.population, "cells": about["cells"], "as_of": about["as_of"]}

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


def table(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    name: str,
    *,
    rows: str | Sequence[str] = "zip3",
    cols: str | Sequence[str] = (),
    where: str | Sequence[str] = (),
    segment: str | None = None,
) -> AdhocResult:
    """``carehub marts table`` from Python, with the same parameters.

    ``table(con, home, "ed-by-zip3", rows="zip3", cols="segment", where="month >= '2026-01'")``
    builds, protects and publishes ``marts/adhoc/ed-by-zip3/``; the result's ``rows`` hold the
    published counts (None: withheld).
    """

    def listed(value: str | Sequence[str]) -> list[str]:
        return [value] if isinstance(value, str) else list(value)

    request = AdhocRequest.parse(name, listed(where), listed(rows), segment, cols=listed(cols))
    return build_table(con, home, request)


# The common questions the marts' tables leave open (their only ZIP3 and age band counts are
# by age band x sex x ZIP3, mostly withheld): every segment per ZIP3 and per age band.
MARGIN_TABLES: Final = (("segments-by-zip3", "zip3"), ("segments-by-age-band", "age_band"))


def margin_tables(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    run_id: str | None = None,
) -> list[AdhocResult]:
    """Publish :data:`MARGIN_TABLES` (latest month, a row group per segment and everyone) as
    ad hoc tables beside the marts, under ``marts/adhoc/<name>/``, audited like any other."""
    return [
        build_table(
            con,
            home,
            AdhocRequest(name, (), (rows, "segment"), None, ("segment",)),
            threshold,
            run_id=run_id,
        )
        for name, rows in MARGIN_TABLES
    ]


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
