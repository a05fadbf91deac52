"""Issue 17 #4: a steward's config error stops the run and is shown; it never quarantines.

A one-letter typo in one partner's sector used to quarantine every partner's good package as
"the partner is not registered". Now the file, the key and the fix are named by the ingest (as a
GovernanceError), the landing sensor (a skip reason, no run), the Dagster run (a failure without
retries) and `carehub status`; every package stays in landing and loads once the file is fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from carehub.cli import app
from kernel.db import connection
from kernel.home import HubHome
from pipelines.defs.ingest.assets import submission
from pipelines.defs.ingest.partitions import submissions_partitions
from pipelines.defs.ingest.sensors import landing_sensor
from pipelines.resources import HubResource
from tests.ingest_support import drop, make_home, staging_counts
from warehouse.governance import GovernanceError, governance_path
from warehouse.ingest import ingest_landing


def _typo(text: str) -> str:
    return text.replace("sector: cbo_food", "sector: cbo_fod", 1)


def _bad_yaml(text: str) -> str:
    return text.replace("partners:", "partners: [", 1)


def _unknown_key(text: str) -> str:
    return text.replace("retention:", "retention:\n  landing_dayz: 3", 1)


def _missing(text: str) -> None:
    return None


CASES: list[tuple[str, Callable[[str], str | None], str]] = [
    ("sector typo", _typo, r"partners\.northside_food\.sector: unknown sector; use one of"),
    ("broken yaml", _bad_yaml, r"governance\.yaml: line \d+, column \d+: not valid YAML"),
    ("unknown key", _unknown_key, r"retention\.landing_dayz: unknown key; check its spelling"),
    ("missing file", _missing, r"no governance configuration; create it with `carehub hub init`"),
]


@pytest.mark.parametrize(("name", "edit", "message"), CASES, ids=[c[0] for c in CASES])
def test_config_error_stops_ingest_and_quarantines_nothing(
    tmp_path: Path, name: str, edit: Callable[[str], str | None], message: str
) -> None:
    home = make_home(tmp_path / "home")
    packages = [drop(home, pid) for pid in ("mercy_hospital", "northside_food")]
    path = governance_path(home)
    good_text = path.read_text()
    changed = edit(good_text)
    if changed is None:
        path.unlink()
    else:
        path.write_text(changed)

    with connection(home.hub_db) as con, pytest.raises(GovernanceError, match=message):
        ingest_landing(home, con)
    assert all(p.is_dir() for p in packages)  # still in landing, nothing quarantined
    assert not home.quarantine.exists() or not any(home.quarantine.rglob("*"))

    # The landing sensor starts no run and says why.
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"hub": HubResource(home=str(home.root))},
    )
    result = landing_sensor(context)
    assert isinstance(result, dg.SensorResult) and not result.run_requests
    assert "configuration error" in str(result.skip_reason)

    # `carehub status` shows the error with the file and key.
    shown = CliRunner().invoke(app, ["status", "--home", str(home.root)])
    assert "CONFIGURATION ERROR" in shown.output
    assert "governance.yaml" in shown.output.replace("\n", "")

    # Fixed: every package loads, none was held against its partner.
    path.write_text(good_text)
    with connection(home.hub_db) as con:
        outcomes = {r.submission_id: r.outcome for r in ingest_landing(home, con)}
        assert set(outcomes.values()) == {"ingested"}
        assert staging_counts(con, "northside_food")[0] == 1


def test_a_dagster_run_fails_without_retry_on_a_config_error(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    package = drop(home, "mercy_hospital")
    path = governance_path(home)
    path.write_text(_typo(path.read_text()))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(submissions_partitions.name or "", [package.name])
    result = dg.materialize(
        [submission],
        partition_key=package.name,
        instance=instance,
        resources={"hub": HubResource(home=str(home.root))},
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    text = str(failure.step_failure_data.error)
    assert "a configuration error: the stewards', not a partner's" in text
    assert "partners.northside_food.sector" in text
    assert package.is_dir()


def test_status_says_the_configuration_loads(tmp_path: Path) -> None:
    home: HubHome = make_home(tmp_path / "home")
    shown = CliRunner().invoke(app, ["status", "--home", str(home.root)])
    assert shown.exit_code == 0, shown.output
    assert "CONFIGURATION ERROR" not in shown.output and "Configuration:" in shown.output
