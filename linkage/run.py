"""One linkage run: model (reuse or train), score (incremental or full), keys, tables."""

from __future__ import annotations

import functools
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from contract.spec import SPEC_VERSION
from kernel import clock
from kernel.home import HubHome
from linkage import charts
from linkage.backends import LinkageBackend
from linkage.chains import ChainSplit
from linkage.comparisons import TF_COLUMNS
from linkage.estimate import AccuracyEstimate
from linkage.keys import Churn, assign_keys
from linkage.link import (
    Scored,
    candidate_keys_sql,
    link_all,
    link_new,
    load_records,
    term_frequency_tables,
)
from linkage.model import (
    ModelInfo,
    current_model,
    load_settings,
    sample_linker,
    splink_api,
    train,
)
from linkage.records import (
    DEFAULT_RELATION,
    close_source,
    open_source,
    prepared,
    read_records,
    sql,
)
from linkage.settings import LinkageSettings
from linkage.splink_model import SplinkModel
from linkage.store import ensure_schema, write_run

Mode = Literal["full", "incremental"]
# The hub database's memory cap during a run (Splink's work database has its own, see
# linkage.model.SPLINK_MEMORY_LIMIT): together they keep a million-record run near 4 GiB.
HUB_MEMORY_LIMIT = "1GB"
log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class PartnerRate:
    """Per partner: records, share in a person with another record, share across partners."""

    records: int
    match_rate: float
    cross_partner_rate: float


@dataclass(frozen=True)
class ClusterStats:
    persons: int
    records: int
    largest: int
    singleton_share: float
    multi_partner_persons: int
    duplicate_keys: int
    duplicate_records: int


@dataclass(frozen=True)
class ModelResult:
    """The model a run used, whether it was trained now, and its chart files."""

    info: ModelInfo
    trained: bool
    reason: str
    charts: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkageResult:
    """What one linkage run did; everything here is safe to show (counts, ids, paths)."""

    run_id: str
    mode: Mode
    reason: str
    model: ModelResult
    records: int
    persons: int
    multi_partner_persons: int
    churn: Churn
    added: int
    removed: int
    changed: int
    scored_pairs: int
    links_written: int
    match_rates: dict[str, PartnerRate]
    clusters: ClusterStats
    charts: dict[str, Path]
    seconds: float
    # Label-free precision/recall/F1 of a full run (None: incremental).
    estimate: AccuracyEstimate | None = None
    # A full run's split of persons joined through a chain (None: not applied).
    chains: ChainSplit | None = None


@contextmanager
def quiet_splink() -> Iterator[None]:
    """Splink logs every step at INFO; a hub run logs its own summary instead."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _run_id() -> str:
    return "L" + clock.now().strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def ensure_model(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    *,
    retrain: bool = False,
    relation: str = DEFAULT_RELATION,
    settings: LinkageSettings | None = None,
    records: pa.Table | None = None,
) -> ModelResult:
    """The model to link with: the saved one, or a new one trained on ``relation``.

    Trains when asked, when no model was saved yet, or when the saved model was made for
    another encoding spec version. Saves charts of a new model under ``models/charts/``.
    """
    settings = settings or LinkageSettings()
    saved = current_model(home.models)
    reason = training_reason(saved, retrain)
    if saved is not None and reason is None:
        return ModelResult(saved, False, "reused saved model", _existing_charts(home, saved))
    if records is None:
        records = read_records(con, relation)
    if records.num_rows < 2:
        raise ValueError(
            f"cannot train the linkage model on {records.num_rows} record(s) in {relation}; "
            "ingest partner submissions first"
        )
    with quiet_splink():
        info = train(records, home.models, settings)
        sample = sample_linker(records, info, settings.training.chart_sample_records)
        chart_paths = charts.model_charts(sample, home.models / "charts", info.version)
        close_work_database(sample)
    return ModelResult(info, True, reason or "no saved model", chart_paths)


def training_reason(saved: ModelInfo | None, retrain: bool) -> str | None:
    """Why a new model must be trained now, or None when the saved one serves."""
    if saved is None:
        return "no saved model"
    if retrain:
        return "retraining requested"
    if saved.spec_version != SPEC_VERSION:
        return f"saved model is for spec {saved.spec_version}, records are spec {SPEC_VERSION}"
    return None


def close_work_database(linker: Linker) -> None:
    """Free a finished linker's in-memory DuckDB now. A ``Linker`` and its components refer
    to each other, so it would otherwise live (with its work tables, up to
    ``SPLINK_MEMORY_LIMIT``) until a full garbage collection, next to the scoring database.
    """
    db_api = linker._db_api  # Splink offers no public handle
    if isinstance(db_api, DuckDBAPI):
        db_api.duckdb_con.close()


def _existing_charts(home: HubHome, info: ModelInfo) -> dict[str, Path]:
    folder = home.models / "charts"
    found = {}
    for name in ("match_weights", "m_u_parameters", "unlinkables"):
        path = folder / f"{info.version}-{name}.html"
        if path.exists():
            found[name] = path
    return found


def _changes(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    con.execute(sql("load_current_records"))
    row = con.execute(sql("record_changes")).fetchall()[0]
    return dict(zip(("added", "removed", "changed", "linked"), (int(v) for v in row), strict=True))


def _mode(
    con: duckdb.DuckDBPyConnection, changes: dict[str, int], model: ModelInfo, full_relink: bool
) -> tuple[Mode, str]:
    last = con.execute(sql("last_run")).fetchall()
    if changes["linked"] == 0 or not last:
        return "full", "first linkage run"
    if full_relink:
        return "full", "full re-link requested"
    if last[0][2] != model.version:
        return "full", f"model changed since the last run ({last[0][2]})"
    if changes["removed"] or changes["changed"]:
        return "full", "records withdrawn or changed since the last run"
    return "incremental", f"{changes['added']} new record(s)"


@contextmanager
def memory_budget(con: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """Cap the hub database's memory while a run holds Splink's work database too."""
    previous = con.execute(sql("memory_limit")).fetchall()[0][0]
    con.execute(sql("set_memory_limit"), {"limit": limit})
    try:
        yield
    finally:
        con.execute(sql("set_memory_limit"), {"limit": previous})


def _within_hub_memory_budget(
    run: Callable[Concatenate[duckdb.DuckDBPyConnection, P], R],
) -> Callable[Concatenate[duckdb.DuckDBPyConnection, P], R]:
    """Run ``run(con, ...)`` with the hub database capped at :data:`HUB_MEMORY_LIMIT`."""

    @functools.wraps(run)
    def capped(con: duckdb.DuckDBPyConnection, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with memory_budget(con, HUB_MEMORY_LIMIT):
            return run(con, *args, **kwargs)

    return capped


@dataclass(frozen=True)
class _Batch:
    """What an incremental run reads: the new records and the existing ones that can meet
    them (prepared), the records of the persons they may join, and term frequencies over
    all current records."""

    new_keys: pa.Table
    records: pa.Table
    prev_keys: pa.Table
    tf_tables: dict[str, pa.Table]


def _incremental_batch(con: duckdb.DuckDBPyConnection, model: SplinkModel) -> _Batch:
    """Read only what an incremental run needs (expects :func:`open_source` on ``con``)."""
    con.execute("CREATE OR REPLACE TEMP TABLE new_keys AS " + sql("new_record_keys"))
    con.execute(sql("new_source"))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE subset_keys AS "
        + candidate_keys_sql(model, records="linkage_rows", new="new_source")
        + "\nUNION\nSELECT partner_id, record_pseudonym FROM new_keys"
    )
    tf_tables = term_frequency_tables(con)
    return _Batch(
        new_keys=con.table("new_keys").to_arrow_table(),
        records=prepared(con, subset=True),
        prev_keys=con.sql(sql("prev_keys")).to_arrow_table(),
        tf_tables=tf_tables,
    )


@_within_hub_memory_budget
def run_linkage(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    *,
    retrain: bool = False,
    full_relink: bool = False,
    relation: str = DEFAULT_RELATION,
    settings: LinkageSettings | None = None,
    backend: LinkageBackend | None = None,
) -> LinkageResult:
    """Link the encoded records of ``relation`` into persons with stable keys.

    Incremental by default: only records added since the last run are scored, against the
    existing records (``predict_between``) and among themselves. A full re-link runs on
    request, on the first run, after a retrain, or when records were withdrawn or changed.

    Args:
        con: a read-write connection to hub.duckdb.
        home: the hub home (the model and charts live in ``home.models``).
        retrain: train a new model first (else the saved one is reused).
        full_relink: score every candidate pair again.
        relation: the encoded person rows (``partner_id``, ``record_pseudonym`` + spec columns).
        settings: linkage settings (defaults otherwise): training, and ``settings.backend``,
            where Splink scores: DuckDB (the default) or Spark (``linkage.engines``);
            training always runs on DuckDB, and the same model JSON serves both.
        backend: overrides ``settings.backend`` (kept for callers that pass it alone).

    Returns:
        Counts, churn, per-partner match rates and chart paths of the run.
    """
    started = time.perf_counter()
    started_at = clock.now()
    settings = settings or LinkageSettings()
    backend = backend or settings.backend
    run_id = _run_id()
    ensure_schema(con)
    n_records = open_source(con, relation)
    batch: _Batch | None = None
    try:
        if n_records == 0:
            raise ValueError(
                f"no current records in {relation} to link; ingest partner submissions first"
            )
        # Training reads every record; so does a full run, which always follows training.
        records = (
            prepared(con)
            if training_reason(current_model(home.models), retrain) is not None
            else None
        )
        model = ensure_model(
            con, home, retrain=retrain, relation=relation, settings=settings, records=records
        )
        changes = _changes(con)
        mode, reason = _mode(con, changes, model.info, full_relink)
        model_dict = load_settings(model.info)
        threshold = model.info.link_threshold
        if mode == "full":
            records = records if records is not None else prepared(con)
        else:
            batch = _incremental_batch(con, model_dict)
    finally:
        close_source(con)
    scored: Scored | None = None
    with quiet_splink():
        db_api = splink_api()
        if mode == "full":
            assert records is not None
            load_records(db_api, records)
            del records  # Splink holds its own copy now
            scored = link_all(db_api, model_dict, threshold, backend, settings.chain_split_weight)
            clusters = scored.clusters
            links = scored.links
        elif batch is not None and batch.new_keys.num_rows:
            load_records(db_api, batch.records)
            scored = link_new(
                db_api,
                model_dict,
                threshold,
                batch.new_keys,
                batch.prev_keys,
                TF_COLUMNS,
                batch.tf_tables,
                backend,
            )
            clusters, links = scored.clusters, scored.links
        else:
            clusters = con.sql(sql("empty_map")).to_arrow_table()
            links = con.sql(sql("no_links")).to_arrow_table()
        run_charts: dict[str, Path] = dict(model.charts)
        if scored is not None:
            waterfall = charts.waterfall_chart(
                scored.linker, scored.predictions, home.models / "charts", run_id
            )
            if waterfall is not None:
                run_charts["waterfall"] = waterfall
    churn = assign_keys(con, clusters, run_id, scope="all" if mode == "full" else "mapped")
    details: dict[str, Any] = {
        "reason": reason,
        **{k: v for k, v in changes.items() if k != "linked"},
        "scored_pairs": scored.scored_pairs if scored else 0,
        "links_written": links.num_rows,
        "link_threshold": threshold,
        "model_trained": model.trained,
    }
    if scored is not None and scored.estimate is not None:
        details["accuracy_estimate"] = scored.estimate.as_dict()
    if scored is not None and scored.chains is not None:
        details["chains"] = asdict(scored.chains)
    write_run(
        con,
        run_id=run_id,
        started_at=started_at,
        mode=mode,
        model_version=model.info.version,
        links=links,
        replace_links=mode == "full",
        churn=churn,
        details=details,
    )
    stats = cluster_stats(con)
    return LinkageResult(
        run_id=run_id,
        mode=mode,
        reason=reason,
        model=model,
        records=stats.records,
        persons=stats.persons,
        multi_partner_persons=stats.multi_partner_persons,
        churn=churn,
        added=changes["added"],
        removed=changes["removed"],
        changed=changes["changed"],
        scored_pairs=details["scored_pairs"],
        links_written=links.num_rows,
        match_rates=match_rates(con),
        clusters=stats,
        charts=run_charts,
        seconds=time.perf_counter() - started,
        estimate=scored.estimate if scored is not None else None,
        chains=scored.chains if scored is not None else None,
    )


def cluster_stats(con: duckdb.DuckDBPyConnection) -> ClusterStats:
    """Cluster-size figures of the current answer."""
    ensure_schema(con)
    row = con.execute(sql("cluster_sizes")).fetchall()[0]
    return ClusterStats(
        persons=int(row[0]),
        records=int(row[1]),
        largest=int(row[2]),
        singleton_share=float(row[3]),
        multi_partner_persons=int(row[4]),
        duplicate_keys=int(row[5]),
        duplicate_records=int(row[6]),
    )


def match_rates(con: duckdb.DuckDBPyConnection) -> dict[str, PartnerRate]:
    """Per-partner match rates of the current answer."""
    ensure_schema(con)
    return {
        partner: PartnerRate(int(n), float(rate), float(cross))
        for partner, n, rate, cross in con.execute(sql("match_rates")).fetchall()
    }
