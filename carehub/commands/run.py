"""``carehub run``: run a job of the hub now, in this process, recorded for ``carehub ui``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from kernel.home import HubHome
from pipelines.dagster_home import ensure_dagster_home

LANDING = "landing"


def run(
    job: Annotated[
        str,
        typer.Argument(
            help="A job (nightly_job, report_job, extracts_job, retention_job, ingest_job, "
            "alerts_job), or 'landing' to ingest every complete package waiting in landing/ "
            "(and alert on the events packages among them)."
        ),
    ],
    home: Annotated[
        str | None,
        typer.Option(help="Hub home directory (default: $CAREHUB_HOME, else ./.carehub)."),
    ] = None,
    partition: Annotated[
        str | None, typer.Option(help="Partition key (ingest_job: the submission id).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="Run config file (YAML or JSON), as in the Dagster launchpad."),
    ] = None,
    retries: Annotated[
        bool, typer.Option(help="Apply the jobs' retry policies to failing steps.")
    ] = True,
) -> None:
    """Run a hub job now; the run shows in `carehub ui` like a scheduled one."""
    hub = ensure_dagster_home(HubHome.resolve(home))
    run_config = None
    if config is not None:
        try:
            run_config = yaml.safe_load(config.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise typer.BadParameter(f"{config}: cannot read run config ({exc})") from exc
        if not isinstance(run_config, dict):
            raise typer.BadParameter(f"{config}: run config must be a mapping")
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from pipelines.runner import follow_runs, process_landing, run_job

    if job == LANDING:
        runs = process_landing(
            hub,
            waiting=lambda: typer.echo(
                "landing: another landing run is in progress; waiting for it to finish",
                err=True,
            ),
        )
        # Events packages are alerted on now, as the daemon's alerts_sensor would do.
        runs += follow_runs(hub, [r for r in runs if r.success])
        if not runs:
            typer.echo("landing: nothing new to ingest")
    else:
        try:
            runs = [
                run_job(hub, job, partition_key=partition, run_config=run_config, retries=retries)
            ]
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from exc
    for outcome in runs:
        state = "succeeded" if outcome.success else "FAILED"
        if outcome.success and outcome.outcome:
            state += f" ({outcome.outcome})"  # a quarantine is a decision, not a failure
        where = f" [{outcome.partition_key}]" if outcome.partition_key else ""
        typer.echo(
            f"{outcome.job}{where}: {state} in {outcome.seconds:.1f}s (run {outcome.run_id[:8]}); "
            f"materialized {len(outcome.materialized)} asset(s)"
        )
        for failure in outcome.failures:
            typer.echo(f"  step {failure.step}: {failure.error}", err=True)
        if outcome.success and outcome.reason:
            # A decided package: its reason names the check that stopped it (the check is not
            # Dagster-blocking, so the list below would call it "non-blocking").
            typer.echo(f"  reason: {outcome.reason}")
        elif outcome.failed_checks:
            typer.echo("  failed checks: " + json.dumps(list(outcome.failed_checks)), err=True)
    if any(not outcome.success for outcome in runs):
        typer.echo(f"details: {hub.logs / 'carehub.log'} and `carehub ui`", err=True)
        raise typer.Exit(1)
