"""Ingest one submission: gates, validation, then one transaction, or quarantine.

Order of the gates (each stops the package at the first blocking stage):

1. landing state: a package still being written is left alone (``pending``);
2. files and manifest: completeness, no escaping paths, manifest parses, spec version known
   (and the widths of its truncated tokens recorded);
3. partner registry and key fingerprint (``config/governance.yaml``);
4. checksums, empty files; Parquet readable, row counts, schema and types;
5. idempotency: the same manifest again is a ``duplicate`` (nothing loaded twice); a reused
   submission id or a bad ``supersedes`` is refused; token widths other than those of the
   submissions it will be linked with (or of the steward's ``ecosystem_persons``) are refused;
6. content: the GX suites, referential integrity, the plaintext-identifier detector, drift.

A package that passes is loaded in one DuckDB transaction and moved to ``archive/``; a package
that fails is moved whole to ``quarantine/`` with ``reason.json`` and ``reason.txt``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb

from contract.manifest import EVENTS_FILE, PERSONS_FILE
from contract.manifest import MANIFEST_FILE as MANIFEST
from kernel import clock
from kernel.faults import pause_point
from kernel.home import HubHome
from quality.drift import History, load_history
from quality.findings import Finding
from quality.reasons import summary
from quality.validate import CONTENT_CHECKS, validate_content
from warehouse.governance import Governance, load_governance
from warehouse.ingest import landing
from warehouse.ingest.package import (
    PURGE,
    Package,
    check_checksums,
    check_files,
    check_parquet,
    check_partner,
    check_token_widths,
    sql,
    stage_tables,
)
from warehouse.ingest.quarantine import (
    move_package,
    purge_data,
    sanitise_manifest,
    write_reasons,
)
from warehouse.staging import (
    SubmissionRecord,
    SupersedeError,
    ensure_schema,
    find_by_manifest,
    find_submission,
    load_submission,
    record_delivery,
)

Outcome = Literal["ingested", "quarantined", "duplicate", "pending"]
# Findings that mean raw identifiers arrived: the quarantined data files are purged.
_IDENTIFIER_CHECKS = frozenset({"plaintext_identifiers"})


def purge_reasons(findings: list[Finding]) -> list[str]:
    """Why the package's data must be deleted on arrival (empty: it may be kept)."""
    why = {str(f.extra[PURGE]) for f in findings if PURGE in f.extra}
    if any(f.check in _IDENTIFIER_CHECKS and f.blocking for f in findings):
        why.add("values in it look like raw identifiers")
    return sorted(why)


@dataclass
class IngestResult:
    """What happened to one submission.

    Attributes:
        submission_id: The submission.
        partner_id: Its partner (the landing folder's name).
        outcome: ``ingested``, ``quarantined``, ``duplicate`` (already ingested: nothing
            loaded) or ``pending`` (still being written: left in landing).
        message: One steward-facing line, value-free.
        findings: Every finding (blocking and warnings).
        checks_run: Names of the checks that were evaluated (those without a blocking finding
            passed).
        location: Where the package is now (archive or quarantine folder), if moved.
        persons_rows: Rows loaded (0 unless ingested).
        events_rows: Rows loaded (0 unless ingested).
        superseded: The submission this one replaced, if any.
        expectations: GX expectations evaluated.
        timings: Seconds per stage: package_gates, stage, content (of which content.gx,
            content.detector, content.locate_and_integrity) and load.
        already_decided: The package had left landing before this call (a re-run after the
            decision): the recorded decision, reported again, nothing changed.
    """

    submission_id: str
    partner_id: str
    outcome: Outcome
    message: str
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    location: Path | None = None
    persons_rows: int = 0
    events_rows: int = 0
    superseded: str | None = None
    expectations: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    already_decided: bool = False

    def check_results(self) -> dict[str, list[Finding]]:
        """Each evaluated check with its findings (empty list: passed)."""
        return {c: [f for f in self.findings if f.check == c] for c in self.checks_run}


def _result(
    package: Package, outcome: Outcome, message: str, folder: Path, **loaded: Any
) -> IngestResult:
    """The result of a decided package: its findings, checks run and where it now lies."""
    return IngestResult(
        package.submission_id,
        package.partner_id,
        outcome,
        message,
        findings=package.findings,
        checks_run=package.checks_run,
        location=folder,
        **loaded,
    )


def _governance(home: HubHome) -> Governance:
    """The partner registry. A file that fails to load is the stewards' error: it raises
    (:class:`GovernanceError`, naming the file, the key and the fix) and stops the run with
    every package left in landing, never turned into a partner's quarantine reason."""
    return load_governance(home)


def ingest_submission(
    home: HubHome,
    con: duckdb.DuckDBPyConnection,
    submission_id: str,
    *,
    governance: Governance | None = None,
    now: datetime | None = None,
    grace: timedelta = landing.DEFAULT_GRACE,
) -> IngestResult:
    """Validate and load (or quarantine) the landing package ``submission_id``.

    Args:
        home: The hub home.
        con: A read-write connection to ``hub.duckdb``.
        submission_id: The package folder's name under ``landing/<partner>/``.
        governance: The partner registry; loaded from ``config/governance.yaml`` when omitted.
        now: The current time (tests).
        grace: How long a package may stay incomplete before it is quarantined.

    Returns:
        The outcome. When the package already left landing (a re-run after the decision), the
        recorded decision is returned and nothing changes.

    Raises:
        LookupError: No landing folder holds ``submission_id`` and it was never decided.
        GovernanceError: ``config/governance.yaml`` is missing or invalid; nothing was moved.
    """
    ensure_schema(con)
    con.execute("SET enable_progress_bar = false")
    path = landing.find(home, submission_id)
    if path is None:
        decided = con.execute(sql("latest_delivery"), {"submission_id": submission_id}).fetchone()
        if decided is None:
            raise LookupError(
                f"no package {submission_id} in {home.landing}/<partner>/ and no decision on "
                "it in staging.deliveries: it never arrived, or was removed by hand"
            )
        # A re-run after the decision (a retry, a crash after the move): report, change nothing.
        outcome, summary_line, location = decided
        return IngestResult(
            submission_id,
            submission_id.split("-", 1)[0],
            outcome,
            f"already decided: {summary_line}",
            location=home.root / location if location else None,
            already_decided=True,
        )
    now = now or clock.now()
    entry = landing.inspect(path, partner_id=path.parent.name, now=now, grace=grace)
    if entry.state == "pending":
        return IngestResult(submission_id, entry.partner_id, "pending", entry.reason)
    gov = governance if governance is not None else _governance(home)
    package = Package(path=path, partner_id=entry.partner_id, submission_id=submission_id)
    try:
        return _run(home, con, package, gov, now)
    finally:
        con.execute(sql("drop_stage"))


def _run(
    home: HubHome,
    con: duckdb.DuckDBPyConnection,
    package: Package,
    governance: Governance | None,
    now: datetime,
) -> IngestResult:
    stopwatch = _Stopwatch()
    result = _gates_and_load(home, con, package, governance, now, stopwatch)
    result.timings = stopwatch.laps
    return result


class _Stopwatch:
    """Wall-clock seconds per stage (for metadata and the benchmark)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


def _gates_and_load(
    home: HubHome,
    con: duckdb.DuckDBPyConnection,
    package: Package,
    governance: Governance | None,
    now: datetime,
    stopwatch: _Stopwatch,
) -> IngestResult:
    check_files(package)
    if not package.blocked:
        check_partner(package, governance, now.date())
    if not package.blocked:
        check_checksums(package)
    if not package.blocked:
        check_parquet(con, package)
    stopwatch.lap("package_gates")
    if package.blocked:
        return _quarantine(home, con, package, now)
    duplicate = _check_idempotency(con, package)
    if duplicate is not None:
        return _duplicate(home, con, package, duplicate, now)
    check_token_widths(con, package, governance)
    if package.blocked:
        return _quarantine(home, con, package, now)
    stage_tables(con, package)
    stopwatch.lap("stage")
    if package.blocked:
        return _quarantine(home, con, package, now)
    created = package.created_at or now
    rows = {PERSONS_FILE: package.rows(PERSONS_FILE), EVENTS_FILE: package.rows(EVENTS_FILE)}
    content = validate_content(
        con,
        quality_dir=home.quality,
        submission_id=package.submission_id,
        as_of=min(created, now).date(),  # no event after the package was made
        # An events package is a few records by design: drift against the partner's full
        # exports would only cry wolf, and its profile would skew theirs (not recorded).
        history=(
            History(medians={}, submissions=0)
            if package.kind == "events"
            else load_history(con, package.partner_id)
        ),
        rows=rows,  # type: ignore[arg-type]
    )
    stopwatch.lap("content")
    stopwatch.laps.update({f"content.{k}": v for k, v in content.timings.items()})
    package.ran(*CONTENT_CHECKS)
    package.findings.extend(content.findings)
    if package.blocked:
        result = _quarantine(home, con, package, now)
        result.expectations = len(content.outcomes)
        return result
    profile = [] if package.kind == "events" else content.profile
    loaded = _load(home, con, package, profile, now, len(content.outcomes))
    stopwatch.lap("load")
    return loaded


def _check_idempotency(con: duckdb.DuckDBPyConnection, package: Package) -> str | None:
    """Return the id of an already ingested identical package; add findings for misuse."""
    package.ran("idempotency")
    assert package.manifest_sha256 is not None and package.manifest is not None
    same = find_by_manifest(con, package.manifest_sha256)
    if same is not None:
        return same[0]
    existing = find_submission(con, package.submission_id)
    if existing is not None:
        package.findings.append(
            Finding(
                "idempotency",
                "this submission id was already ingested from a different package; a "
                "submission is never changed in place",
                file="manifest.json",
                column="submission_id",
                fix="send the corrected data as a new package (new submission id) with "
                "supersedes set to the submission it replaces",
            )
        )
    target = package.manifest.get("supersedes")
    if isinstance(target, str):
        replaced = find_submission(con, target)
        problem = None
        if target == package.submission_id:
            problem = "supersedes names the submission itself"
        elif replaced is None:
            problem = "supersedes names a submission the hub never ingested"
        elif replaced["partner_id"] != package.partner_id:
            problem = "supersedes names another partner's submission"
        elif replaced["state"] != "ingested":
            problem = f"supersedes names a submission that is already {replaced['state']}"
        if problem:
            package.findings.append(
                Finding(
                    "idempotency",
                    problem,
                    file="manifest.json",
                    column="supersedes",
                    fix="name the partner's current ingested submission this package replaces "
                    "(`carehub status` lists them), or null for an additional submission",
                )
            )
    return None


def _checks_json(package: Package) -> list[dict[str, Any]]:
    return [f.as_dict() for f in package.findings]


def _quarantine(
    home: HubHome, con: duckdb.DuckDBPyConnection, package: Package, now: datetime
) -> IngestResult:
    folder = move_package(package.path, home.quarantine, package.partner_id, package.submission_id)
    why = purge_reasons(package.findings)
    purged = purge_data(folder) if why else []
    sanitise_manifest(folder)
    write_reasons(
        folder,
        submission_id=package.submission_id,
        partner_id=package.partner_id,
        decided_at=now,
        findings=package.findings,
        outcome="quarantined",
        purged=purged,
        purge_reasons=why,
        manifest_sha256=package.manifest_sha256,
    )
    message = summary(package.findings)
    record_delivery(
        con,
        submission_id=package.submission_id,
        partner_id=package.partner_id,
        outcome="quarantined",
        decided_at=now,
        manifest_sha256=package.manifest_sha256,
        location=str(folder.relative_to(home.root)),
        summary=message,
        checks=_checks_json(package),
    )
    return _result(package, "quarantined", message, folder)


def _duplicate(
    home: HubHome,
    con: duckdb.DuckDBPyConnection,
    package: Package,
    ingested_as: str,
    now: datetime,
) -> IngestResult:
    archived = home.archive / package.partner_id / ingested_as
    finding = Finding(
        "idempotency",
        f"this exact package (same manifest sha256) was already ingested as {ingested_as}; "
        "nothing was loaded twice",
        severity="info",
        file="manifest.json",
        fix="nothing to do",
    )
    package.findings.append(finding)
    if ingested_as == package.submission_id and not archived.exists():
        # Committed before a crash, never moved: finish the move.
        folder = move_package(package.path, home.archive, package.partner_id, ingested_as)
        message = f"already ingested as {ingested_as}; package archived (completing a move)"
    else:
        folder = move_package(
            package.path, home.quarantine, package.partner_id, package.submission_id
        )
        write_reasons(
            folder,
            submission_id=package.submission_id,
            partner_id=package.partner_id,
            decided_at=now,
            findings=package.findings,
            outcome="duplicate",
            purged=[],
            manifest_sha256=package.manifest_sha256,
        )
        message = f"duplicate of {ingested_as}: already ingested, nothing loaded twice"
    record_delivery(
        con,
        submission_id=package.submission_id,
        partner_id=package.partner_id,
        outcome="duplicate",
        decided_at=now,
        manifest_sha256=package.manifest_sha256,
        location=str(folder.relative_to(home.root)),
        summary=message,
        checks=_checks_json(package),
    )
    return _result(package, "duplicate", message, folder)


def _load(
    home: HubHome,
    con: duckdb.DuckDBPyConnection,
    package: Package,
    profile: list[tuple[str, str, float]],
    now: datetime,
    expectations: int,
) -> IngestResult:
    assert package.manifest is not None and package.manifest_sha256 is not None
    manifest = package.manifest
    supersedes = manifest.get("supersedes")
    warnings = [f for f in package.findings if f.severity == "warning"]
    record = SubmissionRecord(
        submission_id=package.submission_id,
        partner_id=package.partner_id,
        received_at=datetime.fromtimestamp((package.path / MANIFEST).stat().st_mtime, UTC)
        + clock.file_clock_offset(package.path),
        created_at=package.created_at,
        supersedes=supersedes if isinstance(supersedes, str) else None,
        persons_rows=package.rows(PERSONS_FILE),
        events_rows=package.rows(EVENTS_FILE),
        key_fingerprint=str(manifest.get("key_fingerprint")),
        spec_version=str(manifest.get("spec_version")),
        manifest_sha256=package.manifest_sha256,
        manifest=manifest,
        warnings=len(warnings),
    )
    archive_to = home.archive / package.partner_id / package.submission_id
    try:
        load_submission(
            con,
            record,
            profile=profile,
            checks=_checks_json(package),
            ingested_at=now,
            location=str(archive_to.relative_to(home.root)),
        )
    except SupersedeError:
        package.findings.append(
            Finding(
                "idempotency",
                "the submission named in supersedes was replaced by another package meanwhile",
                file="manifest.json",
                column="supersedes",
                fix="name the partner's current submission in supersedes and re-send",
            )
        )
        return _quarantine(home, con, package, now)
    pause_point("ingest:after_commit")
    folder = move_package(package.path, home.archive, package.partner_id, package.submission_id)
    message = f"ingested {record.persons_rows} persons and {record.events_rows} events"
    if warnings:
        message += f" with {len(warnings)} drift warning(s)"
    return _result(
        package,
        "ingested",
        message,
        folder,
        persons_rows=record.persons_rows,
        events_rows=record.events_rows,
        superseded=record.supersedes,
        expectations=expectations,
    )


def sweep_empty_stale(
    home: HubHome, entries: list[landing.LandingEntry], now: datetime | None = None
) -> list[str]:
    """Quarantine, in one pass, the stale package folders that hold nothing at all.

    An empty folder has nothing to validate or load, so it needs no run of its own: thousands
    of them (a broken transfer script) would otherwise queue one ingest run each. Each gets its
    reason files; the caller tells the steward (``pipelines.defs.ingest.notices``).

    Returns:
        The submission ids swept.
    """
    moment = now or clock.now()
    swept = []
    for entry in entries:
        if entry.state != "stale" or entry.path.is_symlink() or any(entry.path.iterdir()):
            continue
        finding = Finding(
            "package_complete",
            "the package folder is empty and stayed empty past the grace period: nothing was "
            "delivered",
            fix="send the package again (`carehub partner submit`); remove stray empty folders",
        )
        folder = move_package(entry.path, home.quarantine, entry.partner_id, entry.submission_id)
        write_reasons(
            folder,
            submission_id=entry.submission_id,
            partner_id=entry.partner_id,
            decided_at=moment,
            findings=[finding],
            outcome="quarantined",
            purged=[],
            manifest_sha256=None,
        )
        swept.append(entry.submission_id)
    return swept


def ingest_landing(
    home: HubHome,
    con: duckdb.DuckDBPyConnection,
    *,
    governance: Governance | None = None,
    now: datetime | None = None,
    grace: timedelta = landing.DEFAULT_GRACE,
) -> list[IngestResult]:
    """Ingest every ready (or stale) package in landing, one at a time; pending ones wait.

    One partner's bad batch never stops another's: each package is decided on its own.
    """
    gov = governance if governance is not None else _governance(home)
    results = []
    for entry in landing.scan(home, now=now, grace=grace):
        if entry.state == "pending":
            results.append(
                IngestResult(entry.submission_id, entry.partner_id, "pending", entry.reason)
            )
        elif entry.state in {"ready", "stale"}:
            results.append(
                ingest_submission(
                    home, con, entry.submission_id, governance=gov, now=now, grace=grace
                )
            )
    return results
