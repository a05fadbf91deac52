"""Search a directory tree for identifier values: the canary scan behind the privacy tests.

Every file is read as bytes (so logs, Dagster's SQLite storage, HTML and JSON are covered) and,
for DuckDB and Parquet files, also through DuckDB, so compressed or dictionary-encoded column
values are seen as text. Each needle is searched for case-insensitively, and also as the plain
(unkeyed) MD5, SHA-1 and SHA-256 hex of its value, since a careless "pseudonymisation" by plain
hashing is a leak too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

_MAGIC_PARQUET = b"PAR1"
_MAGIC_DUCKDB_OFFSET = 8
_MAGIC_DUCKDB = b"DUCK"


@dataclass(frozen=True)
class Hit:
    """One needle found somewhere. ``needle_kind`` says what kind of identifier it was."""

    path: Path
    where: str
    needle_kind: str
    form: str


def _forms(value: str) -> dict[str, bytes]:
    raw = value.strip().lower().encode()
    forms = {"plain": raw}
    for name in ("md5", "sha1", "sha256"):
        forms[name] = hashlib.new(name, raw).hexdigest().encode()
    return forms


def _is_duckdb(head: bytes) -> bool:
    return head[_MAGIC_DUCKDB_OFFSET : _MAGIC_DUCKDB_OFFSET + 4] == _MAGIC_DUCKDB


def _duckdb_text(path: Path) -> Iterator[tuple[str, bytes]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            rel = con.table(f'"{schema}"."{table}"')
            yield from _relation_text(rel, f"{schema}.{table}")
    finally:
        con.close()


def _parquet_text(path: Path) -> Iterator[tuple[str, bytes]]:
    con = duckdb.connect()
    try:
        yield from _relation_text(con.read_parquet(str(path)), "parquet")
    finally:
        con.close()


def _relation_text(rel: duckdb.DuckDBPyRelation, where: str) -> Iterator[tuple[str, bytes]]:
    for column in rel.columns:
        values = rel.select(duckdb.ColumnExpression(column).cast("VARCHAR")).fetchall()
        text = "\n".join("" if v[0] is None else v[0] for v in values)
        yield f"{where}.{column}", text.lower().encode()


def _texts(path: Path) -> Iterator[tuple[str, bytes]]:
    data = path.read_bytes()
    yield "bytes", data.lower()
    head = data[:16]
    try:
        if head.startswith(_MAGIC_PARQUET):
            yield from _parquet_text(path)
        elif _is_duckdb(head):
            yield from _duckdb_text(path)
    except duckdb.Error as exc:  # an unreadable file is itself worth a look
        yield f"unreadable: {type(exc).__name__}", b""


def scan_tree(root: Path, needles: Iterable[tuple[str, str]]) -> list[Hit]:
    """Return every place under ``root`` where a needle occurs.

    Args:
        root: the directory to scan (e.g. the hub home).
        needles: ``(kind, value)`` pairs, e.g. ``("ssn", "123-45-6789")``. Values shorter than
            five characters are skipped: they would match by chance.
    """
    compiled = [
        (kind, form, pattern)
        for kind, value in needles
        if len(value.strip()) >= 5
        for form, pattern in _forms(value).items()
    ]
    if not compiled:
        return []
    # One regex per form keeps a scan of many needles over large files linear.
    by_form: dict[str, list[tuple[str, bytes]]] = {}
    for kind, form, pattern in compiled:
        by_form.setdefault(form, []).append((kind, pattern))
    regexes = {
        form: (
            re.compile(b"|".join(re.escape(p) for _, p in items)),
            {p: k for k, p in items},
        )
        for form, items in by_form.items()
    }
    hits: list[Hit] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for where, text in _texts(path):
            for form, (regex, kinds) in regexes.items():
                for match in regex.finditer(text):
                    hits.append(Hit(path, where, kinds.get(match.group(0), "?"), form))
                    break
    return hits
