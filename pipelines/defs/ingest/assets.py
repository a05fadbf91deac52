"""Ingest assets: each submission validated and loaded (or quarantined); GX Data Docs."""

from collections.abc import Iterator

import dagster as dg

from pipelines.defs.ingest.partitions import submissions_partitions
from pipelines.defs.ops.failures import config_failure
from pipelines.resources import HubResource
from quality.findings import CHECKS, Finding
from warehouse.governance import GovernanceError
from warehouse.ingest import IngestResult, ingest_submission

OWNERS = ["team:data-stewards"]
SUBMISSION_KEY = dg.AssetKey("submission")


def _finding_line(finding: Finding) -> str:
    where = finding.where()
    return f"{where + ': ' if where else ''}{finding.message}"


def check_results(result: IngestResult) -> list[dg.AssetCheckResult]:
    """One asset check result per check; names, counts and rows, never values.

    A check that never ran (an earlier blocking check stopped the package) is reported as not
    passed, with a warning that says why, so every check of the asset has a result.
    """
    evaluated = result.check_results()
    out = []
    for info in CHECKS:
        if info.name not in evaluated:
            out.append(
                dg.AssetCheckResult(
                    asset_key=SUBMISSION_KEY,
                    check_name=info.name,
                    passed=False,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"not_run": "an earlier check stopped this package"},
                )
            )
    for name, findings in evaluated.items():
        blocking = [f for f in findings if f.blocking]
        warnings = [f for f in findings if f.severity == "warning"]
        metadata: dict[str, dg.RawMetadataValue] = {
            "problems": len(blocking),
            "warnings": len(warnings),
        }
        if findings:
            metadata["details"] = dg.MetadataValue.md(
                "\n".join(f"- {_finding_line(f)} (fix: {f.fix})" for f in findings[:20])
            )
        out.append(
            dg.AssetCheckResult(
                asset_key=SUBMISSION_KEY,
                check_name=name,
                passed=not blocking and not warnings,
                severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
            )
        )
    return out


@dg.asset(
    key=SUBMISSION_KEY,
    partitions_def=submissions_partitions,
    group_name="ingest",
    owners=OWNERS,
    kinds={"duckdb", "parquet", "great_expectations"},
    description=(
        "One partner submission (partition = submission id): package checks (manifest, "
        "checksums, partner registry and key fingerprint, spec version, schema), Great "
        "Expectations suites, referential integrity, the plaintext-identifier detector and "
        "drift; then loaded into staging in one DuckDB transaction and archived, or moved "
        "whole to quarantine/ with reason.json and reason.txt."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            name=info.name,
            asset=SUBMISSION_KEY,
            description=info.description,
            blocking=info.blocking,
        )
        for info in CHECKS
    ],
)
def submission(
    context: dg.AssetExecutionContext, hub: HubResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    home = hub.paths
    try:
        with hub.connect() as con:
            result = ingest_submission(home, con, context.partition_key)
    except GovernanceError as exc:
        raise config_failure(home, exc) from None
    if result.outcome == "pending":
        raise dg.Failure(
            description=f"{result.submission_id} is still being written: {result.message}. "
            "The landing sensor requests it again once its manifest is complete.",
            allow_retries=False,
        )
    log = context.log.warning if result.outcome == "quarantined" else context.log.info
    log(f"{result.submission_id} from {result.partner_id}: {result.outcome}: {result.message}")
    if result.superseded:
        context.log.warning(f"{result.superseded} is superseded by {result.submission_id}")
    location = str(result.location.relative_to(home.root)) if result.location else ""
    yield dg.MaterializeResult(
        metadata={
            "outcome": result.outcome,
            "partner_id": result.partner_id,
            "summary": result.message,
            "persons_rows": result.persons_rows,
            "events_rows": result.events_rows,
            "expectations_evaluated": result.expectations,
            "problems": sum(1 for f in result.findings if f.blocking),
            "warnings": sum(1 for f in result.findings if f.severity == "warning"),
            "location": location,
            "superseded": result.superseded or "",
            "data_docs": dg.MetadataValue.path(str(home.quality / "data_docs" / "index.html")),
            "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in result.timings.items()}),
        },
        check_results=check_results(result),
    )


@dg.asset(
    key="gx_data_docs",
    group_name="quality",
    owners=OWNERS,
    kinds={"great_expectations", "html"},
    deps=[SUBMISSION_KEY],
    description=(
        "Great Expectations Data Docs (HTML) for every validated submission, in "
        "<home>/quality/data_docs/. Results hold counts only: no value is ever rendered."
    ),
)
def gx_data_docs(hub: HubResource) -> dg.MaterializeResult:
    from quality import build_data_docs

    index = build_data_docs(hub.paths.quality)
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(index)),
            "pages": sum(1 for _ in index.parent.rglob("*.html")),
        }
    )
