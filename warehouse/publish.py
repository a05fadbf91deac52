"""Atomic publication of hub outputs: build aside, then swap, then record.

Everything the hub hands out (the analysts' marts, partner extracts, the ecosystem report) is
written by a builder callback into a private path next to its destination. Only when the builder
has returned, and its bytes are on disk (``fsync``), is the result swapped into place with a
single ``os.replace``, which POSIX guarantees to be atomic. A reader therefore sees either the
last good version or the new one, never a half-built file, whatever happens to the process
(``kill -9``, a full disk, a power cut) during the build. A row in ``ops.publications`` (in
``hub.duckdb``) then records the version, so ``carehub status`` can show the last good
publication of each output.

Two shapes of output are supported:

* :func:`publish_file`: one file (``marts/marts.duckdb``, one extract). The builder writes the
  path it is given; ``os.replace`` swaps it over the destination.
* :func:`publish_dir`: a folder of files (the report's HTML and PNGs, a partner's extract with its
  manifest). Each version is built in ``<parent>/.versions/<name>/<version>/`` and the destination
  is a symbolic link that is swapped atomically to the new version; the last ``keep`` versions
  are kept so that a reader holding an old path is not cut off mid-read.

A crash between the swap and the ``ops.publications`` row leaves the new output published but
unrecorded; the next run publishes again and records it. A crash before the swap leaves a stale
``*.building`` path, which the next publication of the same output removes.

``details`` is stored in ``ops.publications`` and shown to stewards: it must hold only counts,
names and versions, never an identifier, pseudonym or person key.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from kernel import clock
from kernel.db import given_or_own
from kernel.faults import pause_point
from kernel.home import HubHome

_SQL = Path(__file__).parent
_BUILDING = ".building"
_VERSIONS = ".versions"

Builder = Callable[[Path], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Publication:
    """One successful publication of an output.

    Attributes:
        output: Stable name of the output: ``"marts"``, ``"report"``, ``"extract:<partner>"``.
        version: ``<UTC yyyymmddThhmmssZ>-<6 hex>`` unless the caller chose one.
        path: The published path (the destination file, or the version folder of a directory).
        published_at: When the swap happened (UTC).
        run_id: The Dagster run (or CLI invocation) that published it, if known.
        details: Counts and names the builder returned (no identifiers).
    """

    output: str
    version: str
    path: Path
    published_at: datetime
    run_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def new_version(now: datetime | None = None) -> str:
    """A sortable, unique version label: ``20261126T171500Z-a1b2c3``."""
    moment = (now or clock.now()).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``ops.publications`` if it is missing (idempotent)."""
    con.execute((_SQL / "publish_ddl.sql").read_text())


def record(
    con: duckdb.DuckDBPyConnection,
    publication: Publication,
) -> None:
    """Insert ``publication`` into ``ops.publications``."""
    ensure_schema(con)
    con.execute(
        (_SQL / "publish_insert.sql").read_text(),
        {
            "output": publication.output,
            "version": publication.version,
            "path": str(publication.path),
            "published_at": publication.published_at,
            "run_id": publication.run_id,
            "details": json.dumps(publication.details, default=str, sort_keys=True),
        },
    )


def last_publications(
    con: duckdb.DuckDBPyConnection, output: str | None = None
) -> list[Publication]:
    """The last good publication of each output (or only of ``output``), ordered by output.

    Works on a read-only connection; no publication yet (no ``ops.publications``) gives ``[]``.
    """
    ((exists,),) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' "
        "AND table_name = 'publications' AND database_name = current_database()"
    ).fetchall()
    if not exists:
        return []
    rows = con.execute((_SQL / "publish_latest.sql").read_text(), {"output": output}).fetchall()
    return [
        Publication(
            output=row[0],
            version=row[1],
            path=Path(row[2]),
            published_at=row[3],
            run_id=row[4],
            details=json.loads(row[5]) if row[5] else {},
        )
        for row in rows
    ]


def publish_file(
    home: HubHome,
    output: str,
    target: Path,
    build: Builder,
    *,
    run_id: str | None = None,
    version: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Publication:
    """Build one file aside and swap it over ``target`` atomically, then record it.

    Args:
        home: The hub home (its ``hub.duckdb`` receives the ``ops.publications`` row).
        output: Output name recorded in ``ops.publications``.
        target: Destination file, e.g. ``home.marts_db``.
        build: Called with a fresh path in the same folder as ``target`` (same file system, so
            the swap is a rename); it must create that file and may return details to record.
        run_id: The run that publishes.
        version: Version label; default :func:`new_version`.
        con: An open connection to ``hub.duckdb`` to record with; default opens one.

    Returns:
        The recorded publication.

    Raises:
        Exception: whatever ``build`` raised; ``target`` is then untouched.
        FileNotFoundError: ``build`` returned without creating the file.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target.parent, f".{target.name}.", _BUILDING)
    version = version or new_version()
    aside = target.parent / f".{target.name}.{version}{_BUILDING}"
    try:
        details = build(aside)
        if not aside.is_file():
            raise FileNotFoundError(
                f"publishing {output!r}: the builder did not create {aside.name}; "
                "it must write the path it is given"
            )
        _fsync_file(aside)
        pause_point(f"publish:{output}")  # fault tests kill the run here
        os.replace(aside, target)
        _fsync_dir(target.parent)
    finally:
        _remove(aside)
        _remove(aside.with_name(aside.name + ".wal"))
    publication = Publication(output, version, target, clock.now(), run_id, dict(details or {}))
    _record(home, publication, con)
    return publication


def publish_dir(
    home: HubHome,
    output: str,
    target: Path,
    build: Builder,
    *,
    run_id: str | None = None,
    version: str | None = None,
    keep: int = 3,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Publication:
    """Build a folder aside and point the ``target`` symlink at it atomically, then record it.

    Versions live in ``<target.parent>/.versions/<target.name>/<version>/``; ``target`` becomes a
    relative symbolic link to the current one. Readers should open files through ``target``
    (or :func:`current_dir`).

    Args:
        home: The hub home (its ``hub.duckdb`` receives the ``ops.publications`` row).
        output: Output name recorded in ``ops.publications``.
        target: The published folder name, e.g. ``home.reports / "ecosystem"``.
        build: Called with an empty folder to fill; may return details to record.
        run_id: The run that publishes.
        version: Version label (a folder name); default :func:`new_version`.
        keep: How many published versions to keep on disk (at least 1, the current one).
        con: An open connection to ``hub.duckdb`` to record with; default opens one.

    Returns:
        The recorded publication; its ``path`` is the version folder.
    """
    target = Path(target)
    versions = target.parent / _VERSIONS / target.name
    versions.mkdir(parents=True, exist_ok=True)
    _remove_stale(versions, "", _BUILDING)
    _remove_stale(target.parent, f".{target.name}.", ".link")
    _remove_never_published(versions, target)
    version = version or new_version()
    final = versions / version
    if final.exists():
        raise FileExistsError(f"publishing {output!r}: version {version} already exists")
    aside = versions / f"{version}{_BUILDING}"
    aside.mkdir()
    try:
        details = build(aside)
        for path in sorted(aside.rglob("*")):
            if path.is_file():
                _fsync_file(path)
        os.rename(aside, final)
        _fsync_dir(versions)
    finally:
        _remove(aside)
    if target.exists() and not target.is_symlink():
        # A real folder from before this scheme: move it out of the way once (not atomic).
        os.rename(target, versions / f"legacy-{new_version()}")
    link = target.parent / f".{target.name}.{version}.link"
    os.symlink(os.path.relpath(final, target.parent), link)
    pause_point(f"publish:{output}")  # fault tests kill the run here
    os.replace(link, target)
    _fsync_dir(target.parent)
    _prune(versions, keep=max(keep, 1), current=final)
    publication = Publication(output, version, final, clock.now(), run_id, dict(details or {}))
    _record(home, publication, con)
    return publication


def current_dir(target: Path) -> Path:
    """The version folder that the published ``target`` link points at now."""
    return Path(target).resolve(strict=True)


def _record(home: HubHome, publication: Publication, con: duckdb.DuckDBPyConnection | None) -> None:
    with given_or_own(con, home.hub_db) as own:
        record(own, publication)


def _versions_by_age(versions: Path) -> Iterator[Path]:
    yield from sorted(
        (p for p in versions.iterdir() if p.is_dir() and not p.name.endswith(_BUILDING)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )


def _remove_never_published(versions: Path, target: Path) -> None:
    """Versions newer than the current one were built by a run that died before its swap.

    Nobody was ever given them: they go, so they are never kept as if they had been published
    (an extract among them would be logged as built but never delivered).
    """
    if not target.is_symlink():
        return
    current = target.resolve()
    if not current.is_dir():
        return
    born = current.stat().st_mtime
    for path in _versions_by_age(versions):
        if path != current and path.stat().st_mtime > born:
            _remove(path)


def _prune(versions: Path, *, keep: int, current: Path) -> None:
    kept = 0
    for path in _versions_by_age(versions):
        if path == current or kept < keep - 1:
            kept += path != current
            continue
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale(folder: Path, prefix: str, suffix: str) -> None:
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(prefix) and (
            path.name.endswith(suffix) or path.name.endswith(suffix + ".wal")
        ):
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
