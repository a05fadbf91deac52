"""The ``retention_sweep`` asset: enforce governance.yaml's retention periods, and log them."""

import dagster as dg

from pipelines.defs.ops.failures import config_failure
from pipelines.notify import Notice, notify
from pipelines.resources import HubResource
from warehouse.governance import GovernanceError, load_governance
from warehouse.retention import sweep


class RetentionConfig(dg.Config):
    """Run config of ``retention_sweep``."""

    dry_run: bool = False
    """Report what is due for removal without deleting anything."""


@dg.asset(
    group_name="quality",
    owners=["team:data-stewards"],
    kinds={"python", "filesystem"},
    description=(
        "Retention sweep of the hub home: removes archived and quarantined submission packages, "
        "abandoned (incomplete) landing uploads and old partner extracts once they are older "
        "than the periods in governance.yaml (retention:). Never removes a complete package "
        "that is still waiting for ingest, nor a partner's current extract. Every removal is "
        "logged to logs/carehub.log."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "landing_not_stale",
            asset="retention_sweep",
            description=(
                "No complete submission package has waited in landing/ longer than "
                "retention.landing_days without being ingested (else the landing sensor or "
                "ingest runs need attention). Warns; never blocks."
            ),
        )
    ],
)
def retention_sweep(
    context: dg.AssetExecutionContext, config: RetentionConfig, hub: HubResource
) -> dg.MaterializeResult:
    home = hub.paths
    try:
        policy = load_governance(home).retention
    except GovernanceError as exc:
        raise config_failure(home, exc) from None
    report = sweep(home, policy, dry_run=config.dry_run)
    counts = report.removed_by_area()
    if report.stale_pending:
        notify(
            home,
            Notice(
                level="warning",
                subject="Landing packages waiting too long",
                message=(
                    f"{len(report.stale_pending)} complete submission package(s) have waited in "
                    f"landing/ for more than {policy.landing_days} days without being ingested; "
                    "check that the landing sensor is running and that ingest runs succeed."
                ),
                source="retention",
                run_id=context.run_id,
                job=context.job_name,
                details={"stale_pending": len(report.stale_pending)},
            ),
        )
    context.log.info(
        f"retention sweep ({'dry run' if config.dry_run else 'applied'}): removed {counts}, "
        f"{report.bytes_freed} bytes"
    )
    check = dg.AssetCheckResult(
        check_name="landing_not_stale",
        passed=not report.stale_pending,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"stale_packages": len(report.stale_pending)},
    )
    return dg.MaterializeResult(
        check_results=[check],
        metadata={
            "dry_run": config.dry_run,
            "removed_landing": counts["landing"],
            "removed_archive": counts["archive"],
            "removed_quarantine": counts["quarantine"],
            "removed_outbox": counts["outbox"],
            "bytes_freed": report.bytes_freed,
            "kept": dg.MetadataValue.json(report.kept),
            "stale_pending_landing": len(report.stale_pending),
            "policy_days": dg.MetadataValue.json(policy.model_dump()),
        },
    )
