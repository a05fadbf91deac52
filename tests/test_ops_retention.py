"""warehouse.retention: what the sweep removes, what it must never remove, and what it logs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kernel import clock
from kernel.home import HubHome
from warehouse.governance import Retention
from warehouse.retention import sweep

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = Retention(landing_days=7, archive_days=30, quarantine_days=14, outbox_days=10)


def _file_stamp(moment: datetime, folder: Path) -> float:
    """``moment`` (hub clock) as the file system's clock would stamp it."""
    return (moment - clock.file_clock_offset(folder)).timestamp()


def _age(path: Path, days: float) -> None:
    stamp = _file_stamp(NOW - timedelta(days=days), path.parent)
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(item, (stamp, stamp), follow_symlinks=False)


def _package(root: Path, partner: str, name: str, *, days: float, manifest: bool = True) -> Path:
    folder = root / partner / name
    folder.mkdir(parents=True)
    (folder / "persons.parquet").write_bytes(b"x" * 100)
    if manifest:
        (folder / "manifest.json").write_text("{}")
    _age(folder, days)
    return folder


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    return HubHome(tmp_path / "home").ensure()


@pytest.mark.parametrize(
    ("area", "days", "manifest", "removed"),
    [
        ("landing", 8, False, True),  # abandoned upload, past landing_days
        ("landing", 6, False, False),  # upload may still be in progress
        ("landing", 400, True, False),  # complete but not ingested: never lost
        ("archive", 31, True, True),
        ("archive", 29, True, False),
        ("quarantine", 15, True, True),
        ("quarantine", 13, True, False),
    ],
)
def test_packages_by_area_and_age(
    home: HubHome, area: str, days: float, manifest: bool, removed: bool
) -> None:
    root = getattr(home, area)
    package = _package(
        root,
        "harbor_housing",
        "harbor_housing-20261001T000000Z-0a1b2c3d",
        days=days,
        manifest=manifest,
    )
    report = sweep(home, POLICY, now=NOW)
    assert package.exists() is not removed
    assert report.removed_by_area()[area] == (1 if removed else 0)
    if removed:
        assert report.removed[0].path == str(package.relative_to(home.root))
        assert report.removed[0].bytes >= 100


def test_complete_stale_landing_package_is_reported(home: HubHome) -> None:
    _package(home.landing, "mercy_hospital", "mercy_hospital-20250101T000000Z-00000000", days=90)
    report = sweep(home, POLICY, now=NOW)
    assert report.stale_pending == ["mercy_hospital-20250101T000000Z-00000000"]
    log = (home.logs / "carehub.log").read_text()
    assert "complete but still not ingested" in log


def test_recent_reason_file_keeps_quarantined_package(home: HubHome) -> None:
    package = _package(home.quarantine, "northside_food", "northside_food-x", days=100)
    (package / "reason.json").write_text("{}")  # quarantined just now
    stamp = _file_stamp(NOW, package)
    os.utime(package / "reason.json", (stamp, stamp))
    assert sweep(home, POLICY, now=NOW).removed == []
    assert package.exists()


def _publish_versions(partner_dir: Path, ages: dict[str, float], current: str) -> None:
    versions = partner_dir / ".versions" / "current"
    for name, days in ages.items():
        (versions / name).mkdir(parents=True)
        (versions / name / "extract.json").write_text("{}")
        _age(versions / name, days)
    (partner_dir / "current").symlink_to(Path(".versions") / "current" / current)


def test_outbox_keeps_current_extract_however_old(home: HubHome) -> None:
    partner_dir = home.outbox / "harbor_housing"
    _publish_versions(partner_dir, {"v1": 90, "v2": 60, "v3": 2}, current="v2")
    (partner_dir / ".versions" / "current" / "v4.building").mkdir()
    _age(partner_dir / ".versions" / "current" / "v4.building", 90)
    (partner_dir / "hub_public_keys.json").write_text("{}")
    _age(partner_dir / "hub_public_keys.json", 400)
    (partner_dir / "old.extract.json").write_text("{}")
    _age(partner_dir / "old.extract.json", 400)
    report = sweep(home, POLICY, now=NOW)
    remaining = sorted(p.name for p in (partner_dir / ".versions" / "current").iterdir())
    assert remaining == ["v2", "v3", "v4.building"]
    assert (partner_dir / "current").resolve().name == "v2"
    assert (partner_dir / "hub_public_keys.json").exists()  # not an extract: kept
    assert not (partner_dir / "old.extract.json").exists()
    assert report.removed_by_area()["outbox"] == 2


@pytest.mark.parametrize(("days", "removed"), [(11, True), (9, False)])
def test_outbox_alert_files_expire_one_by_one(home: HubHome, days: float, removed: bool) -> None:
    alerts = home.outbox / "harbor_housing" / "alerts"
    alerts.mkdir(parents=True)
    old, fresh = alerts / "a-old.alert.json", alerts / "a-new.alert.json"
    for path, age in ((old, days), (fresh, 1)):
        path.write_text("{}")
        _age(path, age)
    report = sweep(home, POLICY, now=NOW)
    assert old.exists() is not removed and fresh.exists() and alerts.is_dir()
    assert report.removed_by_area()["outbox"] == (1 if removed else 0)


def test_dry_run_deletes_nothing_and_says_so(home: HubHome) -> None:
    package = _package(home.archive, "mercy_hospital", "mercy_hospital-old", days=365)
    report = sweep(home, POLICY, now=NOW, dry_run=True)
    assert package.exists()
    assert [r.area for r in report.removed] == ["archive"]
    assert "due (dry run) archive" in (home.logs / "carehub.log").read_text()


def test_every_removal_is_logged_with_a_summary(home: HubHome) -> None:
    _package(home.archive, "mercy_hospital", "mercy_hospital-a", days=40)
    _package(home.quarantine, "mercy_hospital", "mercy_hospital-b", days=40)
    sweep(home, POLICY, now=NOW)
    lines = (home.logs / "carehub.log").read_text().splitlines()
    assert any("removed archive archive/mercy_hospital/mercy_hospital-a" in line for line in lines)
    assert any(
        "removed quarantine quarantine/mercy_hospital/mercy_hospital-b" in line for line in lines
    )
    assert "sweep removed: landing 0, archive 1, quarantine 1, outbox 0" in lines[-1]


def test_symlinked_folders_are_not_followed(home: HubHome, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    _age(outside, 999)
    (home.archive / "mercy_hospital").mkdir()
    (home.archive / "mercy_hospital" / "link").symlink_to(outside)
    sweep(home, POLICY, now=NOW)
    assert (outside / "precious.txt").exists()
