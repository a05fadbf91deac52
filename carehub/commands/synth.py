"""``carehub synth``: write a synthetic region (partner exports + ground truth)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

_RATE = {"min": 0.0, "max": 1.0, "rich_help_panel": "Identifier error rates (defaults in docs)"}


def synth(
    residents: Annotated[int, typer.Option(min=1, help="Residents of the region.")] = 20_000,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed: same seed and options give identical files.")
    ] = 7,
    out: Annotated[
        Path,
        typer.Option(file_okay=False, help="Output folder (new, empty, or an earlier region)."),
    ] = Path("out/region"),
    profile: Annotated[
        str,
        typer.Option(help="Error profile: default, or hard (every real-registry error kind)."),
    ] = "default",
    config: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="YAML file overriding any setting of the profile."
        ),
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Export date; events fall in the 24 months before."
        ),
    ] = None,
    chunk_size: Annotated[
        int | None, typer.Option(min=1000, help="Residents per chunk (bounds memory).")
    ] = None,
    typo: Annotated[float | None, typer.Option(**_RATE, help="Keyboard error in a name.")] = None,
    nickname: Annotated[
        float | None, typer.Option(**_RATE, help="Nickname for first name.")
    ] = None,
    surname_change: Annotated[
        float | None, typer.Option(**_RATE, help="Adults with a married/hyphenated surname.")
    ] = None,
    name_swap: Annotated[float | None, typer.Option(**_RATE, help="First/last swapped.")] = None,
    dob_swap: Annotated[float | None, typer.Option(**_RATE, help="Day/month swapped.")] = None,
    dob_error: Annotated[float | None, typer.Option(**_RATE, help="Wrong date of birth.")] = None,
    move: Annotated[float | None, typer.Option(**_RATE, help="Residents who moved.")] = None,
    phone_change: Annotated[
        float | None, typer.Option(**_RATE, help="Residents with a second phone.")
    ] = None,
    duplicate: Annotated[
        float | None, typer.Option(**_RATE, help="Duplicate registration at one partner.")
    ] = None,
    twins: Annotated[float | None, typer.Option(**_RATE, help="Residents who are twins.")] = None,
    common_name: Annotated[
        float | None, typer.Option(**_RATE, help="Residents with a very common full name.")
    ] = None,
    placeholder: Annotated[
        float | None, typer.Option(**_RATE, help="Placeholder value (UNKNOWN, 1900-01-01...).")
    ] = None,
    rate: Annotated[
        list[str] | None,
        typer.Option(
            help="Any error rate as NAME=VALUE, e.g. --rate dob_typo=0.05 (repeatable).",
            rich_help_panel=_RATE["rich_help_panel"],
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Generate a synthetic region: five partners' raw exports plus the ground truth.

    Layout and every partner's columns are in docs/synthetic-data.md. The ground_truth/ folder
    is for scoring linkage only and is never an input to the hub.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from synth import generate, load_config, profile_config
    from synth.config import parse_rates

    console = Console(stderr=True)
    try:
        base = profile_config(profile)  # type: ignore[arg-type]  # checked inside
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--profile") from exc
    try:
        cfg = load_config(config, base) if config else base
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from exc
    rates = {
        name: value
        for name, value in {
            "typo": typo,
            "nickname": nickname,
            "surname_change": surname_change,
            "name_swap": name_swap,
            "dob_swap": dob_swap,
            "dob_error": dob_error,
            "move": move,
            "phone_change": phone_change,
            "duplicate": duplicate,
            "twins": twins,
            "common_name": common_name,
            "placeholder": placeholder,
        }.items()
        if value is not None
    }
    try:
        rates |= parse_rates(rate or [])
        cfg = cfg.with_error_rates(**rates)
    except (TypeError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--rate") from exc
    if as_of is not None:
        cfg = replace(cfg, as_of=as_of.date())
    if chunk_size is not None:
        cfg = replace(cfg, chunk_size=chunk_size)
    try:
        summary = generate(out, residents=residents, seed=seed, config=cfg, progress=not quiet)
    except (FileExistsError, OverflowError) as exc:
        console.print(f"[red]carehub synth:[/] {exc}")
        raise typer.Exit(2) from exc
    # soft_wrap: paths and lines print whole, never folded or cut at the terminal's width.
    out_console = Console(soft_wrap=True)
    for line in summary.lines():
        out_console.print(line, highlight=False)
    out_console.print(
        f"Partner exports: {out / 'partners'}\n"
        f"Ground truth (never a hub input): {out / 'ground_truth'}\n"
        f"Config and counts: {out / 'region.json'}",
        highlight=False,
    )
