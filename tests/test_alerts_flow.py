"""Care alerts end to end, at an injected moment: a small region ingested and linked by real
Dagster runs, a hospital's events package through landing, the ingest run, alerts_sensor and
alerts_job (incremental linkage, then care_alerts), and the housing CBO's inbox.

Every step reads the clock that ``time-machine`` sets (a fixed moment, ticking): the hub's keys,
the packages, the latency and the inbox's expiry checks never see the wall clock.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from rich.console import Console

from carehub.demo import MAPPINGS, REGION_DIR, Demo
from carehub.demo_alerts import CBO, HOSPITAL, AlertsDemo, run_alerts_stage
from partner.encode import encode_partner
from partner.inbox import read_inbox
from partner.submit import submit
from pipelines.runner import follow_runs, process_landing, run_job
from warehouse import audit

pytestmark = pytest.mark.slow

# The morning after the synthetic region's as-of date (2026-06-30).
MOMENT = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


@dataclass
class Flow:
    demo: Demo
    alerts: AlertsDemo


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    root = tmp_path_factory.mktemp("alerts_flow")
    with time_machine.travel(MOMENT, tick=True):
        demo = Demo(
            residents=1000,
            seed=31,
            home=root / "home",
            partners=root / "partners",
            console=Console(quiet=True),
        )
        demo.home.ensure()
        demo.synthesise()
        demo.partner_keys()
        demo.hub_onboarding()
        demo.encode_and_submit()
        demo.ingest()
        # The first alerts_job links everything (no events package yet: nothing to alert).
        first = run_job(demo.home, "alerts_job")
        assert first.success, first.failures
        alerts = run_alerts_stage(demo)
        yield Flow(demo, alerts)


def _truth(region: Path) -> dict[tuple[str, str], str]:
    with (region / "ground_truth" / "truth.csv").open() as handle:
        return {
            (row["partner_id"], row["source_record_id"]): row["resident_id"]
            for row in csv.DictReader(handle)
        }


def test_an_events_package_is_ingested_and_alerted_on_by_dagster_runs(flow: Flow) -> None:
    alerts = flow.alerts
    assert alerts.ingest is not None and alerts.ingest.outcome == "ingested"
    assert alerts.alerts_run.job == "alerts_job" and alerts.alerts_run.success
    linked = alerts.alerts_run.metadata["linked_persons"]
    # Linkage scoped to the package's records (they were all linked already: the batch is about
    # Mercy's existing patients); nothing else was read or re-linked.
    assert linked["mode"] == "scoped: nothing new"
    assert linked["records"] > 0 and linked["records_added"] == 0
    assert alerts.metadata["packages"] == 1 and alerts.metadata["alert_files"] >= 1
    # The run recorded its latency, measured on the injected clock.
    assert 0 < alerts.metadata["latency_seconds_max"] < 3600
    assert alerts.opened.items > 0 and not alerts.opened.failed


def test_every_alert_is_about_the_recipients_own_client_of_the_batch(flow: Flow) -> None:
    demo, alerts = flow.demo, flow.alerts
    truth = _truth(demo.result.partners_dir / REGION_DIR)
    batch = demo.result.partners_dir / HOSPITAL / "events_today" / "encounters.csv"
    with batch.open() as handle:
        patients = {truth[(HOSPITAL, row["MRN"])] for row in csv.DictReader(handle)}
    assert alerts.out is not None
    with (alerts.out / "alerts.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["alert_type"] for r in rows} <= {"ed_visit", "admission", "discharge"}
    assert {r["sector"] for r in rows} == {"hospital"}
    residents = [truth[(CBO, r["record_id"])] for r in rows]
    wrong = [r for r in residents if r not in patients]
    assert wrong == [], "an alert about someone the batch was not about (precision < 1)"


def test_replays_and_resubmissions_alert_nobody_twice(flow: Flow) -> None:
    demo, alerts = flow.demo, flow.alerts
    side = next(s for s in demo.partner_sides() if s.partner_id == HOSPITAL)
    with time_machine.travel(MOMENT.replace(hour=10), tick=True):
        # The same package delivered again: a duplicate at the door.
        package = side.outgoing / alerts.submission_id
        replay = demo.home.landing / HOSPITAL / alerts.submission_id
        shutil.copytree(package, replay)
        # The same encounters encoded again into a new package: new submission, same events.
        again = encode_partner(
            HOSPITAL,
            side.secret,
            MAPPINGS / f"{HOSPITAL}.yaml",
            side.root / "events_today",
            side.outgoing,
            kind="events",
        )
        submit(again.package, demo.home.landing / HOSPITAL)
        ingested = process_landing(demo.home, console_log_level="CRITICAL")
        followed = follow_runs(demo.home, [r for r in ingested if r.success])
    outcomes = sorted(str(r.outcome) for r in ingested)
    assert outcomes == ["duplicate", "ingested"]
    (run,) = followed  # only the new submission starts alerts_job
    metadata = run.metadata["care_alerts"]
    assert metadata["alert_files"] == 0
    assert metadata["decisions"]["send"] == 0
    assert metadata["decisions"]["duplicate"] == alerts.metadata["decisions"]["send"]
    # The daemon's dedupe: a second evaluation for the same runs starts nothing.
    assert follow_runs(demo.home, [r for r in ingested if r.success]) == []


def test_the_alerts_sensor_ignores_full_exports_and_quarantines(flow: Flow) -> None:
    demo = flow.demo
    # The stage-5 ingest runs: five full exports and one quarantined package.
    assert follow_runs(demo.home, list(demo.result.ingest_runs)) == []


def test_the_inbox_of_a_second_pass_finds_nothing_new_and_the_log_is_intact(flow: Flow) -> None:
    demo, alerts = flow.demo, flow.alerts
    cbo = next(s for s in demo.partner_sides() if s.partner_id == CBO)
    assert alerts.out is not None
    with time_machine.travel(MOMENT.replace(hour=11), tick=True):
        again = read_inbox(
            cbo.root / "alerts_inbox" / "alerts",
            cbo.keys / f"{CBO}.x25519.key",
            demo.result.encoded[CBO].crosswalk,
            alerts.out,
        )
        verified = audit.verify(demo.home)
    assert again.items == 0 and again.skipped == len(alerts.opened.opened)
    assert verified.ok, verified.problems
    written = [e for e in audit.entries(demo.home) if e.action == "alert_written"]
    assert len(written) == alerts.metadata["alert_files"]
