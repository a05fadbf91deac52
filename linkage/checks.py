"""Plausibility checks of a linkage answer (the linkage asset's blocking asset checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linkage.run import ClusterStats, PartnerRate
from linkage.settings import LinkageSettings

# A partner this small cannot be judged by its match rate.
MIN_PARTNER_RECORDS = 50


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def cluster_sizes(stats: ClusterStats, settings: LinkageSettings | None = None) -> CheckOutcome:
    """No person larger than the limit, a singleton share inside its band, unique keys."""
    settings = settings or LinkageSettings()
    low, high = settings.singleton_share_band
    problems = []
    if stats.largest > settings.max_cluster_size:
        problems.append(
            f"largest person has {stats.largest} records (limit {settings.max_cluster_size}): "
            "a chain of weak links or a shared placeholder; inspect linkage.links of that person"
        )
    if stats.persons and not low <= stats.singleton_share <= high:
        problems.append(
            f"singleton share {stats.singleton_share:.3f} outside [{low}, {high}]: "
            "over-merging (too low) or a broken encoding (too high)"
        )
    if stats.duplicate_keys or stats.duplicate_records:
        problems.append(
            f"{stats.duplicate_keys} duplicate person key(s), {stats.duplicate_records} "
            "record(s) in more than one person"
        )
    return CheckOutcome(
        passed=not problems,
        description="; ".join(problems) or "cluster sizes plausible",
        metadata={
            "persons": stats.persons,
            "largest": stats.largest,
            "singleton_share": round(stats.singleton_share, 4),
            "max_cluster_size": settings.max_cluster_size,
        },
    )


def match_rates(
    rates: dict[str, PartnerRate], settings: LinkageSettings | None = None
) -> CheckOutcome:
    """Each partner's cross-partner match rate inside the expected band.

    A partner that encoded under a wrong or stale key matches no one else: its rate drops to
    about zero. A rate near one means its records were swallowed into other partners' persons.
    """
    settings = settings or LinkageSettings()
    low, high = settings.partner_match_rate_band
    judged = {p: r for p, r in rates.items() if r.records >= MIN_PARTNER_RECORDS}
    problems = []
    if len(judged) >= 2:
        for partner, rate in sorted(judged.items()):
            if not low <= rate.cross_partner_rate <= high:
                problems.append(
                    f"{partner}: cross-partner match rate {rate.cross_partner_rate:.3f} outside "
                    f"[{low}, {high}]; check its key fingerprint and encoding report"
                )
    return CheckOutcome(
        passed=not problems,
        description="; ".join(problems) or "per-partner match rates in band",
        metadata={
            p: {"records": r.records, "cross_partner_rate": round(r.cross_partner_rate, 4)}
            for p, r in sorted(rates.items())
        },
    )
