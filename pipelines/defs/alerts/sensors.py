"""``alerts_sensor``: an events package was ingested, so alert now (seconds, not nightly)."""

import dagster as dg

from pipelines.defs.alerts.jobs import alerts_job
from pipelines.defs.ingest.assets import OUTCOME_TAG
from pipelines.defs.ingest.jobs import ingest_job
from pipelines.resources import HubResource
from warehouse.alerts import is_events_package

PARTITION_TAG = "dagster/partition"


@dg.run_status_sensor(
    name="alerts_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=alerts_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "When an ingest run loads an events package (manifest kind: events), requests one "
        "alerts_job run for it: incremental linkage of its records, then care_alerts. A full "
        "export or a quarantined package starts nothing. A package missed while the daemon was "
        "down is picked up by the next alerts_job run (care_alerts takes every pending one)."
    ),
)
def alerts_sensor(
    context: dg.RunStatusSensorContext, hub: HubResource
) -> dg.RunRequest | dg.SkipReason:
    run = context.dagster_run
    submission_id = run.tags.get(PARTITION_TAG)
    if run.tags.get(OUTCOME_TAG) != "ingested" or not submission_id:
        return dg.SkipReason("the ingest run loaded nothing")
    partner_id = run.tags.get("carehub/partner") or submission_id.split("-", 1)[0]
    if not is_events_package(hub.paths, partner_id, submission_id):
        return dg.SkipReason(f"{submission_id} is a full export: alerts come from events packages")
    return dg.RunRequest(
        run_key=f"alerts:{submission_id}",
        tags={"carehub/partner": partner_id, "carehub/submission": submission_id},
    )
