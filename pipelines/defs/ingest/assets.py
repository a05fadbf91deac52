"""Ingest assets: each submission validated and loaded (or quarantined); GX Data Docs.

Quarantine is a state of its own in Dagster, not a crash. A quarantined submission's run ends
in success: the package was decided, and re-executing it cannot change the decision (the partner
must send a new package). Its ``submission`` partition is not materialized (nothing was loaded,
so it does not show as "Materialized"); instead its ``quarantine`` partition is: the asset
``quarantine`` is the hub's quarantine/ folder, one partition per quarantined submission, and
its partition view lists exactly the quarantined submissions, each with its reason, failed
checks and reason.txt in the partition's metadata (Dagster 1.13 paints an asset partition red
only when its run fails, see docs/ingest.md). ``submission`` also gets an observation with the
outcome and reason. Its checks are partitioned (``AssetCheckSpec(partitions_def=...)``), so
each check's partition view shows that submission red with the findings, and the next partner's
run does not overwrite it. Checks that never ran (an earlier gate stopped the package) get no
result at all: the UI shows them as skipped for that partition instead of inventing a verdict.

Why the specs are not Dagster-``blocking``: in Dagster 1.13 a failed blocking check fails its
step (``DagsterAssetCheckFailedError``), which is what made a quarantine look like a crash with
a "re-execute" button. The gate that stops a bad package is the ingest itself (nothing of it is
loaded, it moves to quarantine/); no asset downstream of ``submission`` runs in ``ingest_job``.
So a check that stops a package reports severity ERROR and says in its description that it
quarantines; the asset is a subsettable multi-asset so a check may go without a result.
"""

import warnings
from collections.abc import Iterator

import dagster as dg

from kernel.home import HubHome
from pipelines.defs.ingest.notices import announce
from pipelines.defs.ingest.partitions import submissions_partitions
from pipelines.defs.ops.failures import config_failure
from pipelines.resources import HubResource
from quality.data_docs import build_data_docs, submission_page
from quality.findings import CHECKS, CheckInfo, Finding
from warehouse.governance import GovernanceError
from warehouse.ingest import IngestResult, ingest_submission

OWNERS = ["team:data-stewards"]
SUBMISSION_KEY = dg.AssetKey("submission")
QUARANTINE_KEY = dg.AssetKey("quarantine")
# Set on each ingest run once decided, so stewards filter the Runs page by outcome.
OUTCOME_TAG = "carehub/outcome"
QUARANTINES = " A failure quarantines the package (severity ERROR)."
# What the quarantine partition shows a steward, in this order: why, who, where.
QUARANTINE_METADATA = (
    "reason",
    "failed_checks",
    "partner_id",
    "location",
    "reason_txt",
    "data_docs",
    "outcome",
)


def _finding_line(finding: Finding) -> str:
    where = finding.where()
    return f"{where + ': ' if where else ''}{finding.message}"


def check_spec(info: CheckInfo) -> dg.AssetCheckSpec:
    """One partitioned check of ``submission``: results are kept per submission."""
    with warnings.catch_warnings():
        # Partitioned asset checks are a preview feature of Dagster 1.13; chosen on purpose.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name=info.name,
            asset=SUBMISSION_KEY,
            description=info.description + (QUARANTINES if info.blocking else ""),
            partitions_def=submissions_partitions,
        )


def check_results(result: IngestResult) -> list[dg.AssetCheckResult]:
    """One result per check that ran; names, counts and rows, never values.

    A check that never ran (an earlier check stopped the package) has no result: Dagster shows
    it as skipped for the partition.
    """
    out = []
    for name, findings in result.check_results().items():
        stopping = [f for f in findings if f.blocking]
        warnings_ = [f for f in findings if f.severity == "warning"]
        metadata: dict[str, dg.RawMetadataValue] = {
            "problems": len(stopping),
            "warnings": len(warnings_),
        }
        if findings:
            metadata["details"] = dg.MetadataValue.md(
                "\n".join(f"- {_finding_line(f)} (fix: {f.fix})" for f in findings[:20])
            )
        if stopping:
            metadata["reason"] = result.message
        out.append(
            dg.AssetCheckResult(
                asset_key=SUBMISSION_KEY,
                check_name=name,
                passed=not stopping and not warnings_,
                severity=dg.AssetCheckSeverity.ERROR if stopping else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
            )
        )
    return out


def outcome_metadata(home: HubHome, result: IngestResult) -> "dict[str, dg.RawMetadataValue]":
    """What the materialization (ingested) or observation (quarantined, duplicate) records."""
    location = str(result.location.relative_to(home.root)) if result.location else ""
    metadata: dict[str, dg.RawMetadataValue] = {
        "outcome": result.outcome,
        "reason" if result.outcome != "ingested" else "summary": result.message,
        "partner_id": result.partner_id,
        "failed_checks": ", ".join(sorted({f.check for f in result.findings if f.blocking})),
        "persons_rows": result.persons_rows,
        "events_rows": result.events_rows,
        "expectations_evaluated": result.expectations,
        "problems": sum(1 for f in result.findings if f.blocking),
        "warnings": sum(1 for f in result.findings if f.severity == "warning"),
        "location": location,
        "superseded": result.superseded or "",
        # Written by gx_data_docs (nightly_job), from the stored results and the decision.
        "data_docs": dg.MetadataValue.path(
            str(submission_page(home.quality, result.submission_id))
        ),
        "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in result.timings.items()}),
    }
    if result.location and result.outcome != "ingested":
        metadata["reason_txt"] = dg.MetadataValue.path(str(result.location / "reason.txt"))
    return metadata


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SUBMISSION_KEY,
            partitions_def=submissions_partitions,
            group_name="ingest",
            owners=OWNERS,
            kinds={"duckdb", "parquet", "great_expectations"},
            description=(
                "One partner submission (partition = submission id): package checks (manifest, "
                "checksums, partner registry and key fingerprint, spec version, schema), Great "
                "Expectations suites, referential integrity, the plaintext-identifier detector "
                "and drift; then loaded into staging in one DuckDB transaction and archived "
                "(materialized), or moved whole to quarantine/ with reason.json and reason.txt "
                "(its `quarantine` partition materialized with the reason; the failed checks show "
                "red per partition)."
            ),
        ),
        dg.AssetSpec(
            QUARANTINE_KEY,
            partitions_def=submissions_partitions,
            group_name="ingest",
            owners=OWNERS,
            kinds={"parquet"},
            description=(
                "The hub's quarantine/ folder: one partition per submission, materialized when "
                "that package is quarantined, with the reason (the same line as `carehub "
                "status`), the failed checks, its folder and reason.txt in the partition's "
                "metadata. Every materialized partition is a package the partner must fix and "
                "send again: re-running it cannot change the decision. Ingested submissions "
                "are Missing here."
            ),
        ),
    ],
    check_specs=[check_spec(info) for info in CHECKS],
    # Subsettable: a package yields one of `submission` and `quarantine`, and checks that never ran
    # yield no result (see the module docstring).
    can_subset=True,
    name="submission",
)
def submission(
    context: dg.AssetExecutionContext, hub: HubResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult | dg.AssetObservation]:
    home = hub.paths
    try:
        with hub.connect() as con:
            result = ingest_submission(home, con, context.partition_key)
    except GovernanceError as exc:
        raise config_failure(home, exc) from None
    announce(home, result)
    if result.outcome == "pending":
        raise dg.Failure(
            description=f"{result.submission_id} is still being written: {result.message}. "
            "The landing sensor requests it again once its manifest is complete.",
            allow_retries=False,
        )
    context.instance.add_run_tags(context.run_id, {OUTCOME_TAG: result.outcome})
    log = context.log.warning if result.outcome == "quarantined" else context.log.info
    log(f"{result.submission_id} from {result.partner_id}: {result.outcome}: {result.message}")
    if result.superseded:
        context.log.warning(f"{result.superseded} is superseded by {result.submission_id}")
    metadata = outcome_metadata(home, result)
    if result.outcome == "ingested":
        yield dg.MaterializeResult(
            asset_key=SUBMISSION_KEY, metadata=metadata, check_results=check_results(result)
        )
        return
    if result.outcome == "quarantined":
        yield dg.MaterializeResult(
            asset_key=QUARANTINE_KEY,
            metadata={k: metadata[k] for k in QUARANTINE_METADATA if k in metadata},
        )
    yield dg.AssetObservation(
        asset_key=SUBMISSION_KEY, partition=context.partition_key, metadata=metadata
    )
    yield from check_results(result)


@dg.asset(
    key="gx_data_docs",
    group_name="quality",
    owners=OWNERS,
    kinds={"great_expectations", "html"},
    deps=[SUBMISSION_KEY, QUARANTINE_KEY],
    description=(
        "Data Docs (HTML) for every submission, in <home>/quality/data_docs/: the Great "
        "Expectations results of each validated submission and the decision and findings of "
        "each quarantined one. Rendered by the hub itself: they work offline and hold no "
        "external URL; counts and row numbers only, no value is ever rendered."
    ),
)
def gx_data_docs(hub: HubResource) -> dg.MaterializeResult:
    home = hub.paths
    index = build_data_docs(home.quality, quarantine=home.quarantine, archive=home.archive)
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(index)),
            "pages": sum(1 for _ in index.parent.rglob("*.html")),
        }
    )
