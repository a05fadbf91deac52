"""File retention for the hub home: landing, archive, quarantine and the partners' outbox.

The periods come from ``retention:`` in ``config/governance.yaml`` (``warehouse.governance
.Retention``). The sweep is enforced daily by the Dagster asset ``retention_sweep`` and logs
every removal to ``logs/carehub.log``. Rules, chosen so that retention can never lose data that
was not yet committed, nor cut a partner off from its current extract:

* ``landing/``: only *incomplete* packages (no ``manifest.json``: an abandoned upload) older than
  ``landing_days`` are removed. A complete package that is still waiting is never removed; it is
  reported as stale instead, because it means ingest is not keeping up.
* ``archive/``: committed packages older than ``archive_days`` (their rows stay in the warehouse).
* ``quarantine/``: rejected packages (with their reason files) older than ``quarantine_days``.
* ``outbox/<partner>/``: extract versions (``.versions/*/<version>/`` and loose
  ``*.extract.json``) and care alerts (``alerts/*.alert.json``) older than ``outbox_days``,
  except whatever a published link (``current``) points at and anything still being built.
  Other files there (the hub's public keys) stay.

Age is measured from the newest modification time of the item itself and of the files directly
in it, so a package that was touched recently (for instance moved to quarantine with a new
``reason.json``) counts as recent.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from contract.envelope import ALERT_SUFFIX, EXTRACT_SUFFIX
from kernel import clock
from kernel.faults import pause_point
from kernel.home import HubHome
from kernel.steward_log import log_line
from warehouse.governance import Retention

Area = Literal["landing", "archive", "quarantine", "outbox"]
_DAY = 86400.0
_IN_PROGRESS = (".building", ".tmp", ".link")
_ALERTS_DIR = "alerts"


@dataclass(frozen=True)
class Removal:
    """One file or folder removed (or, in a dry run, due for removal).

    Attributes:
        area: ``landing``, ``archive``, ``quarantine`` or ``outbox``.
        path: Path relative to the hub home.
        age_days: Age in whole days.
        bytes: Size on disk.
    """

    area: Area
    path: str
    age_days: int
    bytes: int


@dataclass
class RetentionReport:
    """What one sweep did.

    Attributes:
        removed: Items removed (or due, in a dry run).
        kept: Items inspected and kept, per area.
        stale_pending: Complete landing packages older than ``landing_days`` still not ingested.
        dry_run: Nothing was deleted.
    """

    removed: list[Removal] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    stale_pending: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def bytes_freed(self) -> int:
        """Total size of the removed items."""
        return sum(r.bytes for r in self.removed)

    def removed_by_area(self) -> dict[str, int]:
        """Count of removed items per area (every area present, zero if none)."""
        counts = {area: 0 for area in ("landing", "archive", "quarantine", "outbox")}
        for removal in self.removed:
            counts[removal.area] += 1
        return counts


def sweep(
    home: HubHome,
    policy: Retention,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Apply ``policy`` to the hub home and log what was removed.

    Args:
        home: The hub home.
        policy: Retention periods in days.
        now: The moment to measure ages from (default: now, UTC).
        dry_run: Report what is due without deleting anything.

    Returns:
        The report of removals, kept counts and stale pending packages.
    """
    # Ages compare with file times, so "now" is moved onto the file system's clock.
    moment = ((now or clock.now()) - clock.file_clock_offset(home.root)).timestamp()
    report = RetentionReport(dry_run=dry_run)
    due: list[tuple[Area, Path, float]] = []

    for package, complete in _landing_packages(home.landing):
        age = _age_days(package, moment)
        if age < policy.landing_days:
            report.kept["landing"] = report.kept.get("landing", 0) + 1
        elif complete:
            report.stale_pending.append(package.name)
            report.kept["landing"] = report.kept.get("landing", 0) + 1
        else:
            due.append(("landing", package, age))
    for area, root, days in (
        ("archive", home.archive, policy.archive_days),
        ("quarantine", home.quarantine, policy.quarantine_days),
    ):
        for package in _packages(root):
            _classify(report, due, area, package, _age_days(package, moment), days)  # type: ignore[arg-type]
    for item in _outbox_items(home.outbox):
        _classify(report, due, "outbox", item, _age_days(item, moment), policy.outbox_days)

    pause_point("retention:before_delete")
    for area, path, age in due:
        size = _size(path)
        report.removed.append(Removal(area, str(path.relative_to(home.root)), int(age), size))
        if not dry_run:
            _delete(path)
    _log(home, policy, report)
    return report


def _classify(
    report: RetentionReport,
    due: list[tuple[Area, Path, float]],
    area: Area,
    path: Path,
    age: float,
    days: int,
) -> None:
    if age >= days:
        due.append((area, path, age))
    else:
        report.kept[area] = report.kept.get(area, 0) + 1


def _children(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(folder.iterdir())


def _packages(root: Path) -> Iterator[Path]:
    """``<root>/<partner>/<submission_id>/`` folders (symlinks are never followed)."""
    for partner in _children(root):
        if partner.is_dir() and not partner.is_symlink():
            for package in _children(partner):
                if package.is_dir() and not package.is_symlink():
                    yield package


def _landing_packages(root: Path) -> Iterator[tuple[Path, bool]]:
    for package in _packages(root):
        yield package, (package / "manifest.json").is_file()


def _outbox_items(root: Path) -> Iterator[Path]:
    """Extract versions in ``outbox/<partner>/`` that no published link points into."""
    for partner in _children(root):
        if not partner.is_dir() or partner.is_symlink():
            continue
        protected = {
            link.resolve() for link in partner.rglob("*") if link.is_symlink() and link.exists()
        }
        candidates: list[Path] = []
        for item in _children(partner):
            if item.name == ".versions" and item.is_dir():
                for name in _children(item):
                    candidates.extend(v for v in _children(name) if not v.is_symlink())
            elif item.name.endswith(EXTRACT_SUFFIX) and item.is_file() and not item.is_symlink():
                candidates.append(item)  # an extract written straight into the folder
            elif item.name == _ALERTS_DIR and item.is_dir() and not item.is_symlink():
                candidates.extend(  # care alerts: each file is its own item
                    a for a in _children(item) if a.name.endswith(ALERT_SUFFIX) and a.is_file()
                )
        # Anything else (the hub's published keys next to the extracts) is not an extract.
        for item in candidates:
            if item.name.endswith(_IN_PROGRESS):
                continue
            resolved = item.resolve()
            if any(p == resolved or resolved in p.parents for p in protected):
                continue
            yield item


def _age_days(path: Path, moment: float) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir():
        for child in path.iterdir():
            newest = max(newest, child.lstat().st_mtime)
    return max(0.0, (moment - newest) / _DAY)


def _size(path: Path) -> int:
    if path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _log(home: HubHome, policy: Retention, report: RetentionReport) -> None:
    verb = "due (dry run)" if report.dry_run else "removed"
    for removal in report.removed:
        log_line(
            home,
            "info",
            "retention",
            f"{verb} {removal.area} {removal.path} ({removal.age_days} days old, "
            f"{removal.bytes} bytes)",
        )
    for name in report.stale_pending:
        log_line(
            home,
            "warning",
            "retention",
            f"landing package {name} is complete but still not ingested after "
            f"{policy.landing_days}+ days; kept. Check the landing sensor and ingest runs.",
        )
    counts = report.removed_by_area()
    log_line(
        home,
        "info",
        "retention",
        f"sweep {verb}: "
        + ", ".join(f"{area} {n}" for area, n in counts.items())
        + f"; {report.bytes_freed} bytes; periods landing {policy.landing_days}d, archive "
        f"{policy.archive_days}d, quarantine {policy.quarantine_days}d, outbox "
        f"{policy.outbox_days}d",
    )
