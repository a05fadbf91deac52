"""Linkage assets: ``linkage_model`` (train or reuse) and ``linked_persons`` (link + keys).

Metadata holds counts, ids, versions and chart paths only: never a token, pseudonym or value.
"""

# No `from __future__ import annotations`: Dagster 1.13 cannot resolve a string-annotated
# config parameter.
from pathlib import Path
from typing import Any

import dagster as dg

from linkage import checks
from linkage.incremental import link_submissions
from linkage.run import LinkageResult, cluster_stats, ensure_model, match_rates, run_linkage
from pipelines.defs.alerts.scope import alert_scope, scoped_metadata
from pipelines.resources import HubResource, LinkageBackendResource


class LinkageModelConfig(dg.Config):
    """Run config of ``linkage_model``."""

    retrain: bool = False
    """Train a new model on the current records (else the saved model is reused)."""


class LinkedPersonsConfig(dg.Config):
    """Run config of ``linked_persons``."""

    full_relink: bool = False
    """Score every candidate pair again instead of linking only the new records."""


def _chart_metadata(charts: dict[str, Path]) -> dict[str, Any]:
    return {f"chart_{name}": dg.MetadataValue.path(str(path)) for name, path in charts.items()}


@dg.asset(
    group_name="linkage",
    owners=["team:data-stewards"],
    kinds={"splink", "duckdb"},
    deps=["submission"],
    description=(
        "The Splink model that scores pairs of encoded records: u by random sampling, m by EM, "
        "lambda by deterministic rules. Reused as saved in models/ unless run config "
        "`retrain: true` (or a new encoding spec) asks for a new one; saved as JSON with its "
        "version and a fingerprint of the training records, with diagnostic charts (HTML)."
    ),
)
def linkage_model(
    context: dg.AssetExecutionContext,
    config: LinkageModelConfig,
    hub: HubResource,
    linkage_backend: LinkageBackendResource,
) -> dg.MaterializeResult:
    try:
        settings = linkage_backend.settings()
        with hub.connect() as con:
            result = ensure_model(con, hub.paths, retrain=config.retrain, settings=settings)
    except ValueError as exc:  # bad or missing input, explained without values
        raise dg.Failure(description=str(exc)) from None
    info = result.info
    context.log.info(f"linkage model {info.version}: {result.reason}")
    return dg.MaterializeResult(
        metadata={
            "model_version": info.version,
            "trained_now": result.trained,
            "reason": result.reason,
            "training_fingerprint": info.fingerprint,
            "training_records": info.training_records,
            "spec_version": info.spec_version,
            "lambda": info.probability_two_random_records_match,
            "link_threshold": info.link_threshold,
            "threshold_expected": dg.MetadataValue.json(info.threshold_expected or {}),
            "model_file": dg.MetadataValue.path(str(info.path)),
            **_chart_metadata(result.charts),
        },
        data_version=dg.DataVersion(info.version),
    )


def _result_metadata(result: LinkageResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "mode": result.mode,
        "reason": result.reason,
        "model_version": result.model.info.version,
        "records": result.records,
        "persons": result.persons,
        "multi_partner_persons": result.multi_partner_persons,
        "records_added": result.added,
        "records_removed": result.removed,
        "records_changed": result.changed,
        "scored_pairs": result.scored_pairs,
        "links_written": result.links_written,
        "largest_person": result.clusters.largest,
        "singleton_share": round(result.clusters.singleton_share, 4),
        "key_churn": dg.MetadataValue.json(result.churn.as_dict()),
        "match_rates": dg.MetadataValue.json(
            {
                p: {
                    "records": r.records,
                    "match_rate": round(r.match_rate, 4),
                    "cross_partner_rate": round(r.cross_partner_rate, 4),
                }
                for p, r in result.match_rates.items()
            }
        ),
        "seconds": round(result.seconds, 2),
        "link_threshold": result.model.info.link_threshold,
        **_estimate_metadata(result),
        **_chart_metadata(result.charts),
    }


def _estimate_metadata(result: LinkageResult) -> dict[str, Any]:
    """The label-free accuracy estimate of a full run (from the match probabilities)."""
    est = result.estimate
    if est is None:
        return {}
    return {
        "estimated_precision": est.precision,
        "estimated_recall": est.recall,
        "estimated_f1": est.f1,
        "estimated_matches": est.expected_matches,
    }


@dg.asset(
    group_name="linkage",
    owners=["team:data-stewards"],
    kinds={"splink", "duckdb"},
    deps=[linkage_model, "submission"],
    description=(
        "Pseudonymous persons: every current partner record linked to a person with a stable, "
        "opaque key (linkage.person_records, linkage.persons, linkage.links, linkage.runs, "
        "linkage.key_events). Incremental by default (new records only, predict_between); run "
        "config `full_relink: true` scores everything again. Key churn is reported every run."
    ),
)
def linked_persons(
    context: dg.AssetExecutionContext,
    config: LinkedPersonsConfig,
    hub: HubResource,
    linkage_backend: LinkageBackendResource,
) -> dg.MaterializeResult:
    try:
        settings = linkage_backend.settings()
        with hub.connect() as con:
            # An alerts_job run links only its events packages' records (alert latency).
            scope = [] if config.full_relink else alert_scope(context, con)
            scoped = link_submissions(con, hub.paths, scope, settings=settings) if scope else None
            if scoped is not None and scoped.full is None:
                context.log.info(
                    f"linkage scoped to {len(scope)} events package(s): {scoped.reason}"
                )
                return dg.MaterializeResult(metadata=scoped_metadata(scoped))
            result = (
                scoped.full
                if scoped is not None and scoped.full is not None
                else run_linkage(con, hub.paths, full_relink=config.full_relink, settings=settings)
            )
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from None
    churn = result.churn
    context.log.info(
        f"linkage {result.run_id} ({result.mode}: {result.reason}): {result.records} records -> "
        f"{result.persons} persons; churn new={churn.new} merged={churn.merged} "
        f"split={churn.split} retired={churn.retired} unchanged={churn.unchanged}"
    )
    return dg.MaterializeResult(metadata=_result_metadata(result))


def _check(outcome: checks.CheckOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.description,
        metadata={
            k: dg.MetadataValue.json(v) if isinstance(v, dict) else v
            for k, v in outcome.metadata.items()
        },
    )


@dg.asset_check(
    asset=linked_persons,
    blocking=True,
    description=(
        "No person has more records than the limit, the share of single-record persons is in "
        "its band, and keys and records are unique."
    ),
)
def cluster_sizes_plausible(
    hub: HubResource, linkage_backend: LinkageBackendResource
) -> dg.AssetCheckResult:
    with hub.connect() as con:
        return _check(checks.cluster_sizes(cluster_stats(con), linkage_backend.settings()))


@dg.asset_check(
    asset=linked_persons,
    blocking=True,
    description=(
        "Each partner's cross-partner match rate is in the expected band: near zero means a "
        "wrong or stale encoding key, near one means its records were swallowed."
    ),
)
def partner_match_rates_in_band(
    hub: HubResource, linkage_backend: LinkageBackendResource
) -> dg.AssetCheckResult:
    with hub.connect() as con:
        return _check(checks.match_rates(match_rates(con), linkage_backend.settings()))
