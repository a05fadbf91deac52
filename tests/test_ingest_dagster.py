"""The ingest wiring in Dagster: a real materialization per partition and the landing sensor."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from typer.testing import CliRunner

from carehub.cli import app
from pipelines.defs.ingest.assets import gx_data_docs, submission
from pipelines.defs.ingest.partitions import submissions_partitions
from pipelines.defs.ingest.sensors import landing_sensor
from pipelines.resources import HubResource
from quality.findings import CHECKS
from tests.ingest_support import SMUGGLED_NAME, drop, drop_smuggled_name, make_home


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_materialize_good_and_bad_partitions(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    good = drop(home, "mercy_hospital")
    bad = drop(
        home,
        "harbor_housing",
        mutate=lambda p, e: e[1].update(category="not_a_category"),
    )
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(submissions_partitions.name or "", [good.name, bad.name])
    resources = {"hub": HubResource(home=str(home.root))}

    ok = dg.materialize(
        [submission], partition_key=good.name, instance=instance, resources=resources
    )
    assert ok.success
    assert [e.asset_key.to_user_string() for e in ok.get_asset_materialization_events()] == [
        "submission"
    ]  # an ingested package is Missing in the quarantine asset
    meta = ok.asset_materializations_for_node("submission")[0].metadata
    assert meta["outcome"].value == "ingested" and meta["persons_rows"].value == 30
    checks = _checks(ok)
    assert set(checks) == {c.name for c in CHECKS}
    assert all(e.passed for e in checks.values())

    rejected = dg.materialize(
        [submission],
        partition_key=bad.name,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    # Quarantine is an outcome, not a crash: the run succeeds, nothing is loaded, the
    # quarantine asset's partition and an observation carry the reason and the failed check is
    # kept for this partition only.
    assert rejected.success
    (held,) = [e.materialization for e in rejected.get_asset_materialization_events()]
    assert held.asset_key == dg.AssetKey("quarantine") and held.partition == bad.name
    assert held.metadata["outcome"].value == "quarantined"
    assert str(held.metadata["reason"].value).startswith("payload_domains: events.parquet")
    observed = [
        e.asset_observation_data.asset_observation
        for e in rejected.all_events
        if e.event_type_value == dg.DagsterEventType.ASSET_OBSERVATION.value
    ]
    assert [o.partition for o in observed] == [bad.name]
    meta = observed[0].metadata
    assert meta["outcome"].value == "quarantined"
    assert str(meta["reason"].value).startswith("payload_domains: events.parquet")
    assert meta["failed_checks"].value == "payload_domains"
    checks = _checks(rejected)
    assert {e.partition for e in checks.values()} == {bad.name}
    failed = {name for name, e in checks.items() if not e.passed}
    assert failed == {"payload_domains"}
    assert checks["payload_domains"].severity == dg.AssetCheckSeverity.ERROR
    assert checks["payload_domains"].metadata["reason"] == meta["reason"]
    details = str(checks["payload_domains"].metadata["details"].value)
    assert "events.parquet, column event_type, category, row 2" in details
    assert "not_a_category" not in details
    assert (home.quarantine / "harbor_housing" / bad.name / "reason.txt").exists()
    run = instance.get_run_by_id(rejected.run_id)
    assert run is not None and run.tags["carehub/outcome"] == "quarantined"
    # The good partition's check results stand: the bad run did not replace them.
    good_key = dg.AssetCheckKey(dg.AssetKey("submission"), "payload_domains")
    latest = instance.event_log_storage.get_asset_check_execution_history(good_key, limit=10)
    by_partition = {r.partition: r.status for r in latest}
    assert by_partition[good.name].value == "SUCCEEDED"
    assert by_partition[bad.name].value == "FAILED"

    docs = dg.materialize([gx_data_docs], instance=instance, resources=resources)
    index = home.quality / "data_docs" / "index.html"
    assert docs.success and index.exists()
    html = "".join(p.read_text() for p in index.parent.rglob("*.html"))
    assert bad.name in html and "not_a_category" not in html


def test_checks_that_never_ran_have_no_result(tmp_path: Path) -> None:
    """A package stopped at the schema gate: later checks did not run and report nothing."""
    home = make_home(tmp_path / "home")
    bad = drop_smuggled_name(home, "mercy_hospital")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(submissions_partitions.name or "", [bad.name])
    result = dg.materialize(
        [submission],
        partition_key=bad.name,
        instance=instance,
        resources={"hub": HubResource(home=str(home.root))},
    )
    assert result.success
    checks = _checks(result)
    assert not checks["schema_and_types"].passed
    assert "drift" not in checks and "payload_domains" not in checks
    assert set(checks) < {c.name for c in CHECKS}


def test_landing_sensor_adds_partitions_and_requests_runs(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    first = drop(home, "mercy_hospital")
    second = drop(home, "northside_food")
    writing = drop(home, "harbor_housing")
    (writing / "manifest.json").rename(writing / "manifest.json.tmp")
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(
        instance=instance, resources={"hub": HubResource(home=str(home.root))}
    )
    result = landing_sensor(context)
    assert isinstance(result, dg.SensorResult)
    requested = sorted(r.partition_key or "" for r in result.run_requests or [])
    assert requested == sorted([first.name, second.name])  # the one being written waits
    added = result.dynamic_partitions_requests or []
    assert len(added) == 1 and sorted(added[0].partition_keys or []) == requested
    assert all(r.run_key and r.tags["carehub/partner"] for r in result.run_requests or [])

    (writing / "manifest.json.tmp").rename(writing / "manifest.json")
    instance.add_dynamic_partitions(submissions_partitions.name or "", requested)
    again = landing_sensor(context)
    assert isinstance(again, dg.SensorResult)
    keys = sorted(r.partition_key or "" for r in again.run_requests or [])
    assert writing.name in keys
    new = again.dynamic_partitions_requests or []
    assert [list(r.partition_keys or []) for r in new] == [[writing.name]]


def test_carehub_run_prints_the_quarantine_reason(tmp_path: Path) -> None:
    """`carehub run landing` on a bad package: a decided run with its reason, verbatim, not a
    list of "non-blocking" failed checks."""
    home = make_home(tmp_path / "home")
    drop_smuggled_name(home, "mercy_hospital", n=10)
    result = CliRunner().invoke(app, ["run", "landing", "--home", str(home.root)])
    assert result.exit_code == 0, result.output
    assert "succeeded (quarantined)" in result.output
    assert "  reason: schema_and_types: persons.parquet, column first_name: " in result.output
    assert "non-blocking" not in result.output and "failed checks" not in result.output
    assert SMUGGLED_NAME not in result.output
