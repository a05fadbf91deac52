"""Events packages (``kind: events``): same contract, small by design, never a supersede."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from ingest_support import drop, events_rows, make_home, persons_rows, rewrite_manifest

from contract.spec import EVENT_SCHEMA, PERSON_SCHEMA
from partner.package import PackageError, read_manifest, write_package
from warehouse.ingest.package import Package, check_files


def _findings(package: Path) -> list[tuple[str, str | None, str]]:
    checked = Package(path=package, partner_id=package.parent.name, submission_id=package.name)
    check_files(checked)
    return [(f.check, f.column, f.message) for f in checked.findings]


@pytest.mark.parametrize(
    ("edit", "column", "message"),
    [
        (lambda m: m.update(kind="events"), None, None),
        (lambda m: m.pop("kind", None), None, None),  # no kind: a full export
        (lambda m: m.update(kind="stream"), "kind", "kind is neither full nor events"),
        (
            lambda m: m.update(
                kind="events", supersedes="harbor_housing-20200101T000000Z-0a1b2c3d"
            ),
            "supersedes",
            "an events package cannot supersede",
        ),
        (
            lambda m: (m.update(kind="events"), m["files"]["events.parquet"].update(rows=10_001)),
            "kind",
            "holds 1 to 10000 events",
        ),
        (
            lambda m: (m.update(kind="events"), m["files"]["events.parquet"].update(rows=0)),
            "kind",
            "holds 1 to 10000 events",
        ),
    ],
    ids=["events", "full", "unknown_kind", "supersedes", "too_many", "none"],
)
def test_the_hub_checks_the_kind_of_a_package(
    tmp_path: Path, edit: Any, column: str | None, message: str | None
) -> None:
    home = make_home(tmp_path)
    package = drop(home, "harbor_housing", n=5)
    rewrite_manifest(package, edit)
    found = [f for f in _findings(package) if f[0] == "manifest_integrity"]
    if message is None:
        assert found == []
    else:
        assert [(c, message in m) for _, c, m in found] == [(column, True)]


@pytest.mark.parametrize(
    ("events", "kind", "refused"),
    [(3, "events", None), (0, "events", "an events package holds 1 to"), (3, "batch", "kind")],
)
def test_the_partner_client_writes_events_packages(
    tmp_path: Path, events: int, kind: str, refused: str | None
) -> None:
    persons = persons_rows("mercy_hospital", 3)
    rows = [{**row, "program": None} for row in events_rows(persons)[:events]]
    args = {
        "partner_id": "mercy_hospital",
        "persons": pa.Table.from_pylist(persons, schema=PERSON_SCHEMA),
        "events": pa.Table.from_pylist(rows, schema=EVENT_SCHEMA),
        "key_fingerprint": "ab" * 16,
        "kind": kind,
    }
    if refused:
        with pytest.raises(PackageError, match=refused):
            write_package(tmp_path, **args)
        assert list(tmp_path.iterdir()) == []
        return
    package = write_package(tmp_path, **args)
    assert read_manifest(package)["kind"] == "events"
