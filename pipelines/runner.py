"""Run the code location's jobs in this process, against the hub's persistent Dagster instance.

``carehub demo``, ``carehub run`` and the recovery tests use this instead of a daemon. Runs are
recorded in ``<home>/dagster`` (the ``DAGSTER_HOME`` of ``carehub ui``), so they show in the UI
with their logs, materializations and check results, exactly like scheduled runs.

    from pipelines.runner import run_job, process_landing
    runs = process_landing(home)                    # landing sensor once: one ingest run each
    result = run_job(home, "nightly_job")           # linkage -> segments -> marts
    result.success, result.failures, result.failed_checks

The definitions are built with the home's resources passed in (``definitions(home)``); nothing
here changes ``os.environ``. What stays here is what Dagster's own daemon cannot do for a
command-line call:

* **Run now, in this process, and return the outcome.** The daemon evaluates sensors on its own
  interval (30 s at the least) and launches runs through the queued run coordinator into other
  processes; ``carehub run landing`` must ingest what is there, wait, and print per-package
  outcomes and exit codes, with no daemon running (a cron job or a steward's shell).
* **Landing runs one at a time across processes** (``flock``): two stewards or a cron and a hand
  would otherwise race for the same packages; the daemon serialises only its own ticks.
* **Reap runs whose process died** (``kill -9``, power cut). The daemon's run monitoring watches
  only runs it launched through a run launcher; an in-process run would stay "started" forever.
* **Follow a finished run with its run-status sensor** (``follow_runs``): no daemon saw it.

A failed run is announced like a scheduled one (steward log line + notification hook) by the
same code as the run-failure sensor, and tagged so that the sensor does not announce it again.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg

from kernel.home import HubHome
from pipelines.dagster_home import ensure_dagster_home
from pipelines.defs.ops.failures import (
    NOTIFIED_TAG,
    StepFailure,
    failed_checks,
    failure_notice,
    step_failures,
)
from pipelines.notify import notify
from pipelines.resources import HubResource
from pipelines.tags import HIDDEN

RUNNER_TAG = f"{HIDDEN}launched_by"
PID_TAG = f"{HIDDEN}pid"
HOST_TAG = f"{HIDDEN}host"
_CURSOR_KEY = "carehub/runner/sensor_cursor/{}"


@dataclass(frozen=True)
class JobRun:
    """The outcome of one run.

    Attributes:
        job: Job name.
        run_id: Dagster run id (open it in ``carehub ui``).
        success: Whether every step succeeded.
        partition_key: The partition run, if any.
        failures: Failed steps with one-line errors.
        failed_checks: ``asset:check`` names of failed asset checks (blocking or not).
        materialized: User strings of the asset keys materialized.
        seconds: Wall-clock duration.
        tags: The run's tags.
        metadata: Per asset, the metadata of its materialization (or, when it was only
            observed, e.g. a quarantined submission, of its observation) as plain values.
    """

    job: str
    run_id: str
    success: bool
    partition_key: str | None = None
    failures: tuple[StepFailure, ...] = ()
    failed_checks: tuple[str, ...] = ()
    materialized: tuple[str, ...] = ()
    seconds: float = 0.0
    tags: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def outcome(self) -> str | None:
        """The ``outcome`` an asset of the run recorded (ingest: ``ingested``, ``quarantined``,
        ``duplicate``), else None. A quarantine is a successful run with this outcome."""
        for values in self.metadata.values():
            if "outcome" in values:
                return str(values["outcome"])
        return None

    @property
    def reason(self) -> str | None:
        """The one-line ``reason`` of a quarantine (or duplicate), as `carehub status` shows it,
        else None."""
        for values in self.metadata.values():
            if values.get("reason"):
                return str(values["reason"])
        return None


@cache
def _definitions(root: Path | None) -> dg.Definitions:
    # Building the definitions imports every defs module (seconds): only once a run needs them.
    from pipelines.definitions import build_definitions, defs

    if root is None:
        return defs()
    return build_definitions({"hub": HubResource(home=str(root))})


def definitions(home: HubHome | None = None) -> dg.Definitions:
    """The code location's definitions, with the ``hub`` resource of ``home`` (loaded once per
    home and process); without a home, the deploy-time ones (``CAREHUB_HOME``)."""
    return _definitions(home.root if home is not None else None)


@contextmanager
def hub_instance(home: str | Path | HubHome) -> Iterator[dg.DagsterInstance]:
    """The persistent Dagster instance in ``<home>/dagster`` (created on first use)."""
    hub = home if isinstance(home, HubHome) else HubHome.resolve(home)
    ensure_dagster_home(hub)
    # Opening a new home creates Dagster's SQLite schemas; two processes doing it at the
    # same moment collide ("table ... already exists"), so opening is serialised.
    with (hub.dagster_home / ".instance.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = dg.DagsterInstance.from_config(str(hub.dagster_home))
    with instance:
        yield instance


def run_job(
    home: str | Path | HubHome,
    job_name: str,
    *,
    partition_key: str | None = None,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    asset_selection: list[dg.AssetKey] | None = None,
    retries: bool = True,
    console_log_level: str = "WARNING",
    instance: dg.DagsterInstance | None = None,
) -> JobRun:
    """Execute ``job_name`` in this process and record it in the hub's Dagster instance.

    Args:
        home: The hub home.
        job_name: A job of the code location, e.g. ``ingest_job``, ``nightly_job``.
        partition_key: For partitioned jobs (``ingest_job``: the submission id). A key missing
            from a dynamic partitions definition is added first.
        run_config: Run config, e.g. ``{"ops": {"partner_extracts": {"config": {...}}}}``.
        tags: Extra run tags.
        asset_selection: Run only these assets of the job.
        retries: Honour the jobs' retry policies (off: fail at the first error).
        console_log_level: Level of Dagster's console log in this process.
        instance: An open instance to use (default: the hub's, opened and closed here).

    Returns:
        The run's outcome. A failed run does not raise; it is announced on the steward log.

    Raises:
        dagster.DagsterInvalidConfigError: ``run_config`` does not fit the job.
        KeyError: no job named ``job_name``.
    """
    hub = home if isinstance(home, HubHome) else HubHome.resolve(home)
    if instance is None:
        with hub_instance(hub) as own:
            return run_job(
                hub,
                job_name,
                partition_key=partition_key,
                run_config=run_config,
                tags=tags,
                asset_selection=asset_selection,
                retries=retries,
                console_log_level=console_log_level,
                instance=own,
            )
    job = _job(hub, job_name)
    config = dict(run_config or {})
    config.setdefault(
        "execution",
        {"config": {"retries": {"enabled": {}} if retries else {"disabled": {}}}},
    )
    # The full event log goes to the instance (and the UI); the terminal gets warnings only.
    config.setdefault("loggers", {"console": {"config": {"log_level": console_log_level}}})
    if partition_key is not None:
        _ensure_partition(instance, job, partition_key)
    reap_interrupted_runs(hub, instance)
    run_tags = {
        RUNNER_TAG: "carehub",
        NOTIFIED_TAG: "runner",
        PID_TAG: str(os.getpid()),
        HOST_TAG: socket.gethostname(),
        **(tags or {}),
    }
    started = time.monotonic()
    result = job.execute_in_process(
        run_config=config,
        instance=instance,
        partition_key=partition_key,
        raise_on_error=False,
        tags=run_tags,
        asset_selection=asset_selection,
    )
    events = list(result.all_events)
    outcome = JobRun(
        job=job_name,
        run_id=result.run_id,
        success=result.success,
        partition_key=partition_key,
        failures=tuple(step_failures(events)),
        failed_checks=tuple(failed_checks(events)),
        materialized=tuple(
            event.asset_key.to_user_string()
            for event in events
            if event.is_step_materialization and event.asset_key is not None
        ),
        seconds=time.monotonic() - started,
        tags=run_tags,
        metadata=_materialization_metadata(events),
    )
    if not outcome.success:
        notify(
            hub,
            failure_notice(
                hub,
                job=job_name,
                run_id=outcome.run_id,
                failures=outcome.failures,
                checks=outcome.failed_checks,
                run_error="see the run's log",
            ),
        )
    return outcome


def _materialization_metadata(
    events: list[dg.DagsterEvent],
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.asset_key is None:
            continue
        if event.is_step_materialization:
            recorded = event.step_materialization_data.materialization.metadata
        elif event.event_type_value == dg.DagsterEventType.ASSET_OBSERVATION.value:
            if event.asset_key.to_user_string() in found:
                continue  # a materialization's metadata wins over an observation's
            recorded = event.asset_observation_data.asset_observation.metadata
        else:
            continue
        found[event.asset_key.to_user_string()] = {
            name: getattr(value, "value", value) for name, value in recorded.items()
        }
    return found


def reap_interrupted_runs(home: HubHome, instance: dg.DagsterInstance) -> list[str]:
    """Mark runs of this runner whose process died (``kill -9``, power cut) as failed, and say so.

    Such runs stay "started" in Dagster forever otherwise. Only runs launched by this runner on
    this host, whose process no longer exists, are touched.

    Returns:
        The run ids marked failed.
    """
    reaped = []
    in_flight = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags={RUNNER_TAG: "carehub", HOST_TAG: socket.gethostname()},
        )
    )
    for run in in_flight:
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or _alive(int(pid)):
            continue
        message = (
            f"the process running this job (pid {pid}) ended without finishing it (killed or "
            "crashed); marked failed by the next carehub run"
        )
        instance.report_run_failed(run, message=message)
        events = [
            entry.dagster_event
            for entry in instance.all_logs(run.run_id)
            if entry.dagster_event is not None
        ]
        started = [
            e.step_key
            for e in events
            if e.event_type_value == dg.DagsterEventType.STEP_START.value and e.step_key
        ]
        done = {
            e.step_key
            for e in events
            if e.event_type_value
            in (dg.DagsterEventType.STEP_SUCCESS.value, dg.DagsterEventType.STEP_FAILURE.value)
        }
        interrupted = [StepFailure(step, "process killed") for step in started if step not in done]
        notify(
            home,
            failure_notice(
                home,
                job=run.job_name,
                run_id=run.run_id,
                failures=interrupted,
                run_error="process killed before the run finished",
            ),
        )
        reaped.append(run.run_id)
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_landing(
    home: str | Path | HubHome,
    *,
    sensor_name: str = "landing_sensor",
    console_log_level: str = "WARNING",
    waiting: Callable[[], None] | None = None,
    on_run: Callable[[JobRun, int, int], None] | None = None,
) -> list[JobRun]:
    """Evaluate the landing sensor once and run what it requests, one run at a time.

    New partitions it requests are added to the instance first; its cursor is kept in the
    instance between calls. A failed run does not stop the others (other partners' batches must
    keep flowing).

    Args:
        home: The hub home.
        sensor_name: The sensor to evaluate.
        console_log_level: Level of Dagster's console log for the runs (the run's own event
            log, seen in the UI, keeps everything).
        waiting: Called once if another landing run holds the lock (to say so).
        on_run: Called after each run with ``(run, number, of)`` (progress for a console).

    Returns:
        One :class:`JobRun` per run request, in the sensor's order; empty when there was
        nothing to do.

    Two landing runs at once (two stewards, a cron and a hand) would race for the same
    packages: the second waits for the first (an exclusive ``flock``), then evaluates the
    sensor afresh and finds only what is still left, usually nothing.
    """
    hub = home if isinstance(home, HubHome) else HubHome.resolve(home)
    ensure_dagster_home(hub)
    with (hub.dagster_home / ".landing.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(lock, fcntl.LOCK_EX)
        return evaluate_sensor(hub, sensor_name, console_log_level=console_log_level, on_run=on_run)


def evaluate_sensor(
    home: str | Path | HubHome,
    sensor_name: str,
    *,
    console_log_level: str = "WARNING",
    on_run: Callable[[JobRun, int, int], None] | None = None,
) -> list[JobRun]:
    """Evaluate sensor ``sensor_name`` once and execute its run requests in this process."""
    hub = home if isinstance(home, HubHome) else HubHome.resolve(home)
    defs = definitions(hub)
    sensor = defs.resolve_sensor_def(sensor_name)
    runs: list[JobRun] = []
    with hub_instance(hub) as instance:
        key = _CURSOR_KEY.format(sensor_name)
        cursor = instance.run_storage.get_cursor_values({key}).get(key)
        with dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            sensor_name=sensor_name,
            repository_def=defs.get_repository_def(),
            resources={"hub": HubResource(home=str(hub.root))},
        ) as context:
            # Call the sensor's function directly: evaluate_tick would validate partitioned
            # run requests before the partitions requested in the same tick exist.
            requests, partition_requests, new_cursor = _sensor_output(sensor(context), context)
        for request in partition_requests:
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(
                    request.partitions_def_name, list(request.partition_keys)
                )
            elif isinstance(request, dg.DeleteDynamicPartitionsRequest):
                for partition in request.partition_keys:
                    instance.delete_dynamic_partition(request.partitions_def_name, partition)
        if new_cursor is not None and new_cursor != cursor:
            instance.run_storage.set_cursor_values({key: new_cursor})
        for request in requests:
            job_name = request.job_name or _sensor_job_name(sensor)
            runs.append(
                run_job(
                    hub,
                    job_name,
                    partition_key=request.partition_key,
                    run_config=request.run_config,
                    tags={**request.tags, "dagster/sensor_name": sensor_name},
                    asset_selection=list(request.asset_selection)
                    if request.asset_selection
                    else None,
                    console_log_level=console_log_level,
                    instance=instance,
                )
            )
            if on_run is not None:
                on_run(runs[-1], len(runs), len(requests))
    return runs


def follow_runs(
    home: str | Path | HubHome,
    runs: list[JobRun],
    sensor_name: str = "alerts_sensor",
    *,
    console_log_level: str = "WARNING",
) -> list[JobRun]:
    """Evaluate the run-status sensor ``sensor_name`` for each of ``runs`` (finished in this
    process, so no daemon saw them) and execute what it requests.

    ``carehub run landing`` and the demo call it with the ingest runs: an events package is
    alerted on seconds after it is ingested, as the daemon's ``alerts_sensor`` would do.
    """
    hub = home if isinstance(home, HubHome) else HubHome.resolve(home)
    defs = definitions(hub)
    sensor = defs.resolve_sensor_def(sensor_name)
    followed: list[JobRun] = []
    with hub_instance(hub) as instance:
        for done in runs:
            run = instance.get_run_by_id(done.run_id)
            logs = instance.all_logs(done.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)
            if run is None or not logs or logs[-1].dagster_event is None:
                continue
            context = dg.build_run_status_sensor_context(
                sensor_name=sensor_name,
                dagster_event=logs[-1].dagster_event,
                dagster_instance=instance,
                dagster_run=run,
                resources={"hub": HubResource(home=str(hub.root))},
                repository_def=defs.get_repository_def(),
            )
            output = sensor(context)
            requests = [output] if isinstance(output, dg.RunRequest) else []
            for request in requests:
                if request.run_key and instance.get_runs(
                    filters=dg.RunsFilter(tags={"dagster/run_key": request.run_key}), limit=1
                ):
                    continue  # already run for this package (as the daemon dedupes run keys)
                followed.append(
                    run_job(
                        hub,
                        request.job_name or _sensor_job_name(sensor),
                        tags={
                            **request.tags,
                            "dagster/sensor_name": sensor_name,
                            **({"dagster/run_key": request.run_key} if request.run_key else {}),
                        },
                        console_log_level=console_log_level,
                        instance=instance,
                    )
                )
    return followed


def _sensor_output(
    output: object, context: dg.SensorEvaluationContext
) -> tuple[list[dg.RunRequest], list[object], str | None]:
    """Run requests, dynamic-partition requests and cursor from a sensor function's return."""
    if isinstance(output, dg.SensorResult):
        return (
            list(output.run_requests or []),
            list(output.dynamic_partitions_requests or []),
            output.cursor if output.cursor is not None else context.cursor,
        )
    if output is None or isinstance(output, dg.SkipReason):
        return [], [], context.cursor
    if isinstance(output, dg.RunRequest):
        return [output], [], context.cursor
    items = list(output)  # type: ignore[call-overload]
    return [r for r in items if isinstance(r, dg.RunRequest)], [], context.cursor


def _sensor_job_name(sensor: dg.SensorDefinition) -> str:
    try:
        name = sensor.job_name
    except Exception:  # several targets: the request must name its job
        name = None
    if not name:
        raise ValueError(
            f"sensor {sensor.name} targets several jobs (or none); its run requests must name "
            "job_name"
        )
    return name


def _job(home: HubHome, job_name: str) -> dg.JobDefinition:
    defs = definitions(home)
    try:
        return defs.resolve_job_def(job_name)
    except Exception as exc:
        names = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__"))
        raise KeyError(f"no job named {job_name!r}; jobs: {', '.join(names)}") from exc


def _ensure_partition(
    instance: dg.DagsterInstance, job: dg.JobDefinition, partition_key: str
) -> None:
    partitions = job.partitions_def
    if (
        isinstance(partitions, dg.DynamicPartitionsDefinition)
        and partitions.name
        and not instance.has_dynamic_partition(partitions.name, partition_key)
    ):
        instance.add_dynamic_partitions(partitions.name, [partition_key])
