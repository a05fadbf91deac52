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
from collections.abc import Callable, Iterable, Iterator
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


_TOKEN = re.compile(rb"[a-z0-9]+")


def _tokens(value: str) -> tuple[str, ...]:
    return tuple(t.decode() for t in _TOKEN.findall(value.strip().lower().encode()))


def _forms(value: str) -> dict[str, str]:
    """The token sequence of ``value`` and its plain hashes (each a single hex token)."""
    text = value.strip().lower()
    forms = {"plain": " ".join(_tokens(text))}
    for name in ("md5", "sha1", "sha256"):
        forms[name] = hashlib.new(name, text.encode()).hexdigest()
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


def scan_tree(
    root: Path,
    needles: Iterable[tuple[str, str]],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Hit]:
    """Return every place under ``root`` where a needle occurs.

    Text is split into lower-case alphanumeric tokens, and a needle matches a run of tokens
    equal to its own tokens, so ``O'Brien``, ``o brien`` and ``O BRIEN`` all match, and
    ``123-45-6789`` matches ``123 45 6789``. Token matching (a set lookup per n-gram) keeps a scan
    for hundreds of thousands of needles linear in the size of the tree.

    Args:
        root: the directory to scan (e.g. the hub home).
        needles: ``(kind, value)`` pairs, e.g. ``("ssn", "123-45-6789")``. Values shorter than
            five characters are skipped: they would match by chance.
        progress: Called with ``(files done, files)`` after each file (for a console).
    """
    lookup: dict[str, tuple[str, str]] = {}
    longest = 1
    for kind, value in needles:
        if len(value.strip()) < 5:
            continue
        for form, key in _forms(value).items():
            if key:
                lookup.setdefault(key, (kind, form))
                longest = max(longest, key.count(" ") + 1)
    if not lookup:
        return []
    hits: list[Hit] = []
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for done, path in enumerate(files, start=1):
        for where, text in _texts(path):
            hits += [Hit(path, where, *hit) for hit in sorted(_matches(text, lookup, longest))]
        if progress is not None:
            progress(done, len(files))
    return hits


def _matches(text: bytes, lookup: dict[str, tuple[str, str]], longest: int) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    # n-grams never span a line break: values of a column are one per line, and two adjacent
    # values (two service dates, say) must not pass for one identifier.
    for line in text.splitlines():
        tokens = [t.decode() for t in _TOKEN.findall(line)]
        for n in range(1, min(longest, len(tokens)) + 1):
            for i in range(len(tokens) - n + 1):
                hit = lookup.get(tokens[i] if n == 1 else " ".join(tokens[i : i + n]))
                if hit:
                    found.add(hit)
    return found
