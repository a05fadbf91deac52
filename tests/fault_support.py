"""Helpers for the recovery and concurrency tests: kill real runs, fingerprint what is published."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kernel.db import connection
from kernel.home import HubHome

PAUSE_TIMEOUT = 900.0


def carehub_command(*args: str) -> list[str]:
    """The ``carehub`` console script of this environment, with ``args``."""
    return [str(Path(sys.executable).with_name("carehub")), *args]


@dataclass(frozen=True)
class Killed:
    """A run killed at a pause point."""

    point: str
    pid: int
    stderr: str


def kill_at(home: HubHome, point: str, args: list[str], workdir: Path) -> Killed:
    """Run ``carehub <args>`` until it reaches pause point ``point``, then ``kill -9`` it.

    Raises:
        AssertionError: the process ended (or timed out) without reaching the point.
    """
    ready = workdir / f"paused-{point.replace(':', '_')}-{time.monotonic_ns()}"
    log = ready.with_suffix(".stderr")
    env = {
        **os.environ,
        "CAREHUB_HOME": str(home.root),
        "CAREHUB_FAULT_PAUSE": point,
        "CAREHUB_FAULT_READY": str(ready),
    }
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            carehub_command(*args, "--home", str(home.root)),
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + PAUSE_TIMEOUT
    while not ready.exists():
        if process.poll() is not None:
            raise AssertionError(
                f"`carehub {' '.join(args)}` ended (status {process.returncode}) without reaching "
                f"{point}:\n{log.read_text()[-4000:]}"
            )
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise AssertionError(f"{point} not reached in {PAUSE_TIMEOUT}s")
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return Killed(point, process.pid, log.read_text())


def carehub_run(home: HubHome, *args: str, timeout: float = 1800.0) -> str:
    """``carehub run <args>`` in a fresh process; returns its output, asserting it succeeded."""
    done = subprocess.run(
        carehub_command("run", *args, "--home", str(home.root)),
        env={**os.environ, "CAREHUB_HOME": str(home.root)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"`carehub run {' '.join(args)}` failed:\n{output[-4000:]}"
    return output


def sha256_tree(path: Path) -> dict[str, str]:
    """sha256 of a file, or of every file under a folder (symlinks followed), by relative name."""
    path = path.resolve()
    if path.is_file():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def published(home: HubHome) -> dict[str, object]:
    """What analysts and partners can see now: last publications and the bytes behind them."""
    with connection(home.hub_db, read_only=True) as con:
        rows = con.execute(
            "SELECT output, version, path FROM ops.publications "
            "QUALIFY row_number() OVER (PARTITION BY output ORDER BY published_at DESC) = 1 "
            "ORDER BY output"
        ).fetchall()
    state: dict[str, object] = {"versions": {output: version for output, version, _ in rows}}
    state["marts.duckdb"] = sha256_tree(home.marts_db)
    for partner_dir in sorted(home.outbox.iterdir()) if home.outbox.exists() else []:
        current = partner_dir / "current"
        if current.exists():
            state[f"outbox/{partner_dir.name}"] = sha256_tree(current)
    return state


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return int(row[0])


def staging_snapshot(home: HubHome) -> dict[str, tuple[object, ...]]:
    """Every submission's row, and its loaded row counts, by submission id."""
    with connection(home.hub_db, read_only=True) as con:
        rows = con.execute(
            "SELECT s.submission_id, s.partner_id, s.state, s.persons_rows, s.events_rows, "
            "(SELECT count(*) FROM staging.persons p WHERE p.submission_id = s.submission_id), "
            "(SELECT count(*) FROM staging.events e WHERE e.submission_id = s.submission_id) "
            "FROM staging.submissions s ORDER BY s.submission_id"
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def linkage_fingerprint(home: HubHome) -> str:
    """sha256 over the current answer (record -> person key), in a stable order."""
    with connection(home.hub_db, read_only=True) as con:
        rows = con.execute(
            "SELECT partner_id, record_pseudonym, person_key FROM linkage.person_records "
            "ORDER BY partner_id, record_pseudonym"
        ).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


_STAGING_CHECKS = {
    "duplicate staged persons": "SELECT count(*) - count(DISTINCT (submission_id, "
    "record_pseudonym)) FROM staging.persons",
    "duplicate staged events": "SELECT count(*) - count(DISTINCT (submission_id, event_id)) "
    "FROM staging.events",
    "duplicate current records": "SELECT count(*) - count(DISTINCT (partner_id, "
    "record_pseudonym)) FROM staging.current_persons",
    "duplicate submissions": "SELECT count(*) - count(DISTINCT submission_id) "
    "FROM staging.submissions",
    "committed rows lost": "SELECT count(*) FROM staging.submissions s WHERE persons_rows <> "
    "(SELECT count(*) FROM staging.persons p WHERE p.submission_id = s.submission_id) OR "
    "events_rows <> (SELECT count(*) FROM staging.events e WHERE e.submission_id = "
    "s.submission_id)",
}
_LINKAGE_CHECKS = {
    "duplicate linked records": "SELECT count(*) - count(DISTINCT (partner_id, "
    "record_pseudonym)) FROM linkage.person_records",
    "duplicate person keys": "SELECT count(*) - count(DISTINCT person_key) FROM linkage.persons",
    "current records not linked": "SELECT count(*) FROM staging.current_persons c "
    "ANTI JOIN linkage.person_records r USING (partner_id, record_pseudonym)",
}
_PUBLICATION_CHECKS = {
    "duplicate publications": "SELECT count(*) - count(DISTINCT (output, version)) "
    "FROM ops.publications",
}


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        scalar(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table],
        )
    )


def integrity_problems(home: HubHome, *, marts: bool = True) -> list[str]:
    """Duplicates anywhere, or committed records missing from staging or from linkage.

    Linkage and publication invariants apply once those tables exist; ``marts`` also checks
    every table of ``marts.duckdb`` for duplicate rows.
    """
    problems = []
    with connection(home.hub_db, read_only=True) as con:
        checks = dict(_STAGING_CHECKS)
        if _has_table(con, "linkage", "person_records"):
            checks.update(_LINKAGE_CHECKS)
        if _has_table(con, "ops", "publications"):
            checks.update(_PUBLICATION_CHECKS)
        for name, sql in checks.items():
            found = scalar(con, sql)
            if found:
                problems.append(f"{name}: {found}")
    if not marts:
        return problems
    with connection(home.marts_db, read_only=True) as mart:
        tables = mart.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            # Names come from the catalogue of the file under test, not from input.
            ident = f'"{schema}"."{table}"'
            dupes = scalar(
                mart,
                f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM {ident})) "
                f"FROM {ident}",
            )
            if dupes:
                problems.append(f"marts {schema}.{table}: {dupes} duplicate row(s)")
    return problems
