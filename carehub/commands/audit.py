"""``carehub audit ...``: the disclosure audit log."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The hub's append-only, hash-chained disclosure audit log.", no_args_is_help=True
)
