"""Deletion requests: forget a partner's listed record pseudonyms in every hub layer.

What is purged, for the requesting partner's pseudonyms:

* ``hub.duckdb``: every base table with a ``*pseudonym*`` column (staging, linkage records and
  links, quality findings, anything a part adds later: found through the catalog, not a fixed
  list); then, for the linked persons those records belonged to, every row keyed by
  ``person_key`` in ``features`` and ``segments`` (recomputed without them by the next nightly
  run) and, for persons left with no record at all, every ``person_key`` row anywhere. Any text
  cell that still mentions a pseudonym (a JSON detail, a message) is redacted. The file is then
  rebuilt (``COPY FROM DATABASE`` into a fresh file, swapped in) because DuckDB leaves deleted
  values in freed blocks.
* Files: every Parquet file under the partner's ``landing/``, ``archive/`` and ``quarantine/``
  folders is rewritten without the rows (and its package's ``manifest.json`` updated with the new
  checksum, row count and a ``redactions`` note); a file that cannot be read but contains a
  pseudonym is removed. Text files anywhere in the home (Data Docs HTML, JSON reasons, logs) have
  the pseudonym replaced by ``[deleted]``. The audit log is never edited: it holds no pseudonyms.

The audit log records that a deletion happened, for which partner and how many records: never
which. Encrypted extracts already in ``outbox/`` are unreadable to the hub and expire; the next
extract no longer lists the records. Care-alert files (``outbox/<partner>/alerts/``) that list
one of the records, or were raised by one, are removed whole (``alerts.sent`` says which; the
hub cannot read them either); the rows of ``alerts.sent`` go with the other pseudonym columns.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from kernel import clock
from kernel.db import connection
from kernel.home import HubHome
from warehouse import audit
from warehouse.governance import load_governance

_SQL = Path(__file__).parent
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TEXT_SUFFIXES: Final = {".json", ".jsonl", ".html", ".htm", ".txt", ".log", ".csv", ".md", ".yaml"}
_PERSON_SCHEMAS: Final = ("features", "segments")
_TEXT_TYPES: Final = ("VARCHAR", "JSON")


class DeletionError(ValueError):
    """A deletion request is malformed; the message names the file, the line and the fix."""


@dataclass
class DeletionReport:
    """What one deletion request did (counts only; never which pseudonyms).

    Attributes:
        partner_id: The requesting partner.
        requested: Distinct pseudonyms in the request.
        records_found: How many of them were records the hub held (staging or linkage).
        rows_deleted: Rows deleted per ``schema.table``.
        persons_affected: Linked persons whose derived rows were purged for recomputation.
        persons_removed: Linked persons left with no record, removed everywhere.
        cells_redacted: Text cells redacted per ``schema.table.column``.
        files_rewritten: Parquet files rewritten without the records.
        files_removed: Unreadable files that contained a pseudonym, removed.
        text_files_redacted: Text files in which a pseudonym was replaced.
        residual: Places where a pseudonym could still be found after the purge (should be
            empty; a non-empty list means a steward must look).
        shared_with_others: Requested pseudonyms that another partner also holds: deleted
            only from the requesting partner's own rows, never redacted elsewhere.
        dry_run: Nothing was changed; the counts say what the request would do.
    """

    partner_id: str
    requested: int
    records_found: int = 0
    rows_deleted: dict[str, int] = field(default_factory=dict)
    persons_affected: int = 0
    persons_removed: int = 0
    cells_redacted: dict[str, int] = field(default_factory=dict)
    files_rewritten: int = 0
    files_removed: int = 0
    text_files_redacted: int = 0
    residual: list[str] = field(default_factory=list)
    shared_with_others: int = 0
    alert_files_removed: int = 0
    dry_run: bool = False

    @property
    def total_rows_deleted(self) -> int:
        return sum(self.rows_deleted.values())


def read_pseudonym_file(path: Path) -> list[str]:
    """Read a deletion request: one 64-lower-hex record pseudonym per line (``#`` comments ok).

    Raises:
        DeletionError: a line is not a pseudonym (named by line number, never echoed), or the
            file is missing or empty.
    """
    if not path.is_file():
        raise DeletionError(f"{path}: no such file; pass the partner's list of pseudonyms")
    pseudonyms: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text == "record_pseudonym" and not pseudonyms:
            continue  # a CSV header
        if not _PSEUDONYM.fullmatch(text.lower()):
            raise DeletionError(
                f"{path}: line {number} is not a record pseudonym (64 hex characters); list "
                "pseudonyms as found in your crosswalk, one per line, never record ids or names"
            )
        pseudonyms.append(text.lower())
    if not pseudonyms:
        raise DeletionError(f"{path}: lists no pseudonyms; nothing to delete")
    return pseudonyms


def _template(name: str, names: dict[str, str]) -> str:
    """A ``.sql`` template with placeholder identifiers replaced by quoted catalog names."""
    return _render(name, tuple(sorted(names.items())))


@functools.lru_cache(maxsize=16)
def _parsed(name: str) -> exp.Expr:
    return sqlglot.parse_one((_SQL / name).read_text(), dialect="duckdb")


@functools.lru_cache(maxsize=1024)
def _render(name: str, items: tuple[tuple[str, str], ...]) -> str:
    names = dict(items)
    for value in names.values():
        if not _IDENT.fullmatch(value):
            raise ValueError(f"refusing an unexpected identifier in the catalog: {value!r}")
    tree = _parsed(name).copy()

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Identifier) and node.name in names:
            return exp.to_identifier(names[node.name], quoted=True)
        return node

    return tree.transform(swap).sql(dialect="duckdb")


def _catalog(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, str]]:
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, dtype in con.execute(
        (_SQL / "catalog_columns.sql").read_text()
    ).fetchall():
        tables.setdefault((schema, table), {})[column] = str(dtype).upper()
    return tables


def _pseudonym_pairs(columns: dict[str, str]) -> list[tuple[str, str | None]]:
    """(pseudonym column, partner column or None) pairs of one table."""
    pairs: list[tuple[str, str | None]] = []
    for column in columns:
        if "pseudonym" not in column.lower():
            continue
        suffix = column[len("record_pseudonym") :] if column.startswith("record_pseudonym") else ""
        partner = f"partner_id{suffix}"
        pairs.append((column, partner if partner in columns else None))
    return pairs


def delete_pseudonyms(
    home: HubHome,
    partner_id: str,
    pseudonyms: Iterable[str],
    *,
    now: datetime | None = None,
    compact: bool = True,
    dry_run: bool = False,
) -> DeletionReport:
    """Purge ``partner_id``'s ``pseudonyms`` from every hub layer and audit the count.

    Scoped to the partner's own records: a row is deleted only where its partner column names
    ``partner_id``; a pseudonym that another partner also holds is never deleted from a table
    without a partner column, nor redacted in text (``shared_with_others`` counts them), and
    only the partner's own package folders are rewritten.

    Args:
        home: The hub home (the caller must not hold ``hub.duckdb`` open: the file is rebuilt).
        partner_id: The requesting partner (must be registered).
        pseudonyms: 64-hex record pseudonyms of that partner.
        now: Time of the request (audit entry).
        compact: Rebuild ``hub.duckdb`` so deleted values do not linger in freed blocks.
        dry_run: Work out every count inside a transaction that is rolled back; change no
            file, write no audit entry.

    Returns:
        The counts of what was purged.

    Raises:
        DeletionError: the partner is not registered or a pseudonym is malformed.
    """
    governance = load_governance(home)
    if governance.partner(partner_id) is None:
        raise DeletionError(
            f"partner {partner_id} is not registered in {governance.path}; check the id"
        )
    forget = sorted({p.lower() for p in pseudonyms})
    bad = [i for i, p in enumerate(forget, start=1) if not _PSEUDONYM.fullmatch(p)]
    if bad:
        raise DeletionError(
            f"{len(bad)} listed value(s) are not 64-hex record pseudonyms; nothing was deleted"
        )
    report = DeletionReport(partner_id=partner_id, requested=len(forget), dry_run=dry_run)
    unshared = forget
    if home.hub_db.exists():
        unshared = _purge_database(home, partner_id, forget, report, compact=compact)
    _purge_files(home, partner_id, forget, unshared, report)
    if dry_run:
        return report
    audit.append(
        home,
        "deletion",
        {
            "partner": partner_id,
            "requested": report.requested,
            "records_purged": report.records_found,
            "rows_deleted": report.total_rows_deleted,
            "persons_removed": report.persons_removed,
            "files_rewritten": report.files_rewritten + report.files_removed,
            "alert_files_removed": report.alert_files_removed,
            "governance_version": governance.version_label,
        },
        now=now,
    )
    return report


def _purge_database(
    home: HubHome, partner_id: str, forget: list[str], report: DeletionReport, *, compact: bool
) -> list[str]:
    """Purge the database; return the requested pseudonyms that no other partner holds."""
    with connection(home.hub_db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            alert_files = _alert_files(con, partner_id, forget)
            unshared = _purge_tables(con, partner_id, forget, report)
            con.execute("ROLLBACK" if report.dry_run else "COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        report.alert_files_removed = len(alert_files)
        if report.dry_run:
            return unshared
        for relative in alert_files:
            (home.root / relative).unlink(missing_ok=True)
        con.execute("CHECKPOINT")
        report.residual.extend(_residual(con, report))
        if compact:
            _compact(con, home.hub_db)
    return unshared


def _alert_files(con: duckdb.DuckDBPyConnection, partner_id: str, forget: list[str]) -> list[str]:
    """Alert files (paths under the home) that involve one of the forgotten records."""
    if ("alerts", "sent") not in _catalog(con):
        return []
    con.execute((_SQL / "setup.sql").read_text())
    con.execute((_SQL / "insert_forget.sql").read_text(), {"pseudonyms": forget})
    rows = con.execute((_SQL / "alert_files.sql").read_text(), {"partner": partner_id})
    return [str(row[0]) for row in rows.fetchall()]


def _purge_tables(
    con: duckdb.DuckDBPyConnection, partner_id: str, forget: list[str], report: DeletionReport
) -> list[str]:
    con.execute((_SQL / "setup.sql").read_text())
    con.execute((_SQL / "insert_forget.sql").read_text(), {"pseudonyms": forget})
    catalog = _catalog(con)
    has_linkage = ("linkage", "person_records") in catalog
    if has_linkage:
        con.execute((_SQL / "affected_persons.sql").read_text(), {"partner": partner_id})
    found: set[str] = set()
    shared: set[str] = set()
    unscoped: list[tuple[str, str, str]] = []
    scoped_columns: set[tuple[str, str, str]] = set()
    for (schema, table), columns in catalog.items():
        for column, partner_column in _pseudonym_pairs(columns):
            names = {"target_schema": schema, "target_table": table, "pseudonym_column": column}
            if partner_column is None:
                unscoped.append((schema, table, column))
                continue
            scoped_columns.add((schema, table, column))
            if schema in ("staging", "linkage") and column == "record_pseudonym":
                found.update(_present(con, schema, table, column, partner_column, partner_id))
            scope = {**names, "partner_column": partner_column}
            shared.update(
                str(row[0])
                for row in con.execute(
                    _template("shared_pseudonyms.sql", scope), {"partner": partner_id}
                ).fetchall()
            )
            sql = _template("delete_partner_pseudonyms.sql", scope)
            _count(report, schema, table, con.execute(sql, {"partner": partner_id}))
    report.records_found = len(found)
    report.shared_with_others = len(shared)
    # Another partner's pseudonym is never touched outside that partner's scope: the steps
    # below cannot tell whose a value is, so they work on the unshared pseudonyms only.
    con.execute((_SQL / "drop_shared.sql").read_text(), {"shared": sorted(shared)})
    for schema, table, column in unscoped:
        names = {"target_schema": schema, "target_table": table, "pseudonym_column": column}
        _count(report, schema, table, con.execute(_template("delete_pseudonyms.sql", names)))
    if has_linkage:
        _purge_persons(con, catalog, report)
    unshared = [p for p in forget if p not in shared]
    _redact_cells(con, catalog, unshared, report, skip=scoped_columns)
    return unshared


def _count(
    report: DeletionReport, schema: str, table: str, cursor: duckdb.DuckDBPyConnection
) -> None:
    n = _rowcount(cursor)
    if n:
        key = f"{schema}.{table}"
        report.rows_deleted[key] = report.rows_deleted.get(key, 0) + n


def _present(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    column: str,
    partner_column: str | None,
    partner_id: str,
) -> set[str]:
    if partner_column is None:
        return set()
    names = {
        "target_schema": schema,
        "target_table": table,
        "pseudonym_column": column,
        "partner_column": partner_column,
    }
    sql = _template("select_partner_pseudonyms.sql", names)
    return {str(row[0]) for row in con.execute(sql, {"partner": partner_id}).fetchall()}


def _rowcount(cursor: duckdb.DuckDBPyConnection) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def _purge_persons(
    con: duckdb.DuckDBPyConnection,
    catalog: dict[tuple[str, str], dict[str, str]],
    report: DeletionReport,
) -> None:
    con.execute((_SQL / "orphaned_persons.sql").read_text())
    counts = con.execute((_SQL / "count_persons.sql").read_text()).fetchone()
    report.persons_affected, report.persons_removed = (
        (int(counts[0]), int(counts[1])) if counts else (0, 0)
    )
    # Derived rows of every affected person go (recomputed by the next nightly run); every row
    # of a person left with no record goes everywhere.
    for (schema, table), columns in catalog.items():
        if "person_key" not in columns:
            continue
        scope = "purge_derived.sql" if schema in _PERSON_SCHEMAS else "purge_orphans.sql"
        con.execute((_SQL / scope).read_text())
        names = {"target_schema": schema, "target_table": table, "key_column": "person_key"}
        n = _rowcount(con.execute(_template("delete_person_keys.sql", names)))
        if n:
            key = f"{schema}.{table}"
            report.rows_deleted[key] = report.rows_deleted.get(key, 0) + n


def _text_columns(
    catalog: dict[tuple[str, str], dict[str, str]],
) -> Iterator[tuple[str, str, str]]:
    for (schema, table), columns in catalog.items():
        for column, dtype in columns.items():
            if dtype.startswith(_TEXT_TYPES):
                yield schema, table, column


def _redact_cells(
    con: duckdb.DuckDBPyConnection,
    catalog: dict[tuple[str, str], dict[str, str]],
    forget: list[str],
    report: DeletionReport,
    *,
    skip: set[tuple[str, str, str]],
) -> None:
    """Redact pseudonyms inside text cells; ``skip``: the partner-scoped pseudonym columns,
    whose requesting partner's rows are already deleted and whose other rows are others'."""
    for schema, table, column in _text_columns(catalog):
        if (schema, table, column) in skip:
            continue
        names = {"target_schema": schema, "target_table": table, "target_column": column}
        n = _rowcount(con.execute(_template("residual_count.sql", names)))
        if not n:
            continue
        redact = _template("redact_column.sql", names)
        for pseudonym in forget:
            con.execute(redact, {"pseudonym": pseudonym})
        report.cells_redacted[f"{schema}.{table}.{column}"] = n


def _residual(con: duckdb.DuckDBPyConnection, report: DeletionReport) -> list[str]:
    """Columns that still hold a pseudonym after the purge.

    :func:`_redact_cells` already scanned every text column after the deletes; deletes and
    redactions only remove data, so only the columns it redacted can still hold one.
    """
    places = []
    for place in report.cells_redacted:
        schema, table, column = place.split(".", 2)
        names = {"target_schema": schema, "target_table": table, "target_column": column}
        if _rowcount(con.execute(_template("residual_count.sql", names))):
            places.append(f"hub.duckdb {place}")
    return places


def _compact(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Rebuild the database file so deleted values do not survive in freed blocks."""
    fresh = path.with_name(f".{path.name}.compact")
    fresh.unlink(missing_ok=True)
    row = con.execute("SELECT current_database()").fetchone()
    name = str(row[0]) if row else ""
    if not _IDENT.fullmatch(name):
        raise RuntimeError(f"unexpected database name in {path}; compaction skipped")
    con.execute((_SQL / "compact_attach.sql").read_text(), {"path": str(fresh)})
    # sqlglot cannot parse COPY FROM DATABASE, so this one statement is not a .sql template;
    # the name comes from the catalog and was checked against _IDENT above.
    con.execute(f'COPY FROM DATABASE "{name}" TO compacted')
    con.execute((_SQL / "compact_detach.sql").read_text())
    con.close()
    os.replace(fresh, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)


def _package_folders(home: HubHome, partner_id: str) -> Iterator[Path]:
    for area in (home.landing, home.archive, home.quarantine):
        folder = area / partner_id
        if folder.is_dir():
            yield folder


def _purge_files(
    home: HubHome,
    partner_id: str,
    forget: list[str],
    unshared: list[str],
    report: DeletionReport,
) -> None:
    """Rewrite the partner's own package files; redact the unshared pseudonyms in text files."""
    needles = [p.encode() for p in forget]
    forget_set = pa.array(forget, pa.string())
    moment = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    for folder in _package_folders(home, partner_id):
        for path in sorted(folder.rglob("*.parquet")):
            _purge_parquet(path, forget_set, needles, report, moment)
    if report.dry_run:
        return
    needles = [p.encode() for p in unshared]
    others = [
        area / pid
        for area in (home.landing, home.archive, home.quarantine)
        if area.is_dir()
        for pid in (d.name for d in area.iterdir())
        if pid != partner_id
    ]
    for path in sorted(p for p in home.root.rglob("*") if p.is_file()):
        if any(path.is_relative_to(folder) for folder in others):
            continue  # another partner's packages and reasons are never edited
        if path.suffix.lower() not in _TEXT_SUFFIXES or path.parent == home.audit:
            continue
        data = path.read_bytes()
        if not any(n in data for n in needles):
            continue
        for needle in needles:
            data = data.replace(needle, b"[deleted]")
        aside = path.with_name(f".{path.name}.redacting")
        aside.write_bytes(data)
        os.replace(aside, path)
        report.text_files_redacted += 1
    for folder in _package_folders(home, partner_id):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            if any(n in data for n in needles):
                report.residual.append(str(path.relative_to(home.root)))


def _purge_parquet(
    path: Path,
    forget_set: pa.Array,
    needles: list[bytes],
    report: DeletionReport,
    moment: str,
) -> None:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError):
        if any(n in path.read_bytes() for n in needles):
            if not report.dry_run:
                path.unlink()
            report.files_removed += 1
        return
    keep = None
    for name in table.column_names:
        column = table.column(name)
        if "pseudonym" not in name.lower() or not pa.types.is_string(column.type):
            continue
        hit = pc.fill_null(pc.is_in(column, value_set=forget_set), False)
        keep = pc.invert(hit) if keep is None else pc.and_(keep, pc.invert(hit))
    if keep is None:
        return
    removed = table.num_rows - pc.sum(pc.cast(keep, pa.int64())).as_py()
    if not removed:
        return
    if report.dry_run:
        report.files_rewritten += 1
        return
    aside = path.with_name(f".{path.name}.redacting")
    pq.write_table(table.filter(keep), aside)
    os.replace(aside, path)
    report.files_rewritten += 1
    _update_manifest(path, removed, moment)


def _update_manifest(path: Path, removed: int, moment: str) -> None:
    manifest_path = path.parent / "manifest.json"
    if not manifest_path.is_file():
        return
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError:
        return
    entry = manifest.get("files", {}).get(path.name)
    if isinstance(entry, dict):
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        entry["rows"] = pq.read_metadata(path).num_rows
    manifest.setdefault("redactions", []).append(
        {
            "file": path.name,
            "rows_removed": int(removed),
            "at": moment,
            "reason": "deletion request",
        }
    )
    aside = manifest_path.with_name(".manifest.json.redacting")
    aside.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(aside, manifest_path)
