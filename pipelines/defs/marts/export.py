"""``warehouse_parquet``: the marts as Parquet, for a warehouse outside DuckDB
(docs/deployment.md). The export is published atomically and recorded in
``ops.publications``; no person-level table leaves (warehouse/export.py)."""

# No `from __future__ import annotations`: Dagster 1.13 cannot resolve a string-annotated
# config parameter.
import dagster as dg

from pipelines.defs.governance.gate import approved_governance, governance_metadata
from pipelines.resources import HubResource
from warehouse.export import export_marts


class WarehouseParquetConfig(dg.Config):
    """Run config of ``warehouse_parquet``."""

    marts: bool = True
    """Export every table of the published marts to ``marts/parquet/`` (de-identified)."""


@dg.asset(
    group_name="marts",
    owners=["team:data-stewards"],
    kinds={"parquet", "duckdb"},
    deps=["analyst_marts", "person_features", "segment_membership"],
    description=(
        "Parquet copies for an external warehouse (Spark, Trino, BigQuery): every table of the "
        "published marts (marts/parquet/, de-identified, as analysts see them). No person-level "
        "table is exported. One zstd file per table plus _manifest.json with rows and sha256; "
        "the folder is swapped in atomically."
    ),
)
def warehouse_parquet(
    context: dg.AssetExecutionContext, config: WarehouseParquetConfig, hub: HubResource
) -> dg.MaterializeResult:
    in_force = approved_governance(hub.paths)
    exported = {}
    with hub.connect() as con:
        if config.marts:
            exported["marts"] = export_marts(hub.paths, run_id=context.run_id, con=con)
    for name, result in exported.items():
        context.log.info(
            f"{name}: {len(result.tables)} table(s), {result.rows} rows -> {result.path}"
        )
    return dg.MaterializeResult(
        metadata={
            **{
                f"{name}_path": dg.MetadataValue.path(str(result.path))
                for name, result in exported.items()
            },
            **{
                f"{name}_tables": dg.MetadataValue.json(result.summary()["tables"])
                for name, result in exported.items()
            },
            "rows": sum(result.rows for result in exported.values()),
            **governance_metadata(in_force),
        }
    )
