"""Jobs the stewards (and the schedules) run: nightly refresh, quarterly report, extracts.

Retry policies are set here, per job, rather than on each asset: a step that fails with an
exception (a DuckDB file lock held past ``kernel.db``'s own wait, a transient IO error) is tried
again after a pause. Failed blocking asset checks are never retried: Dagster raises them outside
user code, and bad data does not get better by waiting.
"""

from __future__ import annotations

import dagster as dg

from pipelines.tags import HIDDEN

# Hidden (the job name already shows in the Runs table): for a tag-based concurrency limit
# across the hub's jobs, see docs/deployment.md.
KIND_TAG = f"{HIDDEN}kind"

# 20 s, then 40 s (+/- jitter): long enough for a lock holder (a steward's `carehub status`,
# the other scheduled run) to finish; short enough that a real failure surfaces within minutes.
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=2, delay=20, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

NIGHTLY_GROUPS = ("linkage", "segments", "marts")

nightly_job = dg.define_asset_job(
    name="nightly_job",
    tags={KIND_TAG: "nightly"},
    selection=dg.AssetSelection.groups(*NIGHTLY_GROUPS) | dg.AssetSelection.assets("gx_data_docs"),
    description=(
        "Nightly refresh: link the ingested submissions into persons, recompute person "
        "features and segment membership, and publish the analysts' marts atomically; also "
        "rebuild the Great Expectations Data Docs of the day's submissions. Blocking checks stop "
        "bad linkage or segments before anything is published."
    ),
    op_retry_policy=TRANSIENT_RETRY,
)

report_job = dg.define_asset_job(
    name="report_job",
    tags={KIND_TAG: "report"},
    selection=dg.AssetSelection.groups("reports"),
    description=(
        "Build the ecosystem report (HTML + PNG charts) for the quarterly governance meeting."
    ),
    op_retry_policy=TRANSIENT_RETRY,
)

extracts_job = dg.define_asset_job(
    name="extracts_job",
    tags={KIND_TAG: "extracts"},
    selection=dg.AssetSelection.groups("extracts"),
    description=(
        "Build, encrypt and sign partner cohort extracts into outbox/<partner>/. The delivery "
        "schedules name the partners due in the run config; without it, every partner with an "
        "agreement in force gets one."
    ),
    op_retry_policy=TRANSIENT_RETRY,
)

retention_job = dg.define_asset_job(
    name="retention_job",
    tags={KIND_TAG: "retention"},
    selection=dg.AssetSelection.assets("retention_sweep"),
    description=(
        "Apply the retention periods of governance.yaml to landing, archive, quarantine and "
        "outbox (the retention_sweep asset)."
    ),
)
