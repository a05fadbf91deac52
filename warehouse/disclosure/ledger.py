"""The release ledger: what each publication showed, kept in ``hub.duckdb`` for the next audit.

A withheld count that one publication keeps wide can be narrowed by comparing it with the next
(the issue's case: a cell withheld at 10 is shown as 11 the next night, after two new clients).
So every publication that leaves the hub is recorded here, and :func:`warehouse.disclosure.
protect` attacks the new publication together with the last ``window`` recorded ones
(:func:`warehouse.disclosure.attacks.differencing`) before it may be published.

Stored, in the ``ops`` schema (``sql/ledger_ddl.sql``):

* ``ops.disclosure_releases``: one row per release (output, version, threshold, noise bound);
  a release that only re-shows another's numbers (the report re-shows the marts) names it in
  ``derived_from`` and adds no cells;
* ``ops.disclosure_cells``: every row of the release, its published number or NULL (withheld);
  never a true count, so the ledger holds nothing the publication did not already show;
* ``ops.disclosure_relations``: the public relations between the cells, stored once per
  distinct set (a sha256 of them), since consecutive publications share them.

Cell keys are tuples of category labels (segment, month, age band, sex, ZIP3, sector), stored
as JSON: no identifier, pseudonym or person key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb

from warehouse.disclosure.attacks import Release
from warehouse.disclosure.cells import CellKey, Constraint

_SQL = Path(__file__).parent / "sql"
# Earlier releases the audit attacks together with a new one: ten nightly publications is the
# issue's sequence; the cost of the differencing audit grows with it (docs/marts.md).
DEFAULT_WINDOW: Final = 10


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger's tables if they are missing (idempotent)."""
    con.execute((_SQL / "ledger_ddl.sql").read_text())


def encode_cell(cell: CellKey) -> str:
    """A cell key as JSON (tuples as lists)."""
    return json.dumps(list(cell) if isinstance(cell, tuple) else cell, separators=(",", ":"))


def decode_cell(text: str) -> CellKey:
    """The cell key of :func:`encode_cell`."""
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


def _structure(constraints: Sequence[Constraint]) -> tuple[str, dict[str, list[Any]]]:
    columns: dict[str, list[Any]] = {
        "relation": [],
        "sense": [],
        "is_total": [],
        "cell": [],
        "coef": [],
    }
    for i, constraint in enumerate(constraints):
        for cell, coef in constraint.coefs.items():
            columns["relation"].append(i)
            columns["sense"].append(constraint.sense)
            columns["is_total"].append(cell == constraint.total)
            columns["cell"].append(encode_cell(cell))
            columns["coef"].append(int(coef))
    digest = hashlib.sha256(json.dumps(columns, sort_keys=True).encode()).hexdigest()
    return digest, columns


def record_release(
    con: duckdb.DuckDBPyConnection,
    output: str,
    version: str,
    released_at: datetime,
    release: Release | None,
    threshold: int,
    *,
    derived_from: str | None = None,
) -> str:
    """Record what ``output`` version ``version`` shows; returns its release id.

    Args:
        con: Connection to ``hub.duckdb``.
        output: The publication's output (``marts``, ``report``, ``extract:<partner>``).
        version: Its version (as in ``ops.publications``).
        released_at: When it is published.
        release: Its cells and relations; None with ``derived_from`` (re-shown numbers only).
        threshold: The threshold it was protected with.
        derived_from: The release id whose numbers it re-shows.
    """
    if release is None and derived_from is None:
        raise ValueError("a release without cells must name the release it re-shows")
    ensure_schema(con)
    release_id = f"{output}:{version}"
    structure = None
    cells = release.shown if release is not None else {}
    if release is not None:
        structure, columns = _structure(release.constraints)
        ((known,),) = con.execute(
            (_SQL / "ledger_structure_exists.sql").read_text(), {"structure": structure}
        ).fetchall()
        if not known:
            con.execute(
                (_SQL / "ledger_insert_relations.sql").read_text(),
                {"structure": structure, **columns},
            )
        con.execute(
            (_SQL / "ledger_insert_cells.sql").read_text(),
            {
                "release_id": release_id,
                "cells": [encode_cell(c) for c in cells],
                "shown": list(cells.values()),
                "structural": [c in release.structural for c in cells],
                "sparse": [c in release.sparse for c in cells],
            },
        )
    con.execute(
        (_SQL / "ledger_insert_release.sql").read_text(),
        {
            "release_id": release_id,
            "output": output,
            "version": version,
            "released_at": released_at,
            "threshold": threshold,
            "max_noise": release.max_noise if release is not None else 0,
            "structure": structure,
            "derived_from": derived_from,
            "cells": len(cells),
            "withheld": sum(1 for v in cells.values() if v is None),
        },
    )
    return release_id


def load_ledger(
    con: duckdb.DuckDBPyConnection,
    output: str,
    window: int = DEFAULT_WINDOW,
    *,
    threshold: int | None = None,
    max_noise: int | None = None,
) -> list[Release]:
    """The last ``window`` releases of ``output`` with cells of their own, oldest first
    (none yet: ``[]``; works on a read-only connection).

    With ``threshold`` / ``max_noise``, only releases protected with the same: a steward who
    changes either starts a new period, as with a new perturbation key (docs/marts.md).
    """
    ((exists,),) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' "
        "AND table_name = 'disclosure_releases' AND database_name = current_database()"
    ).fetchall()
    if not exists or window <= 0:
        return []
    releases = []
    relations: dict[str, tuple[Constraint, ...]] = {}
    for release_id, noise, structure in con.execute(
        (_SQL / "ledger_releases.sql").read_text(),
        {"output": output, "window": window, "threshold": threshold, "max_noise": max_noise},
    ).fetchall():
        if structure not in relations:
            relations[structure] = _relations(con, structure)
        shown: dict[CellKey, int | None] = {}
        structural, sparse = set(), set()
        for cell, value, fixed, unlisted in con.execute(
            (_SQL / "ledger_cells.sql").read_text(), {"release_id": release_id}
        ).fetchall():
            key = decode_cell(cell)
            shown[key] = value
            if fixed:
                structural.add(key)
            if unlisted:
                sparse.add(key)
        releases.append(
            Release(
                shown,
                relations[structure],
                int(noise),
                frozenset(structural),
                frozenset(sparse),
            )
        )
    return releases


def _relations(con: duckdb.DuckDBPyConnection, structure: str) -> tuple[Constraint, ...]:
    grouped: dict[int, tuple[str, dict[CellKey, int], list[CellKey]]] = {}
    for relation, sense, is_total, cell, coef in con.execute(
        (_SQL / "ledger_relations.sql").read_text(), {"structure": structure}
    ).fetchall():
        _, coefs, total = grouped.setdefault(relation, (sense, {}, []))
        key = decode_cell(cell)
        coefs[key] = int(coef)
        if is_total:
            total.append(key)
    return tuple(
        Constraint(coefs, "eq" if sense == "eq" else "le", total[0] if total else None)
        for sense, coefs, total in (grouped[i] for i in sorted(grouped))
    )
