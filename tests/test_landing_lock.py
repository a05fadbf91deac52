"""Issue 17 #11 and #12: concurrent landing runs and queues of empty package folders.

A second landing run at the same time waits, then finds nothing to do: it never reports another
run's packages as its own, nor checks that did not run as failed. Stale empty folders are
quarantined in one pass, with one bounded log line.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import dagster as dg

from kernel.db import connection
from pipelines.defs.ingest.sensors import landing_sensor
from pipelines.resources import HubResource
from pipelines.runner import JobRun, process_landing
from tests.ingest_support import drop, make_home, staging_counts
from warehouse.ingest import ingest_landing


def test_a_second_landing_run_waits_then_has_nothing_to_do(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    drop(home, "mercy_hospital")
    waited = threading.Event()
    second: list[JobRun] = []
    with (home.dagster_home / ".landing.lock").open("a") as first:
        fcntl.flock(first, fcntl.LOCK_EX)  # the first landing run is under way
        worker = threading.Thread(
            target=lambda: second.extend(process_landing(home, waiting=waited.set))
        )
        worker.start()
        assert waited.wait(60), "the second run did not say it is waiting"
        with connection(home.hub_db) as con:  # the first run ingests the package
            assert [r.outcome for r in ingest_landing(home, con)] == ["ingested"]
        fcntl.flock(first, fcntl.LOCK_UN)
    worker.join(120)
    assert not worker.is_alive()
    assert second == []  # nothing left to do: no run, no check reported
    with connection(home.hub_db) as con:
        assert staging_counts(con, "mercy_hospital") == (1, 30, 30)


def test_stale_empty_folders_are_handled_in_one_pass(tmp_path: Path) -> None:
    """Issue 17 #12: thousands of empty package folders make no queue and one short log."""
    home = make_home(tmp_path / "home")
    good = drop(home, "mercy_hospital")
    old = time.time() - 2 * 3600  # past the 30-minute grace period
    empty = []
    for i in range(400):
        folder = home.landing / "harbor_housing" / f"harbor_housing-20261120T120000Z-{i:08x}"
        folder.mkdir(parents=True)
        os.utime(folder, (old, old))
        empty.append(folder.name)
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"hub": HubResource(home=str(home.root))},
    )
    started = time.perf_counter()
    result = landing_sensor(context)
    assert time.perf_counter() - started < 30
    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests or []] == [good.name]
    quarantined = sorted(p.name for p in (home.quarantine / "harbor_housing").iterdir())
    assert quarantined == sorted(empty)
    assert all((home.quarantine / "harbor_housing" / n / "reason.txt").is_file() for n in empty)
    log = (home.logs / "carehub.log").read_text()
    notice = [line for line in log.splitlines() if "empty package folder(s) quarantined" in line]
    assert len(notice) == 1 and "and 395 more" in notice[0] and len(notice[0]) < 600
