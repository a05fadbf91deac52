"""The landing area: which packages are ready, still being written, or abandoned.

``manifest.json`` is written last, by atomic rename, and is the completeness signal. A folder
without it, or whose listed files are missing or were modified after the manifest, is
**pending**: still being written. It is left alone until the grace period has passed since its
last change; then it is **stale** and the ingest quarantines it with the reason.

File times are stamped by the clock of the file system that holds ``landing/`` (a network share
may run its own), while "now" is the hub's clock (``kernel.clock``, which a steward can replay).
Ages are therefore measured after moving file times onto the hub's clock by the offset between
the two, read from a probe file at each scan (:func:`kernel.clock.file_clock_offset`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, Literal

from contract.ids import SUBMISSION_ID
from contract.manifest import LISTED_FILES
from contract.manifest import MANIFEST_FILE as MANIFEST
from kernel import clock
from kernel.home import HubHome
from warehouse.ingest.package import SAFE_NAME

DEFAULT_GRACE: Final = timedelta(minutes=30)
LandingState = Literal["ready", "pending", "stale", "invalid"]


@dataclass(frozen=True)
class LandingEntry:
    """One folder under ``landing/<partner>/``.

    Attributes:
        partner_id: The partner folder's name.
        submission_id: The package folder's name.
        path: The package folder.
        state: ``ready`` (manifest complete), ``pending`` (being written), ``stale`` (grace
            passed without completing) or ``invalid`` (folder name is not a submission id).
        reason: Why it is pending, stale or invalid.
        last_change: The newest modification time in the folder.
        manifest_mtime_ns: For ready packages: the manifest's mtime (part of the run key, so a
            re-delivery is seen as new).
    """

    partner_id: str
    submission_id: str
    path: Path
    state: LandingState
    reason: str
    last_change: datetime
    manifest_mtime_ns: int = 0


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def inspect(
    path: Path,
    *,
    partner_id: str,
    now: datetime | None = None,
    grace: timedelta = DEFAULT_GRACE,
    file_offset: timedelta | None = None,
) -> LandingEntry:
    """Classify one package folder (cheap: stats files, reads the manifest's file list).

    ``file_offset`` (from :func:`kernel.clock.file_clock_offset`) is measured here when not given.
    """
    now = now or clock.now()
    if file_offset is None:
        file_offset = clock.file_clock_offset(path.parent)
    entries = list(path.iterdir()) if path.is_dir() and not path.is_symlink() else []
    newest = max([_mtime(path), *(_mtime(e) for e in entries)])
    last_change = datetime.fromtimestamp(newest, UTC) + file_offset
    sid = path.name

    def entry(state: LandingState, reason: str, mtime_ns: int = 0) -> LandingEntry:
        return LandingEntry(partner_id, sid, path, state, reason, last_change, mtime_ns)

    if not SUBMISSION_ID.match(sid) or not SAFE_NAME.match(partner_id):
        return entry("invalid", "the folder name is not <partner_id>-<yyyymmddThhmmssZ>-<8 hex>")
    manifest = path / MANIFEST
    waited = now - last_change >= grace
    if not manifest.is_file():
        if waited:
            return entry("stale", f"manifest.json still missing after {grace}")
        return entry("pending", "manifest.json not written yet (package still being written)")
    manifest_mtime = manifest.lstat().st_mtime_ns
    listed = _listed(manifest)
    missing = [name for name in listed if not (path / name).exists()]
    later = [
        e.name for e in entries if e.name in LISTED_FILES and e.lstat().st_mtime_ns > manifest_mtime
    ]
    if (missing or later) and not waited:
        what = "listed files missing" if missing else "files changed after the manifest"
        return entry("pending", f"{what} (package still being written)")
    return entry("ready", "manifest.json present", manifest_mtime)


def _listed(manifest: Path) -> list[str]:
    try:
        files = json.loads(manifest.read_bytes().decode("utf-8")).get("files") or {}
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, OSError):
        return []  # the ingest reports the broken manifest
    return [name for name in files if name in LISTED_FILES] if isinstance(files, dict) else []


def scan(
    home: HubHome, *, now: datetime | None = None, grace: timedelta = DEFAULT_GRACE
) -> Iterator[LandingEntry]:
    """Every package folder under ``landing/``, classified, in a stable order."""
    if not home.landing.is_dir():
        return
    offset = clock.file_clock_offset(home.landing)
    for partner_dir in sorted(home.landing.iterdir()):
        if not partner_dir.is_dir() or partner_dir.is_symlink():
            continue
        for path in sorted(partner_dir.iterdir()):
            if path.is_dir() or path.is_symlink():
                yield inspect(
                    path, partner_id=partner_dir.name, now=now, grace=grace, file_offset=offset
                )


def find(home: HubHome, submission_id: str) -> Path | None:
    """The landing folder of ``submission_id`` (its partner is the parent folder), if any."""
    if not SUBMISSION_ID.match(submission_id) or not home.landing.is_dir():
        return None
    for partner_dir in sorted(home.landing.iterdir()):
        candidate = partner_dir / submission_id
        if partner_dir.is_dir() and (candidate.is_dir() or candidate.is_symlink()):
            return candidate
    return None


def bounded(ids: Sequence[str], limit: int = 5) -> str:
    """Ids for a log line, at most ``limit`` of them: a queue of thousands stays one short line."""
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
