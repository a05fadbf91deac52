"""Recovery: `kill -9` a real run at each stage; the hub must come back whole.

A small synthetic region is taken through the whole pipeline once (the last good state). Then a
real ``carehub run`` subprocess is killed with SIGKILL at the most dangerous point of each stage
(see ``kernel/faults.py``): inside the ingest transaction and between its commit and the move to
archive, inside the linkage transaction, just before the marts swap, and just before an extract
swap. After each kill:

* the published marts and extracts are byte for byte the last good version;
* the rerun completes;
* there are no duplicate rows or records anywhere;
* nothing from a committed submission is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from conftest import DemoRegion
from fault_support import (
    carehub_run,
    integrity_problems,
    kill_at,
    linkage_fingerprint,
    published,
    staging_snapshot,
)

from carehub.demo import MAPPINGS, Demo
from kernel.home import HubHome
from pipelines.runner import hub_instance
from warehouse import audit

pytestmark = pytest.mark.slow

# Every run after the baseline is a separate `carehub run` process, as Dagster launches runs in
# production: a process is the unit that dies, and each rerun starts from what is on disk.

RESUBMITTING = "harbor_housing"


@dataclass
class Scenario:
    demo: Demo
    work: Path

    @property
    def home(self) -> HubHome:
        return self.demo.home

    def resubmit(self) -> str:
        """The partner sends a replacement of its current submission; returns the new id."""
        from partner.encode import encode_partner
        from partner.submit import submit

        side = next(s for s in self.demo.partner_sides() if s.partner_id == RESUBMITTING)
        current = [
            sid
            for sid, row in staging_snapshot(self.home).items()
            if row[0] == RESUBMITTING and row[1] == "ingested"
        ]
        assert len(current) == 1
        result = encode_partner(
            side.partner_id,
            side.secret,
            MAPPINGS / f"{side.partner_id}.yaml",
            side.raw,
            side.outgoing,
            supersedes=current[0],
        )
        submit(result.package, self.home.landing / side.partner_id)
        return str(result.submission_id)


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, demo_region: DemoRegion
) -> Iterator[Scenario]:
    # The session's demo region is the last good state; each module works on its own copy.
    root = tmp_path_factory.mktemp("faults")
    scenario = Scenario(demo_region.copy_to(root), root)
    assert integrity_problems(scenario.home) == []
    yield scenario


def _assert_whole(home: HubHome) -> None:
    assert integrity_problems(home) == []


def test_kill_inside_the_ingest_transaction(scenario: Scenario) -> None:
    home = scenario.home
    before_published, before_staging = published(home), staging_snapshot(home)
    new_id = scenario.resubmit()
    kill_at(home, "ingest:before_commit", ["run", "landing"], scenario.work)
    assert staging_snapshot(home) == before_staging  # nothing of it was committed
    assert (home.landing / RESUBMITTING / new_id / "manifest.json").is_file()
    assert published(home) == before_published
    rerun = carehub_run(home, "landing")
    assert f"ingest_job [{new_id}]: succeeded" in rerun
    after = staging_snapshot(home)
    assert after[new_id][1] == "ingested"
    assert after[new_id][2:4] == after[new_id][4:6]  # every row of the manifest, once
    assert (home.archive / RESUBMITTING / new_id).is_dir()
    _assert_whole_staging(home, before_staging, after, new_id)


def _assert_whole_staging(
    home: HubHome,
    before: dict[str, tuple[object, ...]],
    after: dict[str, tuple[object, ...]],
    new_id: str,
) -> None:
    assert set(after) == set(before) | {new_id}
    for sid, row in before.items():
        # A replaced submission changes state only; its rows stay (audit trail).
        assert after[sid][2:] == row[2:], sid


def test_kill_between_ingest_commit_and_archive(scenario: Scenario) -> None:
    home = scenario.home
    before_published, before_staging = published(home), staging_snapshot(home)
    new_id = scenario.resubmit()
    kill_at(home, "ingest:after_commit", ["run", "landing"], scenario.work)
    committed = staging_snapshot(home)
    assert committed[new_id][1] == "ingested"  # committed before the kill
    assert (home.landing / RESUBMITTING / new_id).is_dir()  # but not yet moved
    assert published(home) == before_published
    carehub_run(home, "landing")  # completes the move, loads nothing twice
    after = staging_snapshot(home)
    assert after == committed
    assert not (home.landing / RESUBMITTING / new_id).exists()
    assert (home.archive / RESUBMITTING / new_id / "manifest.json").is_file()
    _assert_whole_staging(home, before_staging, after, new_id)


def test_kill_inside_the_linkage_transaction(scenario: Scenario) -> None:
    home = scenario.home
    before_published, before_answer = published(home), linkage_fingerprint(home)
    kill_at(home, "linkage:before_commit", ["run", "nightly_job"], scenario.work)
    assert linkage_fingerprint(home) == before_answer
    assert published(home) == before_published
    carehub_run(home, "nightly_job")
    _assert_whole(home)


def test_kill_just_before_the_marts_swap(scenario: Scenario) -> None:
    home = scenario.home
    before = published(home)
    kill_at(home, "publish:marts", ["run", "nightly_job"], scenario.work)
    assert published(home) == before  # analysts still see the last good marts, whole
    assert list(home.marts.glob(".marts.duckdb.*.building")), "the killed build was aside"
    carehub_run(home, "nightly_job")
    after = published(home)
    assert after["versions"]["marts"] != before["versions"]["marts"]  # type: ignore[index]
    assert not list(home.marts.glob(".marts.duckdb.*.building"))  # leftovers cleaned
    _assert_whole(home)


def test_kill_just_before_an_extract_swap(scenario: Scenario) -> None:
    home = scenario.home
    before = published(home)
    assert any(key.startswith("outbox/") for key in before), "the baseline published extracts"
    kill_at(home, "publish:extract", ["run", "extracts_job"], scenario.work)
    assert published(home) == before  # every partner still has its last good extract
    carehub_run(home, "extracts_job")
    after = published(home)
    for key in (k for k in before if k.startswith("outbox/")):
        extracts = [name for name in after[key] if name.endswith(".extract.json")]  # type: ignore[union-attr]
        assert len(extracts) == 1, key
    assert audit.verify(home).ok
    _assert_whole(home)


def test_killed_runs_are_closed_and_announced(scenario: Scenario) -> None:
    home = scenario.home
    with hub_instance(home) as instance:
        stuck = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert stuck == []  # each rerun marked the killed run before it failed
    log = (home.logs / "carehub.log").read_text()
    assert log.count("(process killed)") >= 5
