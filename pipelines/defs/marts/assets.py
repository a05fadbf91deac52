"""The analysts' marts: ``analyst_marts`` publishes ``marts/marts.duckdb`` atomically."""

# No `from __future__ import annotations`: Dagster 1.13 cannot resolve a string-annotated
# config parameter.
import dagster as dg

from kernel.db import connection
from pipelines.defs.governance.gate import approved_governance, governance_metadata
from pipelines.resources import HubResource
from warehouse.disclosure import DEFAULT_THRESHOLD, DisclosureError
from warehouse.marts import publish_marts, published_threshold, scan_for_leaks


class AnalystMartsConfig(dg.Config):
    """Run config of ``analyst_marts``."""

    threshold: int = DEFAULT_THRESHOLD
    """Smallest count shown; cells from 1 to threshold-1 are suppressed (CMS: 11)."""
    margin_tables: bool = False
    """Also publish every segment per ZIP3 and per age band (marts/adhoc/segments-by-zip3,
    segments-by-age-band), audited with the marts; adds about two ad hoc tables' time."""


@dg.asset(
    group_name="marts",
    owners=["team:data-stewards"],
    kinds={"duckdb", "sql"},
    deps=["segment_membership"],
    description=(
        "marts/marts.duckdb for analysts: segment counts by age band x sex x ZIP3 x month, "
        "trends, sizes, segment overlap, cross-sector overlap and reach, program evaluation, "
        "data dictionary. Small cells suppressed with complementary suppression across all "
        "tables (LP-audited), Safe Harbor generalisation; built aside and swapped atomically."
    ),
)
def analyst_marts(
    context: dg.AssetExecutionContext, config: AnalystMartsConfig, hub: HubResource
) -> dg.MaterializeResult:
    in_force = approved_governance(hub.paths)
    with hub.connect() as con:
        result = publish_marts(con, hub.paths, config.threshold, run_id=context.run_id)
    context.log.info(
        f"marts {result.version}: {result.cells} counts, {result.suppressed_cells} suppressed "
        f"({result.primary_suppressed} small, {result.complementary_suppressed} complementary)"
    )
    margins: dict[str, str] = {}
    if config.margin_tables:
        # Only the optional margin tables need the ad hoc table builder.
        from warehouse.adhoc import margin_tables

        with hub.connect() as con:
            try:
                for table in margin_tables(con, hub.paths, config.threshold, run_id=context.run_id):
                    margins[table.request.name] = f"{table.withheld}/{table.cells} withheld"
            except DisclosureError as exc:  # optional tables: the marts stand without them
                context.log.warning(f"margin tables not published: {exc}")
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "as_of": result.as_of.isoformat(),
            "threshold": result.threshold,
            "path": dg.MetadataValue.path(str(result.path)),
            "dictionary": dg.MetadataValue.path(str(result.path.with_name("dictionary.html"))),
            "tables": dg.MetadataValue.json(result.tables),
            "counts": result.cells,
            "suppressed_cells": result.suppressed_cells,
            "primary_suppressed": result.primary_suppressed,
            "complementary_suppressed": result.complementary_suppressed,
            "audit_min_interval": result.audit_min_width,
            "ledger_releases": result.ledger_releases,
            "ledger_exposed": result.ledger_exposed,
            "segment_sizes": dg.MetadataValue.json(result.segment_sizes),
            "margin_tables": dg.MetadataValue.json(margins),
            **governance_metadata(in_force),
        },
        data_version=dg.DataVersion(result.version),
    )


@dg.asset_check(
    asset=analyst_marts,
    blocking=True,
    description=(
        "The published marts.duckdb holds no identifier-shaped value or column, no binary "
        "column and no count below the threshold (re-read from disk). Blocking: the report "
        "is not built on a mart that fails it."
    ),
)
def analyst_marts_leak_scan(hub: HubResource) -> dg.AssetCheckResult:
    path = hub.paths.marts_db
    with connection(path, read_only=True) as con:
        threshold = published_threshold(con)
        problems = scan_for_leaks(con, threshold)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": dg.MetadataValue.json(problems), "threshold": threshold},
        description="clean" if not problems else f"{len(problems)} problem(s)",
    )
