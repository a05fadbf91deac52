"""The run-failure sensor: tell stewards, in plain words, what failed and what it means.

Every failed run of the code location becomes one line in ``logs/carehub.log`` and a call to the
notification hook (:mod:`pipelines.notify`): the job and run, the failing step(s), the failed asset
checks, and the reassurance stewards need first, namely which published outputs are unchanged
(the last good publication of each, from ``ops.publications``). Runs started in-process by
:mod:`pipelines.runner` notify on their own and carry :data:`NOTIFIED_TAG`, so they are not
announced twice when the daemon is also running.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg
import duckdb
from dagster_shared.error import SerializableErrorInfo

from kernel.db import connect
from kernel.home import HubHome
from pipelines.notify import Notice, notify
from pipelines.resources import HubResource
from pipelines.tags import HIDDEN
from warehouse.publish import last_publications

NOTIFIED_TAG = f"{HIDDEN}notified_by"
_MAX_ERROR_CHARS = 240
_BLOCKED = "DagsterAssetCheckFailedError"
NON_BLOCKING = " (non-blocking)"


@dataclass(frozen=True)
class StepFailure:
    """A failed step: its key and a one-line error (class and first line of the message)."""

    step: str
    error: str


def config_failure(home: HubHome, error: Exception) -> dg.Failure:
    """A configuration file failed to load: stop the run (no retry: retrying cannot help).

    It is the stewards' error, so the message says so and nothing is held against a partner:
    packages stay in landing and are ingested by the first run after the fix. ``carehub
    status`` shows the same error.
    """
    return dg.Failure(
        description=f"{error}\n(a configuration error: the stewards', not a partner's. Fix "
        f"the file in {home.config} and run again; packages wait in landing/ meanwhile)",
        allow_retries=False,
    )


def short_error(cls_name: str | None, message: str | None) -> str:
    """``Class: first line of message``, bounded in length (stack traces stay in the UI)."""
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    text = f"{cls_name}: {first}" if cls_name else first
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"


_WRAPPERS = {
    "RetryRequestedFromPolicy",
    "RetryRequested",
    "DagsterExecutionStepExecutionError",
    "DagsterUserCodeExecutionError",
}


def root_error(error: SerializableErrorInfo | None) -> str:
    """One line for the error that caused ``error``, looking through Dagster's wrappers."""
    if error is None:
        return "unknown error"
    chosen = error
    retried = error.cls_name == "RetryRequestedFromPolicy"
    current: SerializableErrorInfo | None = error
    while current is not None:
        chosen = current
        if current.cls_name not in _WRAPPERS:
            break
        current = current.cause or current.context
    text = short_error(chosen.cls_name, chosen.message)
    return f"{text} [after retries]" if retried else text


def step_failures(events: Iterable[dg.DagsterEvent]) -> list[StepFailure]:
    """The step failures among ``events``, in order."""
    found = []
    for event in events:
        if event.is_step_failure and event.step_key:
            found.append(StepFailure(event.step_key, root_error(event.step_failure_data.error)))
    return found


def failed_checks(events: Iterable[dg.DagsterEvent]) -> list[str]:
    """``asset:check`` names of the failed asset-check evaluations among ``events``.

    Failures that could not stop the run (non-blocking, or severity WARN) carry the suffix
    :data:`NON_BLOCKING`.
    """
    names = []
    for event in events:
        if event.event_type_value == dg.DagsterEventType.ASSET_CHECK_EVALUATION.value:
            data = event.asset_check_evaluation_data
            if not data.passed:
                stops = bool(data.blocking) and data.severity == dg.AssetCheckSeverity.ERROR
                suffix = "" if stops else NON_BLOCKING
                names.append(f"{data.asset_key.to_user_string()}:{data.check_name}{suffix}")
    return names


def last_good_publications(home: HubHome) -> list[str]:
    """``output version (published ...)`` for every output, or [] when unknown right now."""
    if not home.hub_db.exists():
        return []
    try:
        con = connect(home.hub_db, read_only=True, wait=5.0)
    except duckdb.Error:
        return []
    try:
        return [
            f"{pub.output} {pub.version} (published {pub.published_at:%Y-%m-%d %H:%M} UTC)"
            for pub in last_publications(con)
        ]
    except duckdb.Error:
        return []
    finally:
        con.close()


def failure_notice(
    home: HubHome,
    *,
    job: str,
    run_id: str,
    failures: Sequence[StepFailure],
    checks: Sequence[str] = (),
    run_error: str | None = None,
) -> Notice:
    """The steward-facing notice for a failed run."""
    parts = []
    blocked = bool(failures) and all(f.error.startswith(_BLOCKED) for f in failures)
    if blocked:
        stopping = [c for c in checks if not c.endswith(NON_BLOCKING)]
        warned = [c.removesuffix(NON_BLOCKING) for c in checks if c.endswith(NON_BLOCKING)]
        parts.append(
            "stopped by failed blocking checks: "
            + (", ".join(stopping[:10]) if stopping else "; ".join(f.step for f in failures))
            + "; the data did not flow on"
            + (f" (also warned: {', '.join(warned[:10])})" if warned else "")
        )
        checks = ()
    elif failures:
        parts.append(
            "; ".join(f"step {f.step} failed ({f.error})" for f in failures[:5])
            + (f"; and {len(failures) - 5} more step(s)" if len(failures) > 5 else "")
        )
    elif run_error:
        parts.append(f"the run failed before or between steps ({run_error})")
    if checks:
        parts.append("failed checks: " + ", ".join(checks[:10]))
    published = last_good_publications(home)
    if published:
        parts.append(
            "nothing half-published: analysts and partners still see the last good version of "
            "each output: " + ", ".join(published)
        )
    else:
        parts.append("nothing half-published: outputs are only ever swapped in whole")
    if blocked:
        parts.append(
            f"next: read the check results of run {run_id[:8]} in `carehub ui` (and "
            "quarantine/<partner>/<submission>/reason.txt for a quarantined submission); "
            "retrying will not help until the input is fixed"
        )
    else:
        parts.append(
            f"next: open run {run_id[:8]} in `carehub ui` (Runs) for the full log, fix the "
            f"cause, then re-execute from failure (or `carehub run {job}`)"
        )
    return Notice(
        level="error",
        subject=(
            f"Run blocked by checks: {job} (run {run_id[:8]})"
            if blocked
            else f"Run failed: {job} (run {run_id[:8]})"
        ),
        message=". ".join(parts) + ".",
        source="ops",
        run_id=run_id,
        job=job,
        details={"failed_steps": len(failures), "failed_checks": len(checks)},
    )


@dg.run_failure_sensor(
    name="steward_failure_sensor",
    description=(
        "Writes a steward-facing line to logs/carehub.log for every failed run (job, failing "
        "steps, failed checks, and the last good publication of each output) and calls the "
        "notification hook configured in config/notifications.yaml."
    ),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def steward_failure_sensor(context: dg.RunFailureSensorContext, hub: HubResource) -> None:
    run = context.dagster_run
    if run.tags.get(NOTIFIED_TAG):
        return
    events = [
        entry.dagster_event
        for entry in context.instance.all_logs(run.run_id)
        if entry.dagster_event is not None
    ]
    failure = context.failure_event
    notice = failure_notice(
        hub.paths,
        job=run.job_name,
        run_id=run.run_id,
        failures=step_failures(events),
        checks=failed_checks(events),
        run_error=short_error(None, failure.message) if failure else None,
    )
    notify(hub.paths, notice)
    context.log.info(notice.subject)
