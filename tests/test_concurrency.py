"""Concurrency: two partners' submissions land at the same moment; both are ingested once.

Real processes race for the same ``hub.duckdb`` (DuckDB allows one writing process; the loser
waits for the lock) and for the same landing folder.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest
from fault_support import carehub_command, integrity_problems, staging_snapshot
from ingest_support import drop, make_home

from kernel.home import HubHome

PARTNERS = ("mercy_hospital", "harbor_housing")


def _land_together(home: HubHome, salt: str) -> dict[str, str]:
    """Write one package per partner at the same moment; return partner -> submission id."""
    barrier = threading.Barrier(len(PARTNERS))
    landed: dict[str, str] = {}

    def land(partner: str) -> None:
        barrier.wait()
        landed[partner] = drop(home, partner, n=40, salt=salt).name

    threads = [threading.Thread(target=land, args=(p,)) for p in PARTNERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(landed) == len(PARTNERS)
    return landed


def _start_together(
    home: HubHome, commands: list[list[str]]
) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "CAREHUB_HOME": str(home.root)}
    processes = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for cmd in commands
    ]
    results = []
    for cmd, process in zip(commands, processes, strict=True):
        out, _ = process.communicate(timeout=900)
        results.append(subprocess.CompletedProcess(cmd, process.returncode, out, ""))
    return results


def _assert_ingested_once(home: HubHome, landed: dict[str, str]) -> None:
    staged = staging_snapshot(home)
    for partner, sid in landed.items():
        partner_id, state, persons, events, loaded_persons, loaded_events = staged[sid]
        assert (partner_id, state) == (partner, "ingested")
        assert (loaded_persons, loaded_events) == (persons, events) == (40, 40)
        assert (home.archive / partner / sid / "manifest.json").is_file()
        assert not (home.landing / partner / sid).exists()
        assert not (home.quarantine / partner / sid).exists()
    assert integrity_problems(home, marts=False) == []


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    return make_home(tmp_path / "home")


@pytest.mark.slow
def test_two_partitions_ingested_at_the_same_moment(home: HubHome) -> None:
    landed = _land_together(home, salt="a")
    results = _start_together(
        home,
        [carehub_command("run", "ingest_job", "--partition", sid) for sid in landed.values()],
    )
    for result in results:
        assert result.returncode == 0, result.stdout[-3000:]
    _assert_ingested_once(home, landed)


@pytest.mark.slow
def test_two_landing_scans_race_over_the_same_packages(home: HubHome) -> None:
    landed = _land_together(home, salt="b")
    # Both scans see both packages; whichever loses a race must not load anything twice.
    _start_together(home, [carehub_command("run", "landing"), carehub_command("run", "landing")])
    _assert_ingested_once(home, landed)
    assert set(staging_snapshot(home)) == set(landed.values())
