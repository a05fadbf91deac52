"""The ``carehub`` console script.

Each command lives in its own module under ``carehub/commands`` (or ``partner/cli.py`` for the
partner client) and keeps heavy imports (Dagster, Great Expectations, Splink) inside the
command body, so ``carehub --help`` and the partner client start fast.
"""

from __future__ import annotations

import typer

from carehub.commands import audit, demo, marts, status, synth, ui
from carehub.commands import hub as hub_command
from carehub.commands import run as run_command
from partner.cli import app as partner_app

app = typer.Typer(
    name="carehub",
    help="Privacy-preserving data hub for an ecosystem of care.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("synth")(synth.synth)
app.command("demo")(demo.demo)
app.command("status")(status.status)
app.command("marts")(marts.marts)
app.command("ui")(ui.ui)
app.command("run")(run_command.run)
app.add_typer(audit.app, name="audit")
app.add_typer(hub_command.app, name="hub")
app.add_typer(partner_app, name="partner")
