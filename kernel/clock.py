"""The project's one clock.

Every library call that needs "now" (extract expiry, package creation, retention, audit
timestamps, key rotation, publication times, the report month, status) asks this module,
never ``datetime.now`` directly. That gives two things:

* **Tests move time for the whole stack at once.** ``time-machine`` patches the clock that
  :func:`now` reads, so a test that travels to 2056 meets 2056 in every layer, not a fixed
  moment in one call and the real clock one call further down.
* **A steward can replay a day.** ``carehub --at 2026-11-20 ...`` (or ``CAREHUB_NOW``) starts
  this process's clock at that moment; it then runs on at the normal rate, so durations and
  ordering stay real. Only the CLI sets it (:func:`start_at`); libraries never read the
  environment for the time.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

__all__ = [
    "file_clock_offset",
    "now",
    "parse_moment",
    "replaying",
    "start_at",
    "today",
]


@dataclass(frozen=True)
class _Replay:
    at: datetime
    monotonic: float


_replay: _Replay | None = None


def now() -> datetime:
    """The current moment, timezone-aware UTC (replayed when :func:`start_at` was called)."""
    if _replay is not None:
        return _replay.at + timedelta(seconds=time.monotonic() - _replay.monotonic)
    return datetime.now(UTC)


def today() -> date:
    """Today's UTC date by :func:`now`."""
    return now().date()


def start_at(moment: datetime | None) -> None:
    """Run this process's clock from ``moment`` on (``None``: back to the real clock)."""
    global _replay
    if moment is None:
        _replay = None
        return
    _replay = _Replay(_as_utc(moment), time.monotonic())


@contextmanager
def replaying(moment: datetime) -> Iterator[None]:
    """:func:`start_at` for the duration of a ``with`` block, then the previous clock again."""
    global _replay
    saved = _replay
    start_at(moment)
    try:
        yield
    finally:
        _replay = saved


def file_clock_offset(folder: Path) -> timedelta:
    """:func:`now` minus the clock that stamps files in ``folder``: add it to a file's mtime.

    Zero when both read the real time on one machine. It is the replay offset under
    ``carehub --at`` (or a test's moved clock), and the skew of a share's server otherwise;
    without it a replayed day would find every package decades stale or not yet written.
    """
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".clock-probe-") as probe:
            stamped = os.fstat(probe.fileno()).st_mtime
    except OSError:
        return timedelta(0)  # read-only or missing folder: assume one clock
    return now() - datetime.fromtimestamp(stamped, UTC)


def parse_moment(text: str) -> datetime:
    """Parse ``--at`` / ``CAREHUB_NOW``: ``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time.

    A time without an offset is taken as UTC.

    Raises:
        ValueError: the text is neither, with the accepted forms in the message.
    """
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read the time {text!r}: give a date like 2026-11-20 or a time like "
            "2026-11-20T09:30:00Z"
        ) from None
    return _as_utc(moment)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
