"""The marts as Parquet, for a warehouse outside DuckDB (Spark, Trino, BigQuery...).

:func:`export_marts` writes every table of the published ``marts/marts.duckdb``
(de-identified, disclosure-controlled aggregates: what analysts already see) to
``marts/parquet/``, published atomically with :func:`warehouse.publish.publish_dir` (a version
folder, then a symlink swap, then a row in ``ops.publications``); output ``marts-parquet``.

There is no person-level export. An external warehouse is outside the hub's boundary, and no
governance agreement names person-level rows for it: person features (exact age, ZIP3,
sensitive conditions) stay in ``hub.duckdb``, and whatever leaves goes through the one
disclosure model of the marts (docs/marts.md, "Disclosure control").

The export folder holds one ``<table>.parquet`` per table (zstd) and ``_manifest.json`` with
rows, bytes, sha256 and column types per file, and the version of the source it was cut from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from contract.manifest import file_sha256
from kernel import clock
from kernel.db import given_or_own
from kernel.home import HubHome
from warehouse.publish import Publication, last_publications, publish_dir

MARTS_OUTPUT = "marts-parquet"
MANIFEST = "_manifest.json"
_SQL_DIR = Path(__file__).parent
_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class ExportError(RuntimeError):
    """The source of an export is missing; the message says what to run first."""


@dataclass(frozen=True)
class ExportedTable:
    """One Parquet file of an export (counts and digests only)."""

    table: str
    file: str
    rows: int
    bytes: int
    sha256: str
    columns: dict[str, str]


@dataclass(frozen=True)
class ExportResult:
    """What one export published."""

    output: str
    path: Path
    tables: tuple[ExportedTable, ...]
    publication: Publication

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def summary(self) -> dict[str, Any]:
        """Counts for Dagster metadata and the demo summary."""
        return {
            "output": self.output,
            "version": self.publication.version,
            "path": str(self.path),
            "tables": {t.table: t.rows for t in self.tables},
            "bytes": sum(t.bytes for t in self.tables),
        }


def _sql(name: str) -> str:
    return (_SQL_DIR / f"export_{name}.sql").read_text()


def _write_table(
    con: duckdb.DuckDBPyConnection, qualified: str, table: str, folder: Path
) -> ExportedTable:
    relation = con.table(qualified)
    path = folder / f"{table}.parquet"
    relation.to_parquet(str(path), compression="zstd")
    return ExportedTable(
        table=table,
        file=path.name,
        rows=int(relation.count("*").fetchall()[0][0]),
        bytes=path.stat().st_size,
        sha256=file_sha256(path),
        columns={
            name: str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)
        },
    )


def _write_manifest(
    folder: Path, output: str, source: dict[str, Any], tables: list[ExportedTable]
) -> None:
    manifest = {
        "output": output,
        "exported_at": clock.now().isoformat(timespec="seconds"),
        "source": source,
        "format": "parquet (zstd), one file per table",
        "tables": [t.__dict__ for t in tables],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def _source_version(con: duckdb.DuckDBPyConnection, output: str) -> str | None:
    found = last_publications(con, output)
    return found[0].version if found else None


def export_marts(
    home: HubHome,
    *,
    run_id: str | None = None,
    target: Path | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ExportResult:
    """Write every table of the published marts as Parquet and publish the folder.

    Args:
        home: the hub home; reads ``marts/marts.duckdb``.
        run_id: the run that exports (recorded in ``ops.publications``).
        target: the published folder (a symlink to the current version); default
            ``<home>/marts/parquet``.
        con: an open read-write connection to ``hub.duckdb`` (for ``ops.publications``);
            default opens one.

    Raises:
        ExportError: no marts were published yet.
    """
    if not home.marts_db.exists():
        raise ExportError(
            f"{home.marts_db} does not exist: publish the marts first "
            "(nightly_job, or `carehub run nightly_job`)"
        )
    target = target or home.marts / "parquet"
    tables: list[ExportedTable] = []

    def build(folder: Path, marts_version: str | None) -> dict[str, Any]:
        with duckdb.connect() as work:
            work.execute(_sql("attach"), {"path": str(home.marts_db)})
            listed = work.execute(_sql("tables"), {"catalog": "marts"}).fetchall()
            for (name,) in listed:
                if not _PLAIN_NAME.match(name):
                    raise ExportError(
                        f"{home.marts_db}: table {name!r} is not a plain lower-case name; "
                        "rename it in warehouse/marts before exporting"
                    )
                tables.append(_write_table(work, f"marts.main.{name}", name, folder))
        source = {"file": home.marts_db.name, "marts_version": marts_version}
        _write_manifest(folder, MARTS_OUTPUT, source, tables)
        return {"tables": {t.table: t.rows for t in tables}, "source_version": marts_version}

    def publish(own: duckdb.DuckDBPyConnection) -> Publication:
        version = _source_version(own, "marts")
        return publish_dir(
            home, MARTS_OUTPUT, target, lambda f: build(f, version), run_id=run_id, con=own
        )

    with given_or_own(con, home.hub_db) as own:
        publication = publish(own)
    return ExportResult(MARTS_OUTPUT, target, tuple(tables), publication)
