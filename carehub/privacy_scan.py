"""Search a directory tree for identifier values: the canary scan behind the privacy tests.

Each needle is matched as whole tokens, case-insensitively, and also as the plain (unkeyed) MD5,
SHA-1 and SHA-256 hex of its value, since a careless "pseudonymisation" by plain hashing is a
leak too. Where it looks depends on what a file is, so that it reads text and table cells, never
chance byte runs inside an image or a compressed stream (a scan that cries wolf gets ignored):

* text files (UTF-8, no NUL byte): the whole text, line by line;
* DuckDB, Parquet and SQLite files (Dagster's storage): every cell, read through the database;
* gzip and zip files: their decompressed members, by the same rules;
* images, fonts and other compressed formats (by their magic bytes): not read;
* any other binary file: its printable runs of at least 16 characters (text stored in it).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

_MAGIC_PARQUET = b"PAR1"
_MAGIC_DUCKDB_OFFSET = 8
_MAGIC_DUCKDB = b"DUCK"
_MAGIC_SQLITE = b"SQLite format 3\x00"
_MAGIC_GZIP = b"\x1f\x8b"
_MAGIC_ZIP = b"PK\x03\x04"
# Images, fonts and compressed streams whose bytes are not text: never read.
_OPAQUE = (
    b"GIF87a",
    b"GIF89a",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"RIFF",
    b"wOFF",
    b"wOF2",
    b"\x00\x00\x01\x00",
    b"\x28\xb5\x2f\xfd",
    b"BZh",
    b"\xfd7zXZ",
    b"%PDF",
)
_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e\t]{16,}")


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


def _sqlite_text(path: Path) -> Iterator[tuple[str, bytes]]:
    # The dump is SQL text with every cell as a literal: one line per row, no query built here.
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for line in con.iterdump():
            yield "sqlite", line.lower().encode()
    finally:
        con.close()


def _bytes_text(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """Text in bytes that are not a database file: by what the bytes are."""
    head = data[:16]
    if head.startswith(_OPAQUE):
        return
    if head.startswith(_MAGIC_GZIP):
        try:
            yield from _bytes_text(f"{name}>gunzip", gzip.decompress(data))
        except (OSError, EOFError):
            yield f"unreadable: {name} (gzip)", b""
        return
    if head.startswith(_MAGIC_ZIP):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield from _bytes_text(f"{name}>{member}", archive.read(member))
        except (zipfile.BadZipFile, OSError):
            yield f"unreadable: {name} (zip)", b""
        return
    if b"\x00" not in data:
        yield name, data.lower()
    else:
        yield f"{name} (printable runs)", b"\n".join(_PRINTABLE_RUN.findall(data)).lower()


def _texts(path: Path) -> Iterator[tuple[str, bytes]]:
    with path.open("rb") as fh:
        head = fh.read(16)
    try:
        if head.startswith(_MAGIC_PARQUET):
            yield from _parquet_text(path)
        elif _is_duckdb(head):
            yield from _duckdb_text(path)
        elif head.startswith(_MAGIC_SQLITE):
            yield from _sqlite_text(path)
        else:
            yield from _bytes_text("bytes", path.read_bytes())
    except (duckdb.Error, sqlite3.Error) as exc:
        # Unreadable as what its magic says (truncated, corrupt): its bytes are all there is.
        yield f"unreadable: {type(exc).__name__}", b""
        yield from _bytes_text("bytes", path.read_bytes())


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
