"""Scoring and clustering with a saved model: a full re-link, or the new records only.

All Splink work runs in its own in-memory DuckDB (see :func:`linkage.model.splink_api`); the
results come back as Arrow tables for :mod:`linkage.store` to write into the hub. Splink's
output tables are exposed under fixed view names so the SQL can live in ``sql/*.sql``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI, Linker
from splink.clustering import cluster_pairwise_predictions_at_threshold
from splink.internals.splink_dataframe import SplinkDataFrame

from linkage.backends import LinkageBackend
from linkage.chains import ChainSplit, split_chains
from linkage.comparisons import TF_COLUMNS
from linkage.components import cluster_records
from linkage.engines import scorer, work_linker
from linkage.estimate import ESTIMATE_FLOOR, AccuracyEstimate, estimate_accuracy
from linkage.guards import guard_gammas
from linkage.records import define_token_key, sql
from linkage.splink_model import SplinkModel, copy_model

# An incremental run scores new pairs down to this probability (they feed the waterfall
# chart); a full run goes down to linkage.estimate.ESTIMATE_FLOOR for its accuracy estimate.
# Links are those at or above the model's link threshold.
SCORE_FLOOR = 0.5


@dataclass
class Scored:
    """The outcome of scoring: accepted links, record->cluster map, and the scored pairs."""

    links: pa.Table
    clusters: pa.Table  # partner_id, record_pseudonym, cluster_id, record_digest
    predictions: SplinkDataFrame
    linker: Linker
    scored_pairs: int
    # A full run's label-free accuracy estimate (None for an incremental run).
    estimate: AccuracyEstimate | None = None
    # A full run's split of persons joined through a chain (None: not applied).
    chains: ChainSplit | None = None


def _con(db_api: DuckDBAPI) -> duckdb.DuckDBPyConnection:
    return db_api.duckdb_con


def _view(sdf: SplinkDataFrame, name: str) -> None:
    sdf.as_duckdbpyrelation().create_view(name, replace=True)


def _count(con: duckdb.DuckDBPyConnection, view: str) -> int:
    return int(con.table(view).count("*").fetchall()[0][0])


def load_records(db_api: DuckDBAPI, records: pa.Table) -> None:
    """Copy the prepared records into Splink's work database as table ``records``, each with
    its :data:`RECORD_KEY` (a full run scores on it, see :func:`record_keyed`)."""
    con = _con(db_api)
    con.register("records_arrow", with_record_keys(records))
    con.execute(sql("load_records"))
    con.unregister("records_arrow")


# An integer per record of a run that Splink joins pairs on instead of its text pair key.
RECORD_KEY = "record_key"


def with_record_keys(records: pa.Table) -> pa.Table:
    """``records`` with column :data:`RECORD_KEY`: each record's rank in the order of the text
    key Splink would otherwise build (``partner_id || '-__-' || record_pseudonym``), so that
    every pair comes out with the same left and right records as with that key."""
    keys = pc.binary_join_element_wise(
        records.column("partner_id"), records.column("record_pseudonym"), "-__-"
    )
    order = pc.sort_indices(keys).to_numpy()
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order), dtype=np.int64)
    return records.append_column(RECORD_KEY, pa.array(ranks))


def record_keyed(model: SplinkModel) -> SplinkModel:
    """``model`` to score one table of records on their :data:`RECORD_KEY`.

    A ``link_and_dedupe`` model over one table compares every pair of it once, left the record
    of the smaller text key ``partner_id || '-__-' || record_pseudonym``: a ``dedupe_only``
    model on the rank of that key does the same. It blocks and joins on a BIGINT where Splink
    would build, compare and hash two ~80-character strings per candidate pair (at a million
    records, 4.3 of 16.6 CPU seconds of blocking and scoring; benchmarks/RESULTS.md, issue
    15). The pair ids the hub reads (``partner_id_l`` ...) are retained. Other link types are
    returned as they are.
    """
    keyed = copy_model(model)
    if keyed.get("link_type") != "link_and_dedupe":
        return keyed
    keyed["link_type"] = "dedupe_only"
    keyed["unique_id_column_name"] = RECORD_KEY
    retained = [c for c in keyed.get("additional_columns_to_retain", []) if c not in _PAIR_IDS]
    keyed["additional_columns_to_retain"] = [*_PAIR_IDS, *retained]
    return keyed


_PAIR_IDS = ("partner_id", "record_pseudonym")


def _blocking_rules(model: SplinkModel) -> list[str] | None:
    """The model's prediction blocking rules as SQL over ``l``/``r``; None if any is not a
    plain condition (e.g. array explosion), when the whole existing side must be read."""
    rules = []
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, str):
            rules.append(rule)
        elif isinstance(rule, dict) and set(rule) <= {"blocking_rule", "sql_dialect"}:
            rules.append(rule["blocking_rule"])
        else:
            return None
    return rules or None


def candidate_keys_sql(
    model: SplinkModel, records: str = "records", new: str = "new_records"
) -> str:
    """A query of the ``records`` that share a prediction blocking key with a ``new`` record.

    The conditions are the model's own blocking SQL (as Splink runs it), never a value;
    ``records`` and ``new`` are names of this package's own tables or views.
    """
    rules = _blocking_rules(model)
    if rules is None:
        return f"SELECT partner_id, record_pseudonym FROM {records}"  # noqa: S608 - own names
    return "\nUNION\n".join(
        f"SELECT l.partner_id, l.record_pseudonym FROM {records} AS l "  # noqa: S608 - model SQL
        f"SEMI JOIN {new} AS r ON {rule}"
        for rule in rules
    )


def split_records(con: duckdb.DuckDBPyConnection, model: SplinkModel) -> None:
    """Split ``records`` into ``new_records`` (keys in ``new_keys``) and ``existing_records``:
    only the linked records that share a blocking key with a new one (all others form no
    candidate pair, so scoring them against the batch would read 1M records for nothing).
    """
    con.execute(sql("split_records"))
    con.execute("CREATE OR REPLACE TEMP VIEW candidate_keys AS " + candidate_keys_sql(model))
    con.execute(sql("existing_records"))


def link_all(
    db_api: DuckDBAPI,
    model: SplinkModel,
    threshold: float,
    backend: LinkageBackend | None = None,
    split_weight: float | None = None,
) -> Scored:
    """Score every candidate pair of ``records``, cluster the accepted links, and estimate
    the accuracy of the persons from the probabilities (pairs down to ``ESTIMATE_FLOOR``
    are scored so that their sum sees the matches below the threshold too).

    With ``split_weight``, a person joined through a chain is split where two of its records
    score below that match weight (:mod:`linkage.chains`).

    ``backend`` chooses where Splink scores (DuckDB when None, see :mod:`linkage.engines`);
    the scores come back into ``db_api``, where the rest runs on either engine.
    """
    con = _con(db_api)
    engine = scorer(db_api, backend)
    linker = engine.linker(record_keyed(model), engine.register("records", "records_all"))
    predictions = linker.inference.predict(
        threshold_match_probability=min(ESTIMATE_FLOOR, threshold), warning_mode="never"
    )
    predictions = engine.keep(predictions, "scored")
    con.execute(sql("guarded_links"), {"threshold": threshold, **guard_gammas(model)})
    cluster_records(con)
    chart_linker = engine.chart_linker(linker, model)
    # The split scores pairs by their text keys (the persons' records), so it takes a linker
    # of the model as saved, not the record-keyed one the run scored with.
    chains = (
        None
        if split_weight is None
        else split_chains(con, work_linker(db_api, model, "chain_records"), split_weight)
    )
    return Scored(
        chains=chains,
        estimate=estimate_accuracy(con),
        links=con.sql(sql("accepted_links")).to_arrow_table(),
        clusters=con.sql(sql("full_map")).to_arrow_table(),
        predictions=predictions,
        linker=chart_linker,
        scored_pairs=_count(con, "scored"),
    )


def term_frequencies(
    linker: Linker, tf_columns: tuple[str, ...], lookups: Mapping[str, SplinkDataFrame] | None
) -> None:
    """Give ``linker`` its term-frequency tables: computed from its input records, or the
    registered lookups (``<column>``, ``tf_<column>``) the hub computed over all records."""
    for column in tf_columns:
        if lookups is None:
            linker.table_management.compute_tf_table(column)
        else:
            linker.table_management.register_term_frequency_lookup(lookups[column], column)


def term_frequency_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    """The term-frequency lookups (``<column>``, ``tf_<column>``) over every row of the
    ``linkage_rows`` view on the hub connection ``con``, for the values of the records keyed in
    temp table ``subset_keys`` (``tf_lookups.sql``), by column of ``TF_COLUMNS``."""
    define_token_key(con)
    lookups = con.sql(sql("tf_lookups")).to_arrow_table()
    tables = {}
    for column in TF_COLUMNS:
        rows = lookups.filter(pc.equal(lookups.column("tf_column"), column))
        tables[column] = pa.table({column: rows.column("value"), f"tf_{column}": rows.column("tf")})
    return tables


def link_new(
    db_api: DuckDBAPI,
    model: SplinkModel,
    threshold: float,
    new_keys: pa.Table,
    prev_keys: pa.Table,
    tf_columns: tuple[str, ...],
    tf_tables: Mapping[str, pa.Table] | None = None,
    backend: LinkageBackend | None = None,
) -> Scored:
    """Link only the new records: against the existing ones (``predict_between``) and among
    themselves (``predict_within``); pairs of existing records are not scored again.

    Args:
        db_api: the work database holding table ``records``: the new records and (at least)
            the existing ones that share a blocking key with them.
        model: the saved model's settings.
        threshold: the link threshold (match probability).
        new_keys: ``partner_id, record_pseudonym`` of the new records.
        prev_keys: ``partner_id, record_pseudonym, person_key, record_digest`` of the linked
            records whose persons the new ones may join (or all linked records).
        tf_columns: the model's term-frequency columns.
        tf_tables: their lookups over all current records, by column; None computes them
            from ``records`` (right only when it holds every current record).
        backend: where Splink scores (DuckDB when None); the small incremental graph (new
            records and the persons they touch) is clustered in ``db_api`` on either engine.

    Returns:
        The accepted new links, and the map of the new records and of every record in
        ``prev_keys`` to a cluster (``K:<key>`` where a person is untouched).
    """
    con = _con(db_api)
    for name, table in (("new_keys", new_keys), ("prev_keys", prev_keys)):
        con.register(f"{name}_arrow", table)
        con.table(f"{name}_arrow").create(name)
        con.unregister(f"{name}_arrow")
    split_records(con, model)
    engine = scorer(db_api, backend)
    records = engine.register("records", "records_all")
    existing = engine.register("existing_records", "existing")
    new = engine.register("new_records", "new")
    linker = engine.linker(model, records)
    # Term frequencies come from all current records, as in a full run.
    lookups = (
        None
        if tf_tables is None
        else {c: engine.register_lookup(f"carehub_tf_{c}", tf_tables[c]) for c in tf_columns}
    )
    term_frequencies(linker, tf_columns, lookups)
    floor = min(SCORE_FLOOR, threshold)
    between = linker.inference.predict_between(
        existing, new, threshold_match_probability=floor, warning_mode="never"
    )
    within = linker.inference.predict_within(
        [new], threshold_match_probability=floor, warning_mode="never"
    )
    between = engine.keep(between, "scored_between")
    engine.keep(within, "scored_within")
    con.execute(sql("new_links"), {"threshold": threshold})
    con.execute(sql("incremental_graph"))
    components = cluster_pairwise_predictions_at_threshold(
        nodes="inc_nodes", edges="inc_edges", db_api=db_api, node_id_column_name="node_id"
    )
    _view(components, "inc_clusters")
    links = con.table("new_links").order(
        "partner_id_l, record_pseudonym_l, partner_id_r, record_pseudonym_r"
    )
    return Scored(
        links=links.to_arrow_table(),
        clusters=con.sql(sql("incremental_map")).to_arrow_table(),
        predictions=between,
        linker=engine.chart_linker(linker, model),
        scored_pairs=_count(con, "scored_between") + _count(con, "scored_within"),
    )
