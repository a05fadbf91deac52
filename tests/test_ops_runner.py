"""pipelines.runner and the run-failure sensor, against a real persistent Dagster instance."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from kernel.home import HubHome
from pipelines.defs.ops.failures import (
    NOTIFIED_TAG,
    StepFailure,
    failure_notice,
    steward_failure_sensor,
)
from pipelines.resources import HubResource
from pipelines.runner import (
    RUNNER_TAG,
    hub_instance,
    process_landing,
    reap_interrupted_runs,
    run_job,
)
from warehouse.governance import TEMPLATE


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    return HubHome(tmp_path / "home").ensure()


def _log(home: HubHome) -> list[str]:
    path = home.logs / "carehub.log"
    return path.read_text().splitlines() if path.exists() else []


def test_success_is_recorded_in_the_hubs_instance(home: HubHome) -> None:
    shutil.copy(TEMPLATE, home.config / "governance.yaml")
    outcome = run_job(home, "retention_job")
    assert outcome.success
    assert outcome.materialized == ("retention_sweep",)
    assert outcome.metadata["retention_sweep"]["removed_archive"] == 0
    assert outcome.metadata["retention_sweep"]["policy_days"]["archive_days"] == 730
    assert outcome.failed_checks == ()
    with hub_instance(home) as instance:
        run = instance.get_run_by_id(outcome.run_id)
        assert run is not None
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags[RUNNER_TAG] == "carehub"
        record = instance.get_latest_materialization_event(dg.AssetKey("retention_sweep"))
        assert record is not None
    assert (home.dagster_home / "dagster.yaml").exists()
    assert not any("ERROR" in line for line in _log(home))


def test_failure_is_returned_and_told_to_stewards(home: HubHome) -> None:
    outcome = run_job(home, "retention_job")  # no governance.yaml: refused, not retried
    assert not outcome.success
    (failure,) = outcome.failures
    assert failure.step == "retention_sweep"
    assert "no governance configuration" in failure.error
    assert "carehub hub init" in failure.error
    lines = [line for line in _log(home) if "[ops]" in line]
    assert len(lines) == 1
    assert f"Run failed: retention_job (run {outcome.run_id[:8]})" in lines[0]
    assert "step retention_sweep failed" in lines[0]
    assert "nothing half-published" in lines[0]


def test_unknown_job_lists_the_jobs(home: HubHome) -> None:
    with pytest.raises(KeyError, match="nightly_job"):
        run_job(home, "nightly")


def test_failure_sensor_announces_daemon_runs_once(home: HubHome) -> None:
    outcome = run_job(home, "retention_job")
    assert not outcome.success
    before = len(_log(home))
    resources = {"hub": HubResource(home=str(home.root))}
    with hub_instance(home) as instance:
        run = instance.get_run_by_id(outcome.run_id)
        assert run is not None
        failure_event = next(
            e.dagster_event
            for e in instance.all_logs(run.run_id)
            if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
        )
        # Launched by the runner: it told the stewards itself, the sensor stays quiet.
        context = dg.build_run_status_sensor_context(
            sensor_name="steward_failure_sensor",
            dagster_event=failure_event,
            dagster_instance=instance,
            dagster_run=run,
            resources=resources,
        ).for_run_failure()
        steward_failure_sensor(context)
        assert len(_log(home)) == before
        # The same failure in a run the daemon launched (no runner tag): announced.
        daemon_run = run.with_tags({k: v for k, v in run.tags.items() if k != NOTIFIED_TAG})
        context = dg.build_run_status_sensor_context(
            sensor_name="steward_failure_sensor",
            dagster_event=failure_event,
            dagster_instance=instance,
            dagster_run=daemon_run,
            resources=resources,
        ).for_run_failure()
        steward_failure_sensor(context)
    new = _log(home)[before:]
    assert len(new) == 1
    assert "Run failed: retention_job" in new[0]
    assert "no governance configuration" in new[0]


@pytest.mark.slow
def test_a_killed_run_is_marked_failed_by_the_next_run(home: HubHome, tmp_path: Path) -> None:
    shutil.copy(TEMPLATE, home.config / "governance.yaml")
    ready = tmp_path / "paused"
    env = {
        **os.environ,
        "CAREHUB_FAULT_PAUSE": "retention:before_delete",
        "CAREHUB_FAULT_READY": str(ready),
    }
    carehub = Path(sys.executable).with_name("carehub")
    process = subprocess.Popen(
        [str(carehub), "run", "retention_job", "--home", str(home.root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the run never reached its pause point"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with hub_instance(home) as instance:
        (stuck,) = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert reap_interrupted_runs(home, instance) == [stuck.run_id]
        run = instance.get_run_by_id(stuck.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
        assert reap_interrupted_runs(home, instance) == []  # once only
    (line,) = [line for line in _log(home) if "Run failed" in line]
    assert "step retention_sweep failed (process killed)" in line
    assert run_job(home, "retention_job").success  # and the rerun simply works


@pytest.mark.parametrize(
    ("failures", "checks", "subject", "advice"),
    [
        (
            [StepFailure("submission", "DagsterAssetCheckFailedError: 1 blocking asset check")],
            ["submission:plaintext_identifiers", "submission:drift (non-blocking)"],
            "Run blocked by checks: ingest_job",
            "blocking checks: submission:plaintext_identifiers; the data did not flow on "
            "(also warned: submission:drift)",
        ),
        (
            [
                StepFailure(
                    "linked_persons", "IOException: Could not set lock on file [after retries]"
                )
            ],
            [],
            "Run failed: ingest_job",
            "re-execute from failure",
        ),
        ([], [], "Run failed: ingest_job", "failed before or between steps"),
    ],
)
def test_failure_notice_says_what_to_do(
    home: HubHome, failures: list[StepFailure], checks: list[str], subject: str, advice: str
) -> None:
    notice = failure_notice(
        home,
        job="ingest_job",
        run_id="0123456789abcdef",
        failures=failures,
        checks=checks,
        run_error="boom",
    )
    assert notice.subject.startswith(subject)
    assert advice in notice.message
    assert notice.level == "error"
    for check in checks:
        assert check.removesuffix(" (non-blocking)") in notice.message


@pytest.mark.slow
def test_process_landing_runs_one_ingest_per_package(tmp_path: Path) -> None:
    from fault_support import staging_snapshot
    from ingest_support import drop, make_home

    hub = make_home(tmp_path / "registered")
    landed = {drop(hub, "mercy_hospital", n=12).name, drop(hub, "harbor_housing", n=12).name}
    runs = process_landing(hub)
    assert {r.partition_key for r in runs} == landed
    assert all(r.success and r.outcome == "ingested" and r.job == "ingest_job" for r in runs)
    assert {sid for sid, row in staging_snapshot(hub).items() if row[1] == "ingested"} == landed
    with hub_instance(hub) as instance:
        assert set(instance.get_dynamic_partitions("submissions")) == landed
    assert process_landing(hub) == []  # nothing left in landing
