"""kernel.clock: the project's one reading of the time, replayable and movable in tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from time_machine import TimeMachineFixture
from typer.testing import CliRunner

from carehub.cli import app
from kernel import clock

MOMENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T09:30:00Z", MOMENT),
        ("2026-11-20T09:30:00", MOMENT),  # no offset: UTC
        ("2026-11-20T10:30:00+01:00", MOMENT),
        (" 2026-11-20T09:30:00Z ", MOMENT),
    ],
)
def test_parse_moment(text: str, expected: datetime) -> None:
    assert clock.parse_moment(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "20/11/2026", "2026-13-01"])
def test_parse_moment_refuses_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="give a date like 2026-11-20"):
        clock.parse_moment(text)


def test_replay_starts_at_the_moment_and_runs_on() -> None:
    with clock.replaying(MOMENT):
        first = clock.now()
        second = clock.now()
        assert MOMENT <= first <= second < MOMENT + timedelta(seconds=5)
        assert clock.today() == MOMENT.date()
    # datetime.now here on purpose: the real clock, to show the replay has ended.
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_time_machine_moves_the_clock_for_everyone(time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(datetime(2056, 1, 2, tzinfo=UTC), tick=False)
    assert clock.now() == datetime(2056, 1, 2, tzinfo=UTC)
    assert clock.today().year == 2056


@pytest.mark.parametrize("years", [0, 1, 30])
def test_file_times_are_put_on_the_hub_clock(
    tmp_path: Path, time_machine: TimeMachineFixture, years: int
) -> None:
    """Files are stamped by the file system's clock; the offset puts them on the hub's."""
    real_now = datetime.now(UTC)  # datetime.now on purpose: the machine's own clock
    time_machine.move_to(real_now + timedelta(days=365 * years))
    path = tmp_path / "f"
    path.write_text("x")
    stamped = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    on_hub_clock = stamped + clock.file_clock_offset(tmp_path)
    assert abs(on_hub_clock - clock.now()) < timedelta(seconds=5)


def test_an_unwritable_folder_assumes_one_clock(tmp_path: Path) -> None:
    assert clock.file_clock_offset(tmp_path / "missing") == timedelta(0)


def test_the_cli_replay_ends_with_the_command() -> None:
    result = CliRunner().invoke(app, ["--at", "2030-01-01", "synth", "--help"])
    assert result.exit_code == 0, result.output
    # datetime.now on purpose: the machine's own clock, against which the replay must be gone.
    assert clock.now().year != 2030 or datetime.now(UTC).year == 2030


def test_the_cli_refuses_an_unreadable_time() -> None:
    result = CliRunner().invoke(app, ["--at", "next tuesday", "status"])
    assert result.exit_code == 2
    assert "cannot read the time" in result.output
