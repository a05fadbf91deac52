"""``carehub demo``: the whole flow on a synthetic region, with a printed summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def demo(
    residents: Annotated[int, typer.Option(help="Residents of the synthetic region.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic region.")] = 7,
    home: Annotated[
        Path, typer.Option(help="The hub's home directory (wiped and rebuilt).")
    ] = Path(".carehub"),
    partners: Annotated[
        Path,
        typer.Option(help="Partner-side folders: raw exports, secrets, crosswalks, extracts."),
    ] = Path(".partners"),
    key_seed: Annotated[
        int | None,
        typer.Option(
            help="Draw the shared secret and pseudonym keys from this seed, so that runs with "
            "the same --seed give the same persons bit for bit (fresh keys by default, as real "
            "partners draw them: persons can then differ by a few). Demo only."
        ),
    ] = None,
) -> None:
    """Run the whole flow: synth, partner encoding, landing, the hub pipeline, extracts."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from rich.console import Console

    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from carehub.demo import Demo
    from carehub.demo_summary import print_summary

    console = Console()
    result = Demo(
        residents=residents,
        seed=seed,
        home=home,
        partners=partners,
        console=console,
        key_seed=key_seed,
    ).run()
    print_summary(result, console)
    if result.privacy_hits:
        raise typer.Exit(1)
