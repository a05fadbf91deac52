"""The GX project: built once per hub home, rebuilt when its rules change, safe across processes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from kernel.home import HubHome
from quality.drift import History, drift_parameters
from quality.gx_suites import (
    FINGERPRINT_FILE,
    SUITES,
    forget_project,
    import_gx,
    open_project,
    suites_fingerprint,
)
from quality.gx_validate import validate_frame
from quality.rules import DRIFT_COLUMNS, PERSONS, RULES
from quality.validate import _frame
from tests.ingest_support import drop, make_home
from warehouse.ingest.package import Package, stage_tables

ROOT = Path(__file__).resolve().parents[1]


def _stored(quality: Path) -> str:
    return str(json.loads((quality / FINGERPRINT_FILE).read_text())["fingerprint"])


def test_project_is_built_once_per_home_and_reused(tmp_path: Path) -> None:
    quality = tmp_path / "quality"
    first = open_project(quality)
    assert first.rebuilt
    assert _stored(quality) == suites_fingerprint() == first.fingerprint
    assert open_project(quality) is first  # cached in this process
    forget_project(quality)  # as a new process would: open the stored project
    second = open_project(quality)
    assert second is not first and not second.rebuilt
    assert {f: [d.name for d in ds] for f, ds in second.definitions.items()} == {
        f: list(names) for f, names in SUITES.items()
    }


@pytest.mark.parametrize("damage", ["other_fingerprint", "no_fingerprint", "definitions_lost"])
def test_changed_or_damaged_project_is_rebuilt(tmp_path: Path, damage: str) -> None:
    quality = tmp_path / "quality"
    open_project(quality)
    forget_project(quality)
    if damage == "other_fingerprint":  # built by code with other rules
        (quality / FINGERPRINT_FILE).write_text(json.dumps({"fingerprint": "0" * 64}))
    elif damage == "no_fingerprint":
        (quality / FINGERPRINT_FILE).unlink()
    else:
        for path in (quality / "gx" / "validation_definitions").iterdir():
            path.unlink()
    reopened = open_project(quality)
    assert reopened.rebuilt
    assert _stored(quality) == suites_fingerprint()
    forget_project(quality)
    assert not open_project(quality).rebuilt


def _staged_persons(home: HubHome) -> duckdb.DuckDBPyConnection:
    folder = drop(home, "mercy_hospital", n=12, salt="gx")
    package = Package(path=folder, partner_id="mercy_hospital", submission_id=folder.name)
    con = duckdb.connect()
    stage_tables(con, package)
    assert not package.findings
    return con


def test_cached_project_recovers_when_another_process_rebuilt_it(tmp_path: Path) -> None:
    """A long-lived process whose cached suites went stale reopens the project and validates."""
    home = make_home(tmp_path / "home")
    con = _staged_persons(home)
    stale = open_project(home.quality)
    # Another process (other code) rewrote the stored spec suite and its fingerprint.
    gx = import_gx()
    other = gx.get_context(mode="file", project_root_dir=str(home.quality))
    suite = other.suites.get(SUITES[PERSONS][0])
    suite.expectations = suite.expectations[:1]
    suite.save()
    (home.quality / FINGERPRINT_FILE).write_text(json.dumps({"fingerprint": "1" * 64}))

    outcomes = validate_frame(
        stale,
        PERSONS,
        _frame(con, PERSONS),
        run_name="stale-cache",
        as_of=date(2026, 11, 26),
        parameters=drift_parameters(History({}, 0), PERSONS),
    )
    # Every rule of this code ran (not the other process's one-expectation suite), and passed.
    assert len(outcomes) == len(RULES[PERSONS]) + 1 + len(DRIFT_COLUMNS[PERSONS])
    assert all(o.success for o in outcomes), [o.rule_id for o in outcomes if not o.success]
    assert _stored(home.quality) == suites_fingerprint()
    assert open_project(home.quality) is not stale


def test_spec_results_are_pass_fail_and_drift_results_counts_only(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    con = _staged_persons(home)
    outcomes = validate_frame(
        open_project(home.quality),
        PERSONS,
        _frame(con, PERSONS),
        run_name="formats",
        as_of=date(2026, 11, 26),
        parameters=drift_parameters(History({}, 0), PERSONS),
    )
    spec = [o for o in outcomes if o.check != "drift"]
    drift = [o for o in outcomes if o.check == "drift"]
    assert spec and all(o.success and o.unexpected_count is None for o in spec)
    volume = next(o for o in drift if o.rule_id.endswith("::volume"))
    assert volume.observed == 12
    assert all(o.observed is not None for o in drift)


OPEN_IN_CHILD = """
import json, sys
from pathlib import Path
from quality.gx_suites import open_project
print(json.dumps({"rebuilt": open_project(Path(sys.argv[1])).rebuilt}))
"""


@pytest.mark.slow
def test_two_processes_opening_a_new_project_build_it_once(tmp_path: Path) -> None:
    quality = tmp_path / "quality"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_IN_CHILD, str(quality)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=600) for child in children]
    assert [child.returncode for child in children] == [0, 0], [err for _, err in outputs]
    rebuilt = sorted(json.loads(out.strip().splitlines()[-1])["rebuilt"] for out, _ in outputs)
    assert rebuilt == [False, True]
    assert _stored(quality) == suites_fingerprint()


IMPORT_IN_CHILD = """
import json, sys
from quality.gx_suites import import_gx
gx = import_gx()
from great_expectations.compatibility import pyspark as gx_spark, sqlalchemy as gx_sa
hidden = not bool(gx_spark.pyspark) and not bool(gx_sa.sqlalchemy)
import pyspark, sqlalchemy  # still importable: the Spark backend, Dagster's storage
print(json.dumps({"hidden": hidden, "pyspark": pyspark.__version__,
                  "sqlalchemy": sqlalchemy.__version__,
                  "context": type(gx.get_context(mode="ephemeral")).__name__}))
"""


@pytest.mark.slow
def test_gx_import_skips_optional_extras_and_leaves_them_importable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_IN_CHILD],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["hidden"] is True
    assert seen["pyspark"] and seen["sqlalchemy"]
    assert seen["context"] == "EphemeralDataContext"
