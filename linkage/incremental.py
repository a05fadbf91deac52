"""Linkage scoped to a few submissions: place an events package's records among the persons.

:func:`linkage.run.run_linkage` finds what changed by reading and digesting every current
record, which at a million records costs more than the 30 s an alert may take. An events
package names its records, so a scoped run reads only those: records already linked with the
same digest need nothing; new records are scored against the linked records that share a
prediction blocking key with them (and among themselves), and join the persons they link to;
every other person keeps its key and records. What it cannot do alone it leaves to a full
run (:func:`run_linkage`): a first run, a new or retrained model, a changed record.

The scoring, clustering, keys and tables are the incremental run's own
(:func:`linkage.link.link_new`, :func:`linkage.keys.assign_keys`,
:func:`linkage.store.write_run`); this module only chooses what they read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import duckdb

from kernel import clock
from kernel.home import HubHome
from linkage.comparisons import TF_COLUMNS
from linkage.keys import Churn, assign_keys
from linkage.link import candidate_keys_sql, link_new, load_records, term_frequency_tables
from linkage.model import current_model, load_settings, splink_api
from linkage.records import DEFAULT_RELATION, open_scoped_rows, prepared, sql, use_rows
from linkage.run import (
    HUB_MEMORY_LIMIT,
    LinkageResult,
    _run_id,
    close_work_database,
    memory_budget,
    quiet_splink,
    run_linkage,
    training_reason,
)
from linkage.settings import LinkageSettings
from linkage.store import ensure_schema, write_run

ScopedMode = Literal["linked", "nothing new", "full run"]


@dataclass(frozen=True)
class ScopedResult:
    """What a scoped run did; counts and ids only.

    Attributes:
        mode: ``linked`` (new records placed), ``nothing new`` (every record of the scope was
            linked already, with the same digest: no run written), or ``full run`` (handed to
            :func:`run_linkage`, whose result is ``full``).
        reason: Why, for the log.
        run_id: The linkage run written (None for ``nothing new``).
        records: Records of the scope (distinct keys of the submissions' persons rows).
        new: Records not linked before.
        changed: Records linked before with another digest (a ``full run`` follows).
        scored_pairs: Pairs scored.
        links_written: Links accepted.
        churn: Key churn of the run.
        steps: Wall seconds per step.
        full: The full run's result when one was needed.
    """

    mode: ScopedMode
    reason: str
    run_id: str | None
    records: int
    new: int = 0
    changed: int = 0
    scored_pairs: int = 0
    links_written: int = 0
    churn: Churn = field(default_factory=Churn)
    steps: dict[str, float] = field(default_factory=dict)
    full: LinkageResult | None = None

    @property
    def seconds(self) -> float:
        return sum(self.steps.values())


class _Laps:
    """Wall seconds per named step."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - started


def link_submissions(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    submission_ids: Sequence[str],
    *,
    settings: LinkageSettings | None = None,
) -> ScopedResult:
    """Link the records of ``submission_ids`` (ingested; e.g. events packages) and no others.

    Args:
        con: A read-write connection to hub.duckdb.
        home: The hub home (the saved model lives in ``home.models``).
        submission_ids: The submissions whose persons rows form the scope.
        settings: Linkage settings (the resource's); their backend scores the new records, and
            a full run uses them all. Default: :class:`LinkageSettings`'s defaults.

    Returns:
        What was done. A first run, a model other than the last run's, or a changed record
        makes it a full :func:`run_linkage` run instead (mode ``full run``).
    """
    laps = _Laps()
    with laps.step("read"):
        ensure_schema(con)
        con.execute(sql("scoped_keys"), {"submission_ids": list(submission_ids)})
        open_scoped_rows(con)
        use_rows(con, "scoped_rows")
        con.execute(sql("scoped_status"))
        counts = dict(
            con.execute("SELECT status, count(*) FROM scoped_status GROUP BY status").fetchall()
        )
    records = sum(counts.values())
    new, changed = int(counts.get("new", 0)), int(counts.get("changed", 0))
    full_reason = _needs_full_run(con, home, changed)
    if full_reason is not None:
        with laps.step("full run"):
            result = run_linkage(con, home, settings=settings)
        return ScopedResult(
            "full run", full_reason, result.run_id, records, new, changed,
            result.scored_pairs, result.links_written, result.churn, laps.steps, result,
        )  # fmt: skip
    if new == 0:
        return ScopedResult("nothing new", "every record is linked already", None, records,
                            steps=laps.steps)  # fmt: skip
    with memory_budget(con, HUB_MEMORY_LIMIT):
        return _link_new_records(con, home, records, new, laps, settings)


def _needs_full_run(con: duckdb.DuckDBPyConnection, home: HubHome, changed: int) -> str | None:
    saved = current_model(home.models)
    reason = training_reason(saved, retrain=False)
    if reason is not None:
        return reason
    assert saved is not None
    last = con.execute(sql("last_run")).fetchall()
    if not last:
        return "first linkage run"
    if last[0][2] != saved.version:
        return f"model changed since the last run ({last[0][2]})"
    if changed:
        return f"{changed} record(s) changed since they were linked"
    return None


def _link_new_records(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    records: int,
    new: int,
    laps: _Laps,
    settings: LinkageSettings | None,
) -> ScopedResult:
    started_at = clock.now()
    run_id = _run_id()
    info = current_model(home.models)
    assert info is not None  # _needs_full_run checked
    model = load_settings(info)
    threshold = info.link_threshold
    with laps.step("candidates"):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE new_keys AS "
            "SELECT partner_id, record_pseudonym FROM scoped_status WHERE status = 'new'"
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW new_source AS SELECT * FROM scoped_rows "
            "SEMI JOIN new_keys USING (partner_id, record_pseudonym)"
        )
        # Blocking over every ingested row: plain columns of a table, no window.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE candidate_keys AS "
            + candidate_keys_sql(model, records="staging.persons", new="new_source")
        )
        con.execute(sql("scoped_subset"))
        con.execute("CREATE OR REPLACE TEMP TABLE scope_keys AS SELECT * FROM subset_keys")
        subset = prepared(con)
        new_keys = con.table("new_keys").to_arrow_table()
        prev_keys = con.sql(sql("prev_keys")).to_arrow_table()
    with laps.step("term frequencies"):
        # Term frequencies over every current record, as a full run computes them.
        con.execute(f"CREATE OR REPLACE TEMP VIEW linkage_rows AS SELECT * FROM {DEFAULT_RELATION}")  # noqa: S608
        tf_tables = term_frequency_tables(con)
    with laps.step("score"), quiet_splink():
        db_api = splink_api()
        load_records(db_api, subset)
        scored = link_new(
            db_api,
            model,
            threshold,
            new_keys,
            prev_keys,
            TF_COLUMNS,
            tf_tables,
            backend=settings.backend if settings is not None else None,
        )
        close_work_database(scored.linker)
    with laps.step("keys and tables"):
        churn = assign_keys(con, scored.clusters, run_id, scope="mapped")
        write_run(
            con,
            run_id=run_id,
            started_at=started_at,
            mode="incremental",
            model_version=info.version,
            links=scored.links,
            replace_links=False,
            churn=churn,
            details={
                "reason": f"{new} new record(s) of the scoped submissions",
                "scope": "submissions",
                "added": new,
                "removed": 0,
                "changed": 0,
                "scored_pairs": scored.scored_pairs,
                "links_written": scored.links.num_rows,
                "link_threshold": threshold,
                "model_trained": False,
            },
        )
    return ScopedResult(
        "linked", f"{new} new record(s)", run_id, records, new, 0,
        scored.scored_pairs, scored.links.num_rows, churn, laps.steps,
    )  # fmt: skip
