"""The ecosystem report for the quarterly governance meeting (HTML + PNG), from the marts."""

import dagster as dg

from pipelines.defs.governance.gate import approved_governance, governance_metadata
from pipelines.resources import HubResource
from warehouse.report import build_report


@dg.asset(
    group_name="reports",
    owners=["team:data-stewards"],
    kinds={"html", "matplotlib"},
    deps=["analyst_marts"],
    description=(
        "Ecosystem report for the quarterly governance meeting: segment sizes, UpSet-style "
        "cross-sector overlap, who each sector is missing, trends, and hospital use before and "
        "after CBO services vs a matched comparison group. Read only from the published marts, "
        "so every number has passed disclosure control. HTML + PNG in reports/ecosystem/, "
        "published atomically."
    ),
)
def ecosystem_report(context: dg.AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
    in_force = approved_governance(hub.paths)
    result = build_report(hub.paths, run_id=context.run_id)
    context.log.info(f"ecosystem report {result.publication.version}: {result.html}")
    return dg.MaterializeResult(
        metadata={
            "version": result.publication.version,
            "report": dg.MetadataValue.path(str(result.html)),
            "charts": dg.MetadataValue.json(sorted(result.charts)),
            "folder": dg.MetadataValue.path(str(result.publication.path)),
            **governance_metadata(in_force),
        },
        data_version=dg.DataVersion(result.publication.version),
    )
