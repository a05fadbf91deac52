"""Schedules: nightly refresh, quarterly report, partner deliveries, daily retention (all UTC).

Partner deliveries follow each data-sharing agreement's ``frequency`` in ``governance.yaml``. The
partner list is read when a schedule ticks (through the ``hub`` resource), never at import, so a
steward's edit to the agreements takes effect at the next tick without a redeploy. There is one
schedule per frequency; its run names the partners that are due.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dagster as dg

from kernel import clock
from pipelines.defs.ops.jobs import extracts_job, nightly_job, report_job, retention_job
from pipelines.resources import HubResource
from pipelines.tags import HIDDEN
from warehouse.governance import Frequency, Governance, load_governance

EXTRACTS_ASSET = "partner_extracts"
TIMEZONE = "UTC"

# After the nightly refresh (02:00) has had time to finish; runs queue one at a time anyway.
DELIVERY_CRONS: dict[Frequency, str] = {
    "daily": "0 5 * * *",
    "weekly": "0 5 * * 1",
    "monthly": "0 5 1 * *",
}

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 UTC: linkage, segments and the analysts' marts.",
)

quarterly_report_schedule = dg.ScheduleDefinition(
    name="quarterly_report_schedule",
    job=report_job,
    cron_schedule="0 6 1 1,4,7,10 *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "At 06:00 UTC on the first day of each quarter: the ecosystem report for the governance "
        "meeting, from the marts refreshed that night."
    ),
)

retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule",
    job=retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 03:30 UTC: the retention sweep (periods in governance.yaml).",
)


def partners_due(governance: Governance, frequency: Frequency, day: date) -> list[str]:
    """Active partners whose agreement has ``frequency`` and is in force on ``day``, sorted."""
    due = []
    for agreement in governance.agreements:
        partner = governance.partner(agreement.partner)
        if (
            partner is not None
            and partner.active
            and agreement.frequency == frequency
            and agreement.in_force(day)
        ):
            due.append(agreement.partner)
    return sorted(due)


def extracts_run_config(partners: list[str]) -> dict[str, Any]:
    """Run config of ``extracts_job`` that builds extracts for ``partners`` only."""
    return {"ops": {EXTRACTS_ASSET: {"config": {"partners": partners}}}}


def _delivery_schedule(frequency: Frequency) -> dg.ScheduleDefinition:
    cron = DELIVERY_CRONS[frequency]

    @dg.schedule(
        name=f"{frequency}_extracts_schedule",
        job=extracts_job,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Partner extracts for every agreement with frequency {frequency} ({cron} UTC). "
            "Reads the agreements in governance.yaml at each tick; skips when none is due."
        ),
    )
    def _schedule(
        context: dg.ScheduleEvaluationContext, hub: HubResource
    ) -> dg.RunRequest | dg.SkipReason:
        governance = load_governance(hub.paths)
        moment = context.scheduled_execution_time
        day = moment.date() if moment else clock.today()
        due = partners_due(governance, frequency, day)
        if not due:
            return dg.SkipReason(
                f"no active partner has a {frequency} data-sharing agreement in force on {day}"
            )
        return dg.RunRequest(
            run_key=f"{frequency}-extracts-{day.isoformat()}",
            run_config=extracts_run_config(due),
            tags={
                "carehub/frequency": frequency,
                "carehub/partners": ",".join(due),
                f"{HIDDEN}governance_version": governance.version_label,
            },
        )

    return _schedule


daily_extracts_schedule = _delivery_schedule("daily")
weekly_extracts_schedule = _delivery_schedule("weekly")
monthly_extracts_schedule = _delivery_schedule("monthly")
