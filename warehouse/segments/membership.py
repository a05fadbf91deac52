"""Segment membership: evaluate each checked rule over the person features."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from sqlglot import exp

from warehouse.features.sqlscript import run_script
from warehouse.segments.definitions import SegmentSet
from warehouse.segments.rules import validate_rule

_SQL = Path(__file__).parent


@dataclass(frozen=True)
class MembershipResult:
    """What :func:`compute_membership` wrote.

    Attributes:
        as_of: Reference date of the current membership.
        sizes: segment -> people in it now (in-hub counts: never publish them unsuppressed).
        rows: Rows of ``segments.membership``.
        rows_monthly: Rows of ``segments.membership_monthly``.
    """

    as_of: date
    sizes: dict[str, int]
    rows: int
    rows_monthly: int


def _select(segment: str, version: str, rule: exp.Expression, table: str, monthly: bool) -> exp.Select:
    columns: list[exp.Expression] = [exp.column("person_key")]
    if monthly:
        columns.insert(0, exp.column("month"))
    columns += [
        exp.Literal.string(segment).as_("segment"),
        exp.Literal.string(version).as_("segment_version"),
    ]
    alive = exp.Not(this=exp.column("deceased"))
    return (
        exp.select(*columns)
        .from_(exp.to_table(table))
        .where(exp.and_(alive, exp.Paren(this=rule.copy())))
    )


def membership_query(segments: SegmentSet, *, monthly: bool = False) -> str | None:
    """One ``UNION ALL`` query of every segment's members, generated from the checked rules.

    The rules are re-validated here and the SQL is generated from their syntax trees with
    sqlglot, so nothing of the YAML text reaches DuckDB unchecked.
    """
    table = "features.person_month" if monthly else "features.person_features"
    parts = [
        _select(s.name, s.version, validate_rule(s.name, s.rule), table, monthly)
        for s in segments.segments
    ]
    if not parts:
        return None
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    return query.sql(dialect="duckdb")


def compute_membership(
    con: duckdb.DuckDBPyConnection, segments: SegmentSet, *, monthly: bool = True
) -> MembershipResult:
    """Rebuild ``segments.definitions``, ``segments.membership`` (and the monthly history).

    Requires ``features.person_features`` (and ``features.person_month`` when ``monthly``) from
    :func:`warehouse.features.build_features`. Deceased persons are in no segment.
    """
    ((as_of,),) = con.execute("SELECT max(as_of_date) FROM features.person_features").fetchall()
    con.execute("BEGIN TRANSACTION")
    try:
        run_script(con, _SQL / "membership_ddl.sql")
        for s in segments.segments:
            con.execute(
                (_SQL / "definitions_insert.sql").read_text(),
                {
                    "segment": s.name,
                    "version": s.version,
                    "description": s.description,
                    "owner": s.owner,
                    "rule": s.rule,
                    "rule_sql": s.rule_sql,
                    "sha256": segments.sha256 or None,
                    "as_of": as_of,
                },
            )
        current = membership_query(segments)
        if current:
            con.execute("INSERT INTO segments.membership " + current)
        history = membership_query(segments, monthly=True) if monthly else None
        if history:
            con.execute("INSERT INTO segments.membership_monthly " + history)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    sizes = {name: int(n) for name, n in con.execute((_SQL / "sizes.sql").read_text()).fetchall()}
    ((rows,),) = con.execute("SELECT count(*) FROM segments.membership").fetchall()
    ((rows_monthly,),) = con.execute(
        "SELECT count(*) FROM segments.membership_monthly"
    ).fetchall()
    return MembershipResult(as_of=as_of, sizes=sizes, rows=int(rows), rows_monthly=int(rows_monthly))
