"""The ``carehub`` console script.

Each command lives in its own module under ``carehub/commands`` (or ``partner/cli.py`` for the
partner client) and keeps heavy imports (Dagster, Great Expectations, Splink) inside the
command body, so ``carehub --help`` and the partner client start fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from carehub.commands import audit, demo, governance, marts, status, synth, ui
from carehub.commands import hub as hub_command
from carehub.commands import run as run_command
from kernel import clock
from partner.cli import app as partner_app

app = typer.Typer(
    name="carehub",
    help="Privacy-preserving data hub for an ecosystem of care.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _read_moment(value: str | None) -> str | None:
    if value is not None:
        try:
            clock.parse_moment(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


@app.callback()
def main(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            envvar="CAREHUB_NOW",
            callback=_read_moment,
            help=(
                "Replay: run this command as if the clock read this moment (2026-11-20 or "
                "2026-11-20T09:30:00Z); the clock then runs on from there. Default: the real "
                "clock. Also read from CAREHUB_NOW."
            ),
        ),
    ] = None,
) -> None:
    """Privacy-preserving data hub for an ecosystem of care."""
    # Only the CLI turns the environment into a time; libraries just ask kernel.clock.
    clock.start_at(clock.parse_moment(at) if at else None)
    # In-process callers (tests, the demo) must not inherit a replayed clock afterwards.
    ctx.call_on_close(lambda: clock.start_at(None))


app.command("synth")(synth.synth)
app.command("demo")(demo.demo)
app.command("status")(status.status)
app.add_typer(marts.app, name="marts")
app.command("ui")(ui.ui)
app.command("run")(run_command.run)
app.add_typer(audit.app, name="audit")
app.add_typer(hub_command.app, name="hub")
app.add_typer(governance.app, name="governance")
app.add_typer(partner_app, name="partner")
