"""Segments assets: ``person_features`` and ``segment_membership`` (never published as rows).

Metadata holds counts, dates and versions only: never a person key or pseudonym. Segment sizes in
metadata are shown after small-cell suppression, like everything that leaves the hub.
"""

# No `from __future__ import annotations`: Dagster 1.13 cannot resolve a string-annotated
# config parameter.
from datetime import date

import dagster as dg

from kernel.home import HubHome
from pipelines.defs.ops.failures import config_failure
from pipelines.resources import HubResource
from warehouse.disclosure import disclose
from warehouse.features import DEFAULT_PARTNER_SECTORS, build_features
from warehouse.governance import GovernanceError, governance_path, load_governance
from warehouse.segments import compute_membership, load_segments, membership_problems


class PersonFeaturesConfig(dg.Config):
    """Run config of ``person_features``."""

    as_of: str | None = None
    """Reference date YYYY-MM-DD; default the latest event date (or today)."""
    months: int = 12
    """Months of history to compute for trends."""


def _partner_sectors(home: HubHome, log: dg.DagsterLogManager) -> dict[str, str]:
    if not governance_path(home).is_file():
        # A home without a registry (sample data, benchmarks): the synthetic partners' sectors.
        log.warning("no config/governance.yaml; using the default partner sectors")
        return dict(DEFAULT_PARTNER_SECTORS)
    try:
        governance = load_governance(home)
    except GovernanceError as exc:
        # Never guess the sectors of a broken file: a typo would silently re-label records.
        raise config_failure(home, exc) from None
    return {pid: partner.sector for pid, partner in governance.partners.items()}


@dg.asset(
    group_name="segments",
    owners=["team:data-stewards"],
    kinds={"duckdb", "sql"},
    deps=["linked_persons"],
    description=(
        "Person-level complex-needs features inside hub.duckdb (features.person_features now; "
        "features.person_month per month for trends): ED visits and admissions in 6/12 months, "
        "chronic conditions, behavioural-health and overdose flags, social needs, services, "
        "public-health events, sectors, Safe Harbor age band / sex / ZIP3. Never published."
    ),
)
def person_features(
    context: dg.AssetExecutionContext, config: PersonFeaturesConfig, hub: HubResource
) -> dg.MaterializeResult:
    as_of = date.fromisoformat(config.as_of) if config.as_of else None
    sectors = _partner_sectors(hub.paths, context.log)
    with hub.connect() as con:
        summary = build_features(con, as_of, months=config.months, partner_sectors=sectors)
    context.log.info(f"features of {summary.persons} persons as of {summary.as_of}")
    return dg.MaterializeResult(
        metadata={
            "as_of": summary.as_of.isoformat(),
            "persons": summary.persons,
            "months": len(summary.months),
            "first_month": summary.months[0].isoformat() if summary.months else "",
            "person_month_rows": summary.rows_monthly,
            "partners_with_sector": len(sectors),
        }
    )


@dg.asset(
    group_name="segments",
    owners=["team:data-stewards"],
    kinds={"duckdb", "sql", "yaml"},
    deps=[person_features],
    description=(
        "Segment membership (segments.membership now, segments.membership_monthly for trends) "
        "from the rules of config/segments.yaml, each checked with sqlglot against the "
        "documented feature columns. The starter set is installed when the file is missing."
    ),
)
def segment_membership(context: dg.AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
    segments = load_segments(hub.paths)
    with hub.connect() as con:
        result = compute_membership(con, segments)
    context.log.info(f"{len(segments.segments)} segments as of {result.as_of}")
    return dg.MaterializeResult(
        metadata={
            "as_of": result.as_of.isoformat(),
            "segments": len(segments.segments),
            "segments_file_sha256": segments.sha256[:12],
            "membership_rows": result.rows,
            "membership_monthly_rows": result.rows_monthly,
            "segment_sizes": dg.MetadataValue.json(
                {name: disclose(n) for name, n in result.sizes.items()}
            ),
        }
    )


@dg.asset_check(
    asset=segment_membership,
    blocking=True,
    description=(
        "Membership is consistent: every row names a defined segment and a person with "
        "features, no deceased person is in a segment, no duplicates."
    ),
)
def segment_membership_consistent(hub: HubResource) -> dg.AssetCheckResult:
    with hub.connect(read_only=True) as con:
        problems = membership_problems(con)
    return dg.AssetCheckResult(
        passed=not any(problems.values()),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=problems,
        description="ok" if not any(problems.values()) else "membership is inconsistent",
    )
