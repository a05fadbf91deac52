"""``carehub partner ...``: the partner client. Needs neither Dagster nor Great Expectations."""

from __future__ import annotations

import typer

app = typer.Typer(help="Partner-side tools: encode, keygen, open extracts.", no_args_is_help=True)
