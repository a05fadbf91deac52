"""What the steward hears about each ingest decision (pipelines/defs/ingest/notices.py).

The ingest library returns an outcome; the pipeline logs it and, for a quarantine, a supersede
or a sweep of empty folders, sends a notice through the configured hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kernel.home import HubHome
from pipelines.defs.ingest.notices import announce, announce_swept
from quality.findings import Finding
from warehouse.ingest import IngestResult
from warehouse.ingest.landing import LandingEntry

SID = "mercy_hospital-20261126T120000Z-0badf00d"
OLD = "mercy_hospital-20261120T120000Z-00c0ffee"
LONG_AGO = datetime(2026, 11, 20, 12, tzinfo=UTC)
MISSING = Finding("package_complete", "persons.parquet is missing", fix="send it again")
DRIFT = Finding("drift", "null rate of zip3 rose", fix="check the export", severity="warning")


@dataclass(frozen=True)
class Case:
    name: str
    result: Callable[[HubHome], IngestResult]
    lines: list[str]  # every line the steward log must then hold, in order


def _result(outcome: str, message: str, **extra: object) -> Callable[[HubHome], IngestResult]:
    def build(home: HubHome) -> IngestResult:
        where = (
            {"location": home.quarantine / "mercy_hospital" / SID}
            if outcome == "quarantined"
            else {}
        )
        return IngestResult(SID, "mercy_hospital", outcome, message, **where, **extra)  # type: ignore[arg-type]

    return build


CASES = [
    Case(
        "quarantined",
        _result(
            "quarantined",
            "package_complete failed",
            findings=[MISSING, DRIFT],
        ),
        [
            f"WARNING [ingest] Submission quarantined: {SID}: from mercy_hospital: "
            f"package_complete failed; nothing was loaded. Forward "
            f"quarantine/mercy_hospital/{SID}/reason.txt to the partner."
        ],
    ),
    Case(
        "duplicate",
        _result("duplicate", f"duplicate of {OLD}: already ingested, nothing loaded twice"),
        [f"INFO    [ingest] {SID}: duplicate of {OLD}: already ingested, nothing loaded twice"],
    ),
    Case(
        "ingested",
        _result("ingested", "ingested 30 persons and 30 events"),
        [f"INFO    [ingest] {SID} from mercy_hospital: ingested 30 persons and 30 events"],
    ),
    Case(
        "superseding",
        _result("ingested", "ingested 40 persons and 40 events", superseded=OLD),
        [
            f"INFO    [ingest] {SID} from mercy_hospital: ingested 40 persons and 40 events",
            f"WARNING [ingest] Submission superseded: {OLD}: {OLD} from mercy_hospital is "
            f"SUPERSEDED by {SID}: its rows no longer count as current",
        ],
    ),
    Case("pending", _result("pending", "manifest.json not written yet"), []),
    Case(
        "re-run of a decided package",
        _result("quarantined", "already decided: package_complete failed", already_decided=True),
        [],
    ),
]


def _log(home: HubHome) -> list[str]:
    path = home.logs / "carehub.log"
    # Drop the timestamp (the first field): the clock is not what is tested here.
    return (
        [line.split(" ", 1)[1] for line in path.read_text().splitlines()] if path.exists() else []
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_decision_is_told_once(tmp_path: Path, case: Case) -> None:
    home = HubHome(tmp_path / "home").ensure()
    announce(home, case.result(home))
    assert _log(home) == case.lines


def test_one_notice_for_a_sweep_of_empty_folders(tmp_path: Path) -> None:
    home = HubHome(tmp_path / "home").ensure()
    swept = [f"harbor_housing-20261120T120000Z-{i:08x}" for i in range(7)]
    entries = [
        LandingEntry(
            "harbor_housing", sid, home.landing / "harbor_housing" / sid, "stale", "", LONG_AGO
        )
        for sid in swept
    ]
    announce_swept(home, [], entries)
    assert _log(home) == []
    announce_swept(home, swept, entries)
    (line,) = _log(home)
    assert line.startswith("WARNING [ingest] 7 empty package folder(s) quarantined: ")
    assert "and 2 more" in line
