"""The ``care_alerts`` asset: alert subscribed partners of the events in new events packages.

It runs in ``alerts_job`` right after ``linked_persons`` placed the packages' new records among
the existing persons (incrementally). Metadata holds counts and latencies only: never a
pseudonym, a person key or an event.
"""

from datetime import timedelta

import dagster as dg

from pipelines.defs.governance.gate import approved_governance, governance_metadata
from pipelines.resources import HubResource
from warehouse.alerts import DECISIONS, process_alerts
from warehouse.disclosure import disclose

# The target: a partner hears within a minute that its client was admitted.
LATENCY_TARGET_SECONDS = 60.0
LATENCY_CHECK = "alert_latency_within_target"


@dg.asset(
    group_name="alerts",
    owners=["team:data-stewards"],
    kinds={"duckdb", "python"},
    deps=["linked_persons"],
    check_specs=[
        dg.AssetCheckSpec(
            LATENCY_CHECK,
            asset="care_alerts",
            description=(
                f"Every events package of the run was alerted on within "
                f"{LATENCY_TARGET_SECONDS:.0f} s of its arrival (warns; never blocks)."
            ),
        )
    ],
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=timedelta(days=3), warn_window=timedelta(days=1)
    ),
    description=(
        "Real-time care-coordination alerts (docs/alerts.md): the events of each new events "
        "package, matched to persons through the incremental linkage, routed to the partners "
        "whose subscription (governance.yaml `subscriptions:`) covers the event type and sector, "
        "about their OWN consented clients only, minimum necessary. One file per recipient, "
        "HPKE-encrypted to it and signed by the hub, in outbox/<partner>/alerts/, each in the "
        "hash-chained audit. Idempotent: an event never alerts twice; an uncertain link, a "
        "non-consented or Part 2 record, or a stale event is counted, never sent."
    ),
)
def care_alerts(context: dg.AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
    home = hub.paths
    # Alerts leave the hub like extracts do: only under a quorum-approved governance, whose
    # subscriptions say who hears of what.
    in_force = approved_governance(home)
    with hub.connect() as con:
        run = process_alerts(con, home, in_force.governance, run_id=context.run_id)
    latencies = run.latencies
    slowest = max(latencies, default=0.0)
    if run.waiting:
        context.log.warning(
            f"{len(run.waiting)} events package(s) wait: some records are not linked yet "
            "(the next alerts_job run picks them up)"
        )
    context.log.info(
        f"{len(run.batches)} events package(s): {run.sent} alert item(s) in "
        f"{len(run.files)} file(s); slowest {slowest:.1f} s from arrival"
    )
    totals = {d: run.total(d) for d in DECISIONS}
    return dg.MaterializeResult(
        metadata={
            "packages": len(run.batches),
            "packages_waiting": len(run.waiting),
            "alert_files": len(run.files),
            # Counts pass the disclosure threshold: the UI is read by more than stewards.
            "decisions": dg.MetadataValue.json({d: disclose(n) for d, n in totals.items()}),
            "recipients": len({f.recipient for f in run.files}),
            "latency_seconds_median": round(run.median_latency or 0.0, 2),
            "latency_seconds_max": round(slowest, 2),
            **governance_metadata(in_force),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=LATENCY_CHECK,
                passed=slowest <= LATENCY_TARGET_SECONDS,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "latency_seconds_max": round(slowest, 2),
                    "target_seconds": LATENCY_TARGET_SECONDS,
                },
            )
        ],
    )
