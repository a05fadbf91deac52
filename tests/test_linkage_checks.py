"""The linkage asset checks' rules, as a table of cluster and match-rate situations."""

from __future__ import annotations

import pytest

from linkage import checks
from linkage.run import ClusterStats, PartnerRate


def _stats(**kw: float) -> ClusterStats:
    base = {
        "persons": 1000,
        "records": 1500,
        "largest": 6,
        "singleton_share": 0.6,
        "multi_partner_persons": 300,
        "duplicate_keys": 0,
        "duplicate_records": 0,
    }
    return ClusterStats(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stats", "passed", "says"),
    [
        (_stats(), True, "plausible"),
        (_stats(largest=51), False, "largest person has 51 records"),
        (_stats(singleton_share=0.01), False, "over-merging"),
        (_stats(singleton_share=0.999), False, "broken encoding"),
        (_stats(duplicate_keys=2), False, "2 duplicate person key"),
        (_stats(duplicate_records=1), False, "in more than one person"),
    ],
)
def test_cluster_sizes(stats: ClusterStats, passed: bool, says: str) -> None:
    outcome = checks.cluster_sizes(stats)
    assert outcome.passed is passed
    assert says in outcome.description


def _rates(**cross: float) -> dict[str, PartnerRate]:
    rates = {"a": 0.3, "b": 0.4, "c": 0.5} | cross
    return {
        p: PartnerRate(records=500, match_rate=r, cross_partner_rate=r) for p, r in rates.items()
    }


@pytest.mark.parametrize(
    ("rates", "passed", "says"),
    [
        (_rates(), True, "in band"),
        (_rates(c=0.0), False, "c: cross-partner match rate 0.000"),  # wrong or stale key
        (_rates(b=1.0), False, "b: cross-partner match rate 1.000"),
        # One partner alone, or a tiny partner, cannot be judged.
        ({"a": PartnerRate(500, 0.0, 0.0)}, True, "in band"),
        (
            _rates() | {"tiny": PartnerRate(records=10, match_rate=0.0, cross_partner_rate=0.0)},
            True,
            "in band",
        ),
    ],
)
def test_partner_match_rates(rates: dict[str, PartnerRate], passed: bool, says: str) -> None:
    outcome = checks.match_rates(rates)
    assert outcome.passed is passed
    assert says in outcome.description
    assert "key fingerprint" in outcome.description or passed
