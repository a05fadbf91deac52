"""``landing_sensor``: watches ``landing/<partner>/`` and requests one run per package."""

import dagster as dg

from pipelines.defs.ingest.jobs import ingest_job
from pipelines.defs.ingest.notices import announce_swept
from pipelines.defs.ingest.partitions import submissions_partitions
from pipelines.resources import HubResource
from warehouse.governance import GovernanceError, load_governance
from warehouse.ingest import scan_landing
from warehouse.ingest.landing import bounded
from warehouse.ingest.run import sweep_empty_stale


@dg.sensor(
    name="landing_sensor",
    job=ingest_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Finds complete packages in landing/<partner>/ (manifest.json present: it is written "
        "last) and stale ones (incomplete past the grace period, to be quarantined). Adds a "
        "partition per submission id and requests one ingest_job run each. Packages still being "
        "written are left alone."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext, hub: HubResource) -> dg.SensorResult:
    home = hub.paths
    try:
        load_governance(home)
    except GovernanceError as exc:
        # A steward's error: no run is started (each would only fail the same way), nothing is
        # quarantined; the packages wait in landing until the file is fixed.
        context.log.error(f"configuration error, no ingest started: {exc}")
        return dg.SensorResult(skip_reason=f"configuration error (see `carehub status`): {exc}")
    requests: list[dg.RunRequest] = []
    new_keys: list[str] = []
    pending: list[str] = []
    entries = list(scan_landing(home))
    swept_ids = sweep_empty_stale(home, entries)
    announce_swept(home, swept_ids, entries)
    swept = set(swept_ids)
    if swept:
        context.log.warning(f"{len(swept)} empty stale package folder(s) quarantined in one pass")
    for entry in entries:
        if entry.submission_id in swept:
            continue
        if entry.state == "pending":
            pending.append(entry.submission_id)
            continue
        if entry.state == "invalid":
            context.log.warning(
                f"landing/{entry.partner_id}/: a folder is not named like a submission id and "
                "is ignored; the partner client names packages <partner>-<time>-<8 hex>"
            )
            continue
        if not context.instance.has_dynamic_partition(
            submissions_partitions.name or "submissions", entry.submission_id
        ):
            new_keys.append(entry.submission_id)
        # A re-delivery rewrites the manifest, so its mtime makes a fresh run key.
        run_key = f"{entry.submission_id}:{entry.state}:{entry.manifest_mtime_ns}"
        requests.append(
            dg.RunRequest(
                run_key=run_key,
                partition_key=entry.submission_id,
                tags={"carehub/partner": entry.partner_id},
            )
        )
    if pending:
        context.log.info(f"{len(pending)} package(s) still being written: {bounded(pending)}")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=(
            [submissions_partitions.build_add_request(new_keys)] if new_keys else []
        ),
        skip_reason=None if requests else "no complete package in landing/",
    )
