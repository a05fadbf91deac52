"""Segment membership: evaluate each checked rule over the person features."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from sqlglot import exp

from kernel import clock
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


def hits_query(segments: SegmentSet, *, monthly: bool = False) -> str:
    """One pass over the features: a row per person (and month) and segment they are in.

    Columns: ``[month,] person_key, age_band, sex, zip3, segment``. Each rule becomes a
    ``CASE WHEN <rule> THEN '<segment>' END`` element of a list that is unnested, so the
    features are read once whatever the number of segments. The rules are re-validated here and
    the SQL is generated from their syntax trees with sqlglot: nothing of the YAML text reaches
    DuckDB unchecked. Deceased persons are in no segment.
    """
    table = "features.person_month" if monthly else "features.person_features"
    names = ["person_key", "age_band", "sex", "zip3"]
    if monthly:
        names.insert(0, "month")
    cases: list[exp.Expression] = [
        exp.Case(
            ifs=[
                exp.If(
                    this=exp.Paren(this=validate_rule(s.name, s.rule).copy()),
                    true=exp.Literal.string(s.name),
                )
            ]
        )
        for s in segments.segments
    ]
    if not cases:
        cases = [exp.Null()]
    inner = (
        exp.select(
            *(exp.column(n) for n in names),
            exp.Unnest(expressions=[exp.Array(expressions=cases)]).as_("segment"),
        )
        .from_(exp.to_table(table))
        .where(exp.Not(this=exp.column("deceased")))
    )
    outer = (
        exp.select(*(exp.column(n) for n in [*names, "segment"]))
        .from_(inner.subquery("hits"))
        .where(exp.column("segment").is_(exp.Null()).not_())
    )
    return outer.sql(dialect="duckdb")


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
                    "defined_at": clock.now(),
                },
            )
        con.execute("CREATE OR REPLACE TEMP VIEW _segment_hits AS " + hits_query(segments))
        con.execute((_SQL / "membership_insert.sql").read_text())
        if monthly:
            con.execute(
                "CREATE OR REPLACE TEMP VIEW _segment_hits_monthly AS "
                + hits_query(segments, monthly=True)
            )
            con.execute((_SQL / "membership_monthly_insert.sql").read_text())
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    sizes = {name: int(n) for name, n in con.execute((_SQL / "sizes.sql").read_text()).fetchall()}
    ((rows,),) = con.execute("SELECT count(*) FROM segments.membership").fetchall()
    ((rows_monthly,),) = con.execute("SELECT count(*) FROM segments.membership_monthly").fetchall()
    return MembershipResult(
        as_of=as_of, sizes=sizes, rows=int(rows), rows_monthly=int(rows_monthly)
    )


def membership_problems(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Inconsistencies of the current membership by kind, each a count (all zero: consistent):
    ``undefined_segment_rows``, ``persons_without_features``, ``deceased_members``,
    ``duplicate_rows``."""
    cursor = con.execute((_SQL / "consistency.sql").read_text())
    names = [column[0] for column in cursor.description or ()]
    row = cursor.fetchall()[0]
    return {name: int(n) for name, n in zip(names, row, strict=True)}
