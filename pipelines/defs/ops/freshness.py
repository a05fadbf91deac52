"""Freshness checks: the UI shows at a glance which outputs are stale for their cadence.

Each check warns (never blocks) when its asset was not materialized within its allowance: the
nightly stages 26 hours, partner extracts 8 days (the weekly agreements; daily and monthly ones
are tracked per partner by `carehub status`), the quarterly report 93 days. A sensor evaluates
them every 10 minutes while `carehub ui` runs.
"""

from datetime import timedelta

import dagster as dg

NIGHTLY = ["linked_persons", "segment_membership", "analyst_marts"]

nightly_freshness_checks = dg.build_last_update_freshness_checks(
    assets=NIGHTLY, lower_bound_delta=timedelta(hours=26)
)
extracts_freshness_checks = dg.build_last_update_freshness_checks(
    assets=["partner_extracts"], lower_bound_delta=timedelta(days=8)
)
report_freshness_checks = dg.build_last_update_freshness_checks(
    assets=["ecosystem_report"], lower_bound_delta=timedelta(days=93)
)

freshness_checks_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=[
        *nightly_freshness_checks,
        *extracts_freshness_checks,
        *report_freshness_checks,
    ],
    minimum_interval_seconds=600,
    name="freshness_checks_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
