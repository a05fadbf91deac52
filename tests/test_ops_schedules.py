"""Schedules: partner deliveries follow the agreements in governance.yaml, read at tick time."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kernel.home import HubHome
from pipelines.defs.ops.schedules import (
    daily_extracts_schedule,
    monthly_extracts_schedule,
    nightly_schedule,
    partners_due,
    quarterly_report_schedule,
    weekly_extracts_schedule,
)
from pipelines.resources import HubResource
from pipelines.tags import HIDDEN
from warehouse.governance import (
    PartnerRegistration,
    load_governance,
    save_governance,
    write_governance,
)

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

PARTNERS = {
    "mercy_hospital": "hospital",  # default agreement: weekly
    "harbor_housing": "cbo_housing",  # weekly
    "northside_food": "cbo_food",  # monthly
    "county_public_health": "public_health",  # weekly, made daily below
}


def _public_key() -> str:
    raw = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    hub = HubHome(tmp_path / "home").ensure()
    write_governance(
        hub,
        [
            PartnerRegistration(pid, sector, _public_key(), f"{i:02x}" * 16)
            for i, (pid, sector) in enumerate(PARTNERS.items())
        ],
    )
    governance = load_governance(hub)
    agreements = []
    for agreement in governance.agreements:
        if agreement.partner == "county_public_health":
            agreement = agreement.model_copy(update={"frequency": "daily"})
        if agreement.partner == "harbor_housing":
            agreement = agreement.model_copy(update={"valid_until": date(2026, 12, 31)})
        agreements.append(agreement)
    save_governance(hub, governance.model_copy(update={"agreements": tuple(agreements)}))
    return hub


@pytest.mark.parametrize(
    ("frequency", "day", "expected"),
    [
        ("daily", date(2026, 11, 27), ["county_public_health"]),
        ("weekly", date(2026, 11, 30), ["harbor_housing", "mercy_hospital"]),
        ("weekly", date(2027, 1, 4), ["mercy_hospital"]),  # harbor's agreement has ended
        ("monthly", date(2026, 12, 1), ["northside_food"]),
    ],
)
def test_partners_due_follow_agreements(
    home: HubHome, frequency: str, day: date, expected: list[str]
) -> None:
    assert partners_due(load_governance(home), frequency, day) == expected  # type: ignore[arg-type]


def test_inactive_partner_is_never_due(home: HubHome) -> None:
    governance = load_governance(home)
    partners = dict(governance.partners)
    partners["mercy_hospital"] = partners["mercy_hospital"].model_copy(update={"active": False})
    governance = save_governance(home, governance.model_copy(update={"partners": partners}))
    assert partners_due(governance, "weekly", date(2026, 11, 30)) == ["harbor_housing"]


def _tick(schedule: dg.ScheduleDefinition, home: HubHome, when: datetime) -> object:
    context = dg.build_schedule_context(
        scheduled_execution_time=when, resources={"hub": HubResource(home=str(home.root))}
    )
    return schedule.evaluate_tick(context)


def test_weekly_delivery_names_the_partners_due(home: HubHome) -> None:
    data = _tick(weekly_extracts_schedule, home, datetime(2026, 11, 30, 5, tzinfo=UTC))
    (request,) = data.run_requests  # type: ignore[attr-defined]
    assert request.run_config == {
        "ops": {"partner_extracts": {"config": {"partners": ["harbor_housing", "mercy_hospital"]}}}
    }
    assert request.tags["carehub/partners"] == "harbor_housing,mercy_hospital"
    version = request.tags[f"{HIDDEN}governance_version"]
    assert version.startswith(str(load_governance(home).version))
    assert request.run_key == "weekly-extracts-2026-11-30"


def test_delivery_skips_when_nobody_is_due(home: HubHome) -> None:
    governance = load_governance(home)
    save_governance(
        home,
        governance.model_copy(
            update={
                "agreements": tuple(a for a in governance.agreements if a.frequency != "monthly")
            }
        ),
    )
    data = _tick(monthly_extracts_schedule, home, datetime(2026, 12, 1, 5, tzinfo=UTC))
    assert not data.run_requests  # type: ignore[attr-defined]
    assert "no active partner has a monthly" in data.skip_message  # type: ignore[attr-defined]


def test_governance_edits_apply_at_the_next_tick(home: HubHome) -> None:
    when = datetime(2026, 11, 27, 5, tzinfo=UTC)
    before = _tick(daily_extracts_schedule, home, when).run_requests[0]  # type: ignore[attr-defined]
    governance = load_governance(home)
    save_governance(
        home,
        governance.model_copy(
            update={
                "agreements": tuple(
                    a.model_copy(update={"frequency": "daily"}) for a in governance.agreements
                )
            }
        ),
    )
    after = _tick(daily_extracts_schedule, home, when).run_requests[0]  # type: ignore[attr-defined]
    assert before.tags["carehub/partners"] == "county_public_health"
    assert after.tags["carehub/partners"] == ",".join(sorted(PARTNERS))


def test_missing_governance_fails_the_tick_with_the_fix(tmp_path: Path) -> None:
    empty = HubHome(tmp_path / "empty").ensure()
    with pytest.raises(dg.DagsterError) as info:
        _tick(daily_extracts_schedule, empty, datetime(2026, 11, 27, 5, tzinfo=UTC))
    assert "no governance configuration" in str(info.value.__cause__)
    assert "carehub hub init" in str(info.value.__cause__)


@pytest.mark.parametrize(
    ("schedule", "cron"),
    [
        (nightly_schedule, "0 2 * * *"),
        (quarterly_report_schedule, "0 6 1 1,4,7,10 *"),
        (daily_extracts_schedule, "0 5 * * *"),
        (weekly_extracts_schedule, "0 5 * * 1"),
        (monthly_extracts_schedule, "0 5 1 * *"),
    ],
)
def test_cron_and_default_status(schedule: dg.ScheduleDefinition, cron: str) -> None:
    assert schedule.cron_schedule == cron
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
