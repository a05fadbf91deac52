"""Build the analysts' ``marts.duckdb`` aside, with disclosure control, and swap it in."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from kernel import clock
from kernel.home import HubHome
from warehouse import dictionary
from warehouse.disclosure import (
    DEFAULT_MAX_NOISE,
    DEFAULT_THRESHOLD,
    DisclosureError,
    Perturbation,
    SuppressionResult,
    load_or_create_secret,
    protect,
)
from warehouse.disclosure.attacks import Release
from warehouse.disclosure.ledger import DEFAULT_WINDOW, load_ledger, record_release
from warehouse.features.sqlscript import run_script
from warehouse.marts.leaks import scan_for_leaks
from warehouse.marts.tables import ALL_PEOPLE, MartCells, collect, published_value
from warehouse.publish import Publication, new_version, publish_file

_SQL = Path(__file__).parent / "sql"
OUTPUT = "marts"
PERTURBATION_SECRET = "perturbation.secret"


def perturbation(home: HubHome, max_noise: int = DEFAULT_MAX_NOISE) -> Perturbation:
    """The hub's cell-key perturbation (its key in ``keys/perturbation.secret``, 0600)."""
    return Perturbation(load_or_create_secret(home.keys / PERTURBATION_SECRET), max_noise)


@dataclass(frozen=True)
class MartsResult:
    """What :func:`publish_marts` published.

    Every count here is the published (suppressed) value: None means withheld.

    Attributes:
        path: ``<home>/marts/marts.duckdb``.
        version: Publication version (also in table ``about``).
        as_of: Reference date of the features and segments.
        threshold: Smallest count shown.
        tables: table -> rows.
        cells: Counts considered for publication.
        suppressed_cells: Counts withheld (primary + complementary).
        primary_suppressed: Counts withheld for being 1 .. threshold-1.
        complementary_suppressed: Counts withheld so the small ones cannot be derived.
        audit_min_width: Narrowest LP interval of a withheld count (None: none needed an LP).
        ledger_releases: Earlier publications the audit attacked together with this one.
        ledger_exposed: Withheld counts still narrower than the threshold across them (0: none).
        segment_sizes: segment -> people now (published value).
        sector_overlap: (sector combination, people) for all_people, largest first.
        evaluation: program_evaluation rows as published.
        publication: The ``ops.publications`` record.
    """

    path: Path
    version: str
    as_of: date
    threshold: int
    tables: dict[str, int]
    cells: int
    suppressed_cells: int
    primary_suppressed: int
    complementary_suppressed: int
    audit_min_width: float | None
    ledger_releases: int
    ledger_exposed: int
    segment_sizes: dict[str, int | None]
    sector_overlap: list[tuple[str, int | None]]
    evaluation: list[dict[str, Any]] = field(default_factory=list)
    publication: Publication | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-friendly counts for Dagster metadata and ``ops.publications`` (no identifiers)."""
        return {
            "as_of": self.as_of.isoformat(),
            "threshold": self.threshold,
            "tables": self.tables,
            "cells": self.cells,
            "suppressed_cells": self.suppressed_cells,
            "primary_suppressed": self.primary_suppressed,
            "complementary_suppressed": self.complementary_suppressed,
            "audit_min_width": self.audit_min_width,
            "ledger_releases": self.ledger_releases,
            "ledger_exposed": self.ledger_exposed,
        }


def publish_marts(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    run_id: str | None = None,
    max_noise: int = DEFAULT_MAX_NOISE,
    ledger_window: int = DEFAULT_WINDOW,
) -> MartsResult:
    """Aggregate, protect and atomically publish ``marts/marts.duckdb``.

    Requires ``features.*`` and ``segments.*`` in ``hub.duckdb`` (see
    :func:`warehouse.features.build_features` and
    :func:`warehouse.segments.compute_membership`). Records the publication in
    ``ops.publications`` and its cells in the release ledger (:mod:`warehouse.disclosure.ledger`),
    and writes the data dictionary next to the mart
    (``marts/dictionary.md`` and ``.html``).

    Args:
        con: Connection to ``hub.duckdb``.
        home: The hub home.
        threshold: Smallest count shown (CMS: 11).
        run_id: The run that publishes.
        max_noise: Bound of the cell-key noise on every shown count.
        ledger_window: Earlier publications of the marts (``ops.disclosure_releases``) that
            the audit attacks together with this one; the release is recorded there too.

    Raises:
        DisclosureError: suppression could not protect a cell, or the leak scan found something;
            the previous mart stays published.
    """
    ((as_of,),) = con.execute("SELECT max(as_of_date) FROM features.person_features").fetchall()
    if as_of is None:
        raise DisclosureError("no person features to publish: run the features step first")
    mart = collect(con, as_of)
    # Attacked together with the earlier publications, so no sequence narrows a withheld count.
    ledger = load_ledger(con, OUTPUT, ledger_window, threshold=threshold, max_noise=max_noise)
    protection = protect(mart.cells, threshold, perturbation(home, max_noise), ledger)
    definitions = con.execute(
        "SELECT segment, description, owner, segment_version, rule_sql "
        "FROM segments.definitions ORDER BY segment"
    ).fetchall()
    published_at = clock.now()
    version = new_version(published_at)
    tables: dict[str, int] = {}

    def build(path: Path) -> dict[str, Any]:
        with duckdb.connect(str(path)) as out:
            run_script(out, _SQL / "marts_schema.sql")
            rows = _table_rows(mart, protection)
            rows["segments"] = [
                {
                    "segment": ALL_PEOPLE,
                    "description": "Every linked person known to the ecosystem and not deceased.",
                    "owner": "data-stewards",
                    "segment_version": "1",
                    "rule": "NOT deceased",
                },
                *(
                    dict(
                        zip(
                            ("segment", "description", "owner", "segment_version", "rule"),
                            d,
                            strict=True,
                        )
                    )
                    for d in definitions
                ),
            ]
            rows["about"] = _about(mart, protection, published_at, version)
            for table, records in rows.items():
                _insert(out, table, records)
                tables[table] = len(records)
            entries = dictionary.read_dictionary(out)
            _insert(
                out,
                "dictionary",
                [
                    {
                        "table_name": e.table,
                        "column_name": e.column,
                        "data_type": e.data_type,
                        "description": e.description,
                    }
                    for e in entries
                ],
            )
            tables["dictionary"] = len(entries)
            problems = scan_for_leaks(out, threshold)
            if problems:
                raise DisclosureError("marts.duckdb not published: " + "; ".join(problems))
            out.execute("CHECKPOINT")
        os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        # Recorded before the swap: a run that dies now leaves a release that was never
        # published in the ledger, which only makes the next audit stricter.
        record_release(
            con,
            OUTPUT,
            version,
            published_at,
            Release.of(mart.cells, protection.suppressed, protection.shown, protection.max_noise),
            threshold,
        )
        return {"as_of": as_of.isoformat(), "threshold": threshold, "tables": dict(tables)}

    publication = publish_file(
        home, OUTPUT, home.marts_db, build, run_id=run_id, version=version, con=con
    )
    _write_dictionary_files(home)
    sizes = {
        r.values["segment"]: published_value(protection, r.cell)
        for r in mart.tables["segment_sizes"]
    }
    for segment, *_ in definitions:
        sizes.setdefault(segment, 0)
    overlap = sorted(
        (
            (r.values["sector_combination"], published_value(protection, r.cell))
            for r in mart.tables["sector_overlap"]
            if r.values["segment"] == ALL_PEOPLE
        ),
        key=lambda item: (-(item[1] or 0), item[0]),
    )
    widths = [iv.width for iv in protection.audit.values()]
    result = MartsResult(
        path=home.marts_db,
        version=publication.version,
        as_of=as_of,
        threshold=threshold,
        tables=tables,
        cells=len(mart.cells.values),
        suppressed_cells=len(protection.suppressed),
        primary_suppressed=len(protection.primary),
        complementary_suppressed=len(protection.complementary),
        audit_min_width=min(widths) if widths else None,
        ledger_releases=len(ledger),
        ledger_exposed=protection.ledger_exposed,
        segment_sizes=sizes,
        sector_overlap=overlap,
        evaluation=_evaluation_rows(mart, protection),
        publication=publication,
    )
    return result


def _table_rows(mart: MartCells, protection: SuppressionResult) -> dict[str, list[dict[str, Any]]]:
    everyone = published_value(protection, ("size", ALL_PEOPLE, mart.latest_month))
    rows: dict[str, list[dict[str, Any]]] = {}
    for table, published in mart.tables.items():
        records = []
        for row in published:
            people = published_value(protection, row.cell)
            if people is None and row.cell in mart.cells.sparse:
                continue  # listed only when shown
            record = {**row.values, "people": people, "suppressed": people is None}
            if table == "segment_sizes":
                record["share_of_all_people"] = _share(people, everyone)
            if table == "sector_reach":
                size = published_value(
                    protection, ("size", row.values["segment"], mart.latest_month)
                )
                record["share_of_segment"] = _share(people, size)
            records.append(record)
        rows[table] = records
    rows["program_evaluation"] = _evaluation_rows(mart, protection)
    return rows


def _evaluation_rows(mart: MartCells, protection: SuppressionResult) -> list[dict[str, Any]]:
    changes: dict[tuple[str, str], float | None] = {}
    records = []
    for entry in mart.evaluation:
        people = published_value(protection, entry["cell"])
        shown = people is not None
        if not shown and entry["cell"] in mart.cells.sparse:
            continue  # listed only when shown
        before = round(entry["before"] * 1000, 1) if shown else None
        after = round(entry["after"] * 1000, 1) if shown else None
        change = round(after - before, 1) if after is not None and before is not None else None
        changes[entry["program"], entry["cohort"]] = change
        records.append(
            {
                "program": entry["program"],
                "cohort": entry["cohort"],
                "people": people,
                "ed_ip_per_1000_before": before,
                "ed_ip_per_1000_after": after,
                "change_per_1000": change,
                "difference_in_differences_per_1000": None,
                "first_index_month": entry["first_index_month"] if shown else None,
                "last_index_month": entry["last_index_month"] if shown else None,
                "suppressed": not shown,
            }
        )
    for record in records:
        if record["cohort"] != "served":
            continue
        served = changes.get((record["program"], "served"))
        comparison = changes.get((record["program"], "comparison"))
        if served is not None and comparison is not None:
            record["difference_in_differences_per_1000"] = round(served - comparison, 1)
    return records


def _about(
    mart: MartCells, protection: SuppressionResult, published_at: datetime, version: str
) -> list[dict[str, Any]]:
    facts = {
        "version": version,
        "as_of_month": mart.latest_month,
        "published_month": f"{published_at:%Y-%m}",
        "threshold": str(protection.threshold),
        "cells": str(len(mart.cells.values)),
        "suppressed_cells": str(len(protection.suppressed)),
        "primary_suppressed": str(len(protection.primary)),
        "complementary_suppressed": str(len(protection.complementary)),
        "max_noise": str(protection.max_noise),
        "suppression": (
            "Every count is shown with a small keyed noise (at most max_noise either way, the "
            "same for the same count in every publication), so tables do not add up exactly. "
            "Counts shown below the threshold are withheld; further counts are withheld where "
            "linear programming over every table found a withheld count that could be narrowed "
            "below the threshold. Segment sizes and trends list every segment and month (a "
            "withheld count is NULL); the other tables list only rows whose count is shown, so "
            "a missing row may be a withheld count or nobody."
        ),
        "safe_harbor": (
            "ZIP3 with fewer than 20,000 people is 000; ages 90 and over are one band; no date "
            "finer than a month."
        ),
        "consent": "People whose records are not consented for sharing are counted here.",
    }
    return [{"key": k, "value": v} for k, v in facts.items()]


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, 4)


def _insert(con: duckdb.DuckDBPyConnection, table: str, records: list[dict[str, Any]]) -> None:
    """Insert rows by column name into one of the fixed mart tables.

    Values travel as bound list parameters and are unnested in DuckDB (fast, and needs neither
    pandas nor string-formatted values); only catalogue names and types are spliced in.
    """
    if not records:
        return
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $t "
        "AND database_name = current_database() ORDER BY column_index",
        {"t": table},
    ).fetchall()
    selects = ", ".join(
        f'CAST(unnest($c{i}) AS {data_type}) AS "{name}"'
        for i, (name, data_type) in enumerate(columns)
    )
    params = {f"c{i}": [r.get(name) for r in records] for i, (name, _) in enumerate(columns)}
    con.execute(f'INSERT INTO "{table}" BY NAME SELECT {selects}', params)


def _write_dictionary_files(home: HubHome) -> None:
    with duckdb.connect(str(home.marts_db), read_only=True) as con:
        entries = dictionary.read_dictionary(con)
    for name, text in (
        ("dictionary.md", dictionary.to_markdown(entries)),
        ("dictionary.html", dictionary.to_html(entries)),
    ):
        target = home.marts / name
        aside = target.with_name(f".{name}.tmp")
        aside.write_text(text)
        os.replace(aside, target)
