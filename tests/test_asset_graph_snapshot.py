"""Snapshot of the asset graph: keys, groups, kinds, owners, deps, checks, jobs, schedules, sensors.

A change to the graph that stewards see (a renamed asset, a check that stops blocking, a schedule
moved) must be deliberate: regenerate the snapshot and review its diff with the change::

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_asset_graph_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.runner import definitions

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def graph_snapshot(defs: dg.Definitions) -> dict[str, Any]:
    """A stable, JSON-able description of what the stewards see in the UI."""
    graph = defs.resolve_asset_graph()
    assets: dict[str, Any] = {}
    for node in sorted(graph.asset_nodes, key=lambda n: n.key.to_user_string()):
        if not node.is_executable:
            continue
        partitions = node.partitions_def
        assets[node.key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": sorted(node.owners),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitions": (
                f"{type(partitions).__name__}:{getattr(partitions, 'name', '') or ''}"
                if partitions
                else None
            ),
            "checks": {
                key.name: {"blocking": bool(graph.get_check_spec(key).blocking)}
                for key in sorted(node.check_keys, key=lambda k: k.name)
            },
        }
    jobs = {
        job.name: sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys)
        for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name)
        if not job.name.startswith("__")
    }
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "job": s.job_name,
            "timezone": s.execution_timezone,
            "default_status": s.default_status.value,
        }
        for s in sorted(defs.schedules or [], key=lambda s: s.name)  # type: ignore[union-attr]
    }
    sensors = {
        s.name: {
            "type": s.sensor_type.value,
            "jobs": sorted(t.job_name for t in s.targets) if s.has_jobs else [],
            "default_status": s.default_status.value,
        }
        for s in sorted(defs.sensors or [], key=lambda s: s.name)  # type: ignore[union-attr]
    }
    return {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def test_asset_graph_matches_snapshot() -> None:
    current = json.dumps(graph_snapshot(definitions()), indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(current)
    expected = SNAPSHOT.read_text()
    if current != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "snapshot",
                "current",
            )
        )
        raise AssertionError(
            "the asset graph changed; if intended, run UPDATE_SNAPSHOTS=1 .venv/bin/pytest "
            f"tests/test_asset_graph_snapshot.py and commit the snapshot:\n{diff}"
        )
