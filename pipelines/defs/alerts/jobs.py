"""``alerts_job``: link the new records incrementally, then alert."""

import dagster as dg

from pipelines.defs.alerts.assets import care_alerts
from pipelines.defs.ops.jobs import KIND_TAG, TRANSIENT_RETRY

alerts_job = dg.define_asset_job(
    name="alerts_job",
    tags={KIND_TAG: "alerts"},
    selection=dg.AssetSelection.assets("linked_persons", care_alerts),
    description=(
        "Real-time care alerts: place the records of newly ingested events packages among the "
        "existing persons (incremental linkage, with its blocking checks), then write one "
        "encrypted, signed alert per subscribed recipient. Started by alerts_sensor seconds "
        "after an events package is ingested."
    ),
    op_retry_policy=TRANSIENT_RETRY,
)
