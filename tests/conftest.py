"""Suite-wide fixtures and the clock discipline.

Time in this suite is never read from the wall clock by a test: code asks ``kernel.clock``, and
tests move it with ``time-machine``. Two mechanisms prove the suite has no time bombs:

* ``@pytest.mark.time_sensitive`` on a test (expiry, retention, audit, keys, publication,
  report) makes it run again with the clock moved +1, +5 and +30 years. Those extra runs carry
  the ``timeshift`` marker: the default suite leaves them out, ``python3 dev.py test`` (CI)
  runs them.
* ``pytest --shift-years N`` moves the clock N years ahead for the whole session, to run the
  entire suite in another year once (``python3 dev.py test --fast --shift-years 30``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from rich.console import Console
from schema_support import copy_hub_schema
from schema_support import hub_db_template as _hub_db_template

from carehub.demo import Demo, DemoResult
from carehub.demo_summary import print_summary
from kernel import clock

SHIFTS_YEARS = (1, 5, 30)
_YEAR = timedelta(days=365.2425)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shift-years",
        type=int,
        default=0,
        help="move the clock this many years ahead for the whole session (time-bomb hunt)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "time_sensitive: reads the clock (expiry, retention, audit, keys, publication, report);"
        " also runs at +1, +5 and +30 years under the timeshift marker",
    )
    config.addinivalue_line(
        "markers", "timeshift: a time_sensitive test re-run with the clock years ahead"
    )
    years = config.getoption("--shift-years")
    if years:
        traveller = time_machine.travel(clock.now() + years * _YEAR, tick=True)
        traveller.start()
        config.stash[_SESSION_TRAVEL] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_SESSION_TRAVEL, None)
    if traveller is not None:
        traveller.stop()


_SESSION_TRAVEL = pytest.StashKey[time_machine.travel]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("time_sensitive") is None:
        return
    metafunc.fixturenames.append("clock_shift_years")
    metafunc.parametrize(
        "clock_shift_years",
        [0, *(pytest.param(y, marks=pytest.mark.timeshift, id=f"+{y}y") for y in SHIFTS_YEARS)],
        ids=lambda y: "now" if y == 0 else f"+{y}y",
        indirect=True,
    )


@pytest.fixture
def clock_shift_years(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test with the real clock moved ``request.param`` years ahead (ticking)."""
    years: int = request.param
    if not years:
        yield 0
        return
    with time_machine.travel(clock.now() + years * _YEAR, tick=True):
        yield years


@dataclass(frozen=True)
class DemoRegion:
    """One small region taken through the whole demo (stages 1-10), built once per session."""

    result: DemoResult
    console_text: str
    residents: int
    seed: int

    def copy_to(self, root: Path) -> Demo:
        """A private, writable copy of the hub home and partner trees, as a :class:`Demo`."""
        shutil.copytree(self.result.home.root, root / "home", symlinks=True)
        shutil.copytree(self.result.partners_dir, root / "partners", symlinks=True)
        return Demo(
            residents=self.residents,
            seed=self.seed,
            home=root / "home",
            partners=root / "partners",
            console=Console(file=None, quiet=True),
            key_seed=self.seed,
        )


@pytest.fixture(scope="session")
def demo_region(tmp_path_factory: pytest.TempPathFactory) -> DemoRegion:
    """Read-only. Tests that change the hub work on :meth:`DemoRegion.copy_to`. Built once per
    process: once in a serial run, at most once per worker under ``-n``."""
    root = tmp_path_factory.mktemp("demo")
    console = Console(record=True, width=140)
    residents, seed = 1200, 23
    # key_seed: the same persons and counts every session (tests/test_demo.py reruns it).
    result = Demo(
        residents=residents, seed=seed, home=root / "home", partners=root / "partners",
        console=console, key_seed=seed,
    ).run()  # fmt: skip
    print_summary(result, console)
    return DemoRegion(result, console.export_text(), residents, seed)


@pytest.fixture(scope="session")
def hub_db_template() -> Path:
    """Read-only: a hub.duckdb with every layer's empty real schema, built once per session."""
    return _hub_db_template()


@pytest.fixture
def empty_hub_db(tmp_path: Path, hub_db_template: Path) -> Path:
    """A private copy of :func:`hub_db_template` (copying is faster than running the DDL)."""
    return copy_hub_schema(tmp_path / "hub.duckdb")


@pytest.fixture(autouse=True)
def _real_clock_after_each_test() -> Iterator[None]:
    """A replay started by one test (``carehub --at``) never leaks into the next."""
    yield
    clock.start_at(None)
