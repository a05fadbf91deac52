"""Issue 17 #11: a second landing run at the same time waits, then finds nothing to do.

It never reports another run's packages as its own, nor checks that did not run as failed.
"""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

from carehub.db import connection
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
