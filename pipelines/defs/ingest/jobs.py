"""``ingest_job``: one run per submission partition, so one bad batch never stops another."""

import dagster as dg

from pipelines.defs.ingest.assets import submission
from pipelines.defs.ingest.partitions import submissions_partitions
from pipelines.defs.ops.jobs import KIND_TAG

ingest_job = dg.define_asset_job(
    name="ingest_job",
    selection=dg.AssetSelection.assets(submission),
    partitions_def=submissions_partitions,
    description="Validate and load (or quarantine) one submission per run.",
    tags={KIND_TAG: "ingest"},
)
