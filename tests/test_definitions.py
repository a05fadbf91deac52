"""The code location loads, and every asset is fit for the stewards' UI.

These tests walk the whole asset graph, so they catch any part's omission: a missing description,
owner or kind, a group outside the seven stages, a job or schedule that does not resolve.
"""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.runner import definitions

GROUPS = {"ingest", "linkage", "quality", "segments", "marts", "extracts", "reports", "alerts"}
OPS_JOBS = {"nightly_job", "report_job", "extracts_job", "retention_job"}
OPS_SCHEDULES = {
    "nightly_schedule",
    "quarterly_report_schedule",
    "daily_extracts_schedule",
    "weekly_extracts_schedule",
    "monthly_extracts_schedule",
    "retention_schedule",
}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return definitions()


def _nodes(defs: dg.Definitions) -> list[tuple[str, object]]:
    graph = defs.resolve_asset_graph()
    return [(key.to_user_string(), graph.get(key)) for key in sorted(graph.get_all_asset_keys())]


def test_definitions_load_and_validate(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_asset_graph().get_all_asset_keys()


def test_every_asset_has_description_owner_kinds_and_a_stage_group(defs: dg.Definitions) -> None:
    problems = []
    for name, node in _nodes(defs):
        if getattr(node, "is_external", False) and not getattr(node, "is_executable", True):
            continue
        if not (node.description or "").strip():  # type: ignore[attr-defined]
            problems.append(f"{name}: no description")
        if not node.owners:  # type: ignore[attr-defined]
            problems.append(f"{name}: no owners")
        if not node.kinds:  # type: ignore[attr-defined]
            problems.append(f"{name}: no kinds")
        if node.group_name not in GROUPS:  # type: ignore[attr-defined]
            problems.append(f"{name}: group {node.group_name!r} is not a stage")  # type: ignore[attr-defined]
    assert problems == []


def test_every_asset_check_is_described(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    missing = sorted(
        key.to_user_string()
        for key in graph.asset_check_keys
        if not (graph.get_check_spec(key).description or "").strip()
    )
    assert missing == []


def test_ops_jobs_schedules_and_sensors_resolve(defs: dg.Definitions) -> None:
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert jobs >= OPS_JOBS
    schedules = {s.name: s for s in defs.schedules or []}  # type: ignore[union-attr]
    assert set(schedules) >= OPS_SCHEDULES
    for schedule in schedules.values():
        assert schedule.description, schedule.name
        assert schedule.execution_timezone == "UTC", schedule.name
    sensors = {s.name for s in defs.sensors or []}  # type: ignore[union-attr]
    assert sensors >= {"landing_sensor", "steward_failure_sensor", "freshness_checks_sensor"}


def test_graph_covers_every_stage(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    assert {node.group_name for node in graph.asset_nodes if node.is_executable} == GROUPS


def test_outputs_have_freshness_checks(defs: dg.Definitions) -> None:
    checks = {key.to_user_string() for key in defs.resolve_asset_graph().asset_check_keys}
    for asset in ("linked_persons", "analyst_marts", "partner_extracts", "ecosystem_report"):
        assert f"{asset}:freshness_check" in checks


@pytest.mark.parametrize(
    ("job", "groups"),
    [
        ("nightly_job", {"linkage", "segments", "marts", "quality"}),
        ("report_job", {"reports"}),
        ("extracts_job", {"extracts"}),
        ("retention_job", {"quality"}),
    ],
)
def test_jobs_select_their_stages(defs: dg.Definitions, job: str, groups: set[str]) -> None:
    graph = defs.resolve_asset_graph()
    keys = defs.resolve_job_def(job).asset_layer.selected_asset_keys
    assert keys, job
    assert {graph.get(key).group_name for key in keys} <= groups


def test_nightly_job_retries_transient_failures(defs: dg.Definitions) -> None:
    for name in ("nightly_job", "report_job", "extracts_job"):
        policy = defs.resolve_job_def(name).op_retry_policy
        assert policy is not None, name
        assert policy.max_retries == 2, name
