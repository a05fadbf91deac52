"""Content validation of one submission staged in DuckDB temp tables.

Great Expectations validates both files against the spec suites and the drift suites
(``quality.gx_suites``); for each failed expectation a DuckDB locator finds the row numbers.
DuckDB also checks referential integrity between the files and runs the plaintext-identifier
detector. The result is a list of value-free findings plus the drift profile to store.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

import duckdb

from contract.manifest import FileName
from encoding.plaintext import scan
from quality.drift import ROWS, History, drift_parameters
from quality.findings import MAX_ROWS_LISTED, CheckName, Finding
from quality.gx_suites import open_project, pair_column
from quality.gx_validate import ExpectationOutcome, validate_frame
from quality.locate import locate, sql
from quality.plaintext import verified_columns
from quality.rules import EVENTS, PERSONS, RULES, Rule, rule_columns

TABLES: Final[dict[FileName, str]] = {PERSONS: "ingest_persons", EVENTS: "ingest_events"}
# Typed as check names, so a name that is not a check fails mypy rather than a run.
CONTENT_CHECKS: Final[tuple[CheckName, ...]] = (
    "encoding_format",
    "payload_domains",
    "duplicate_records",
    "referential_integrity",
    "plaintext_identifiers",
    "drift",
)


@dataclass
class ContentResult:
    """What content validation found.

    Attributes:
        findings: Value-free findings (blocking and warnings).
        profile: ``(file, column, value)``: non-null rates and row counts, for drift history.
        outcomes: Every GX expectation outcome (for metadata: how many expectations ran).
        timings: Seconds spent in GX (incl. the pandas hand-over) and in the DuckDB checks.
    """

    findings: list[Finding] = field(default_factory=list)
    profile: list[tuple[str, str, float]] = field(default_factory=list)
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _frame(con: duckdb.DuckDBPyConnection, file: FileName):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        # "extra copy" warning: the copy is exactly what GX needs (a pandas frame of its own).
        warnings.simplefilter("ignore", UserWarning)
        table = con.execute(
            sql("select_columns"), {"t": TABLES[file], "cols": rule_columns(file)}
        ).to_arrow_table()
    assert table is not None
    frame = table.to_pandas(date_as_object=False)
    # GX compares vectorised only for float/int64 columns (its date bounds arrive as `date`
    # objects that pandas will not compare with datetime64); anything else goes value by value
    # through Python. So dates are handed over as days since 1970-01-01 (see gx_suites).
    for column in frame.columns:
        kind = frame[column].dtype.kind
        if kind == "M":
            days = frame[column].astype("datetime64[s]").astype("int64") // 86400
            frame[column] = days.where(frame[column].notna()).astype("float64")
        elif kind in "iu" or (kind == "f" and frame[column].dtype != "float64"):
            frame[column] = frame[column].astype("float64")
    for rule in RULES[file]:
        if rule.kind == "pair_in_set" and rule.column_b:
            a, b = frame[rule.column], frame[rule.column_b]
            frame[pair_column(rule)] = (a + ":" + b).where(a.notna() & b.notna())
    return frame


def _rule_finding(
    con: duckdb.DuckDBPyConnection,
    file: FileName,
    rule: Rule,
    outcome: ExpectationOutcome,
    as_of: date,
) -> Finding:
    if outcome.error:
        return Finding(
            rule.check,
            f"could not be validated ({outcome.error})",
            file=file,
            column=rule.column,
            expectation=outcome.expectation,
            fix="check the column's type against docs/submission-format.md",
        )
    count, rows = locate(con, TABLES[file], rule, as_of=as_of)
    count = count or int(outcome.unexpected_count or 0)
    column = f"{rule.column}, {rule.column_b}" if rule.kind == "pair_in_set" else rule.column
    return Finding(
        rule.check,
        f"{count} value(s) {rule.problem}",
        file=file,
        column=column,
        rows=rows,
        count=count,
        expectation=outcome.expectation,
        fix=rule.fix,
    )


def _drift_finding(file: FileName, outcome: ExpectationOutcome, history: History) -> Finding:
    _, column, kind = outcome.rule_id.split(":")
    observed = outcome.observed
    if kind == "volume":
        median = history.medians.get((file, ROWS))
        message = (
            f"{int(observed or 0)} rows, against a median of {int(median or 0)} over the "
            f"partner's last {history.submissions} submission(s)"
        )
        column_name = None
    else:
        median = history.medians.get((file, column))
        message = (
            f"non-null rate {observed or 0:.0%}, against a median of {median or 0:.0%} over "
            f"the partner's last {history.submissions} submission(s)"
        )
        column_name = column
    return Finding(
        "drift",
        message,
        severity="warning",
        file=file,
        column=column_name,
        expectation=outcome.expectation,
        fix="if the export changed on purpose, no action; otherwise check the export's filter "
        "and field mapping",
    )


def _orphans(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    row = con.execute(sql("referential_orphans"), {"limit": MAX_ROWS_LISTED}).fetchone()
    if not row or not row[0]:
        return []
    return [
        Finding(
            "referential_integrity",
            f"{row[0]} event(s) reference a record_pseudonym with no row in persons.parquet",
            file=EVENTS,
            column="record_pseudonym",
            rows=tuple(int(r) for r in row[1]),
            count=int(row[0]),
            fix="send every person whose events are sent, in the same package, encoded "
            "under the same partner key",
        )
    ]


def validate_content(
    con: duckdb.DuckDBPyConnection,
    *,
    quality_dir: Path,
    submission_id: str,
    as_of: date,
    history: History,
    rows: dict[FileName, int],
) -> ContentResult:
    """Validate the staged temp tables ``ingest_persons`` and ``ingest_events``.

    Args:
        con: The connection holding the temp tables.
        quality_dir: ``<home>/quality`` (the GX project and Data Docs live there).
        submission_id: The GX run name.
        as_of: Latest allowed date (the submission's creation date).
        history: The partner's drift history.
        rows: Row counts per file.
    """
    result = ContentResult()
    started = time.perf_counter()
    project = open_project(quality_dir)
    gx_seconds = 0.0
    passed: list[Rule] = []
    for file in (PERSONS, EVENTS):
        rules = {rule.rule_id: rule for rule in RULES[file]}
        gx_started = time.perf_counter()
        outcomes = validate_frame(
            project,
            file,
            _frame(con, file),
            run_name=submission_id,
            as_of=as_of,
            parameters=drift_parameters(history, file),
        )
        gx_seconds += time.perf_counter() - gx_started
        result.outcomes.extend(outcomes)
        result.profile.append((file, ROWS, float(rows[file])))
        for outcome in outcomes:
            if outcome.check == "drift":
                _, column, kind = outcome.rule_id.split(":")
                if kind == "null_rate" and outcome.observed is not None:
                    result.profile.append((file, column, outcome.observed))
                if not outcome.success and not history.empty:
                    result.findings.append(_drift_finding(file, outcome, history))
            elif (rule := rules.get(outcome.rule_id)) is not None:
                if outcome.success:
                    passed.append(rule)
                else:
                    result.findings.append(_rule_finding(con, file, rule, outcome, as_of))
    result.findings.extend(_orphans(con))
    detector_started = time.perf_counter()
    result.findings.extend(scan(con, TABLES, verified=verified_columns(passed)))
    result.timings = {
        "gx": gx_seconds,
        "detector": time.perf_counter() - detector_started,
        "locate_and_integrity": detector_started - started - gx_seconds,
    }
    return result
