"""``carehub audit ...``: the disclosure audit log."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kernel.home import HubHome

app = typer.Typer(
    help="The hub's append-only, hash-chained disclosure audit log.", no_args_is_help=True
)

HomeOption = Annotated[
    str | None,
    typer.Option(help="Hub home directory (default: $CAREHUB_HOME, else ./.carehub)."),
]


@app.command("verify")
def verify(
    home: HomeOption = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="A head hash recorded elsewhere earlier (e.g. in the governance minutes); the "
            "log must still contain it."
        ),
    ] = None,
) -> None:
    """Check every entry, the hash chain and the recorded head; exit 1 on any problem.

    Also checks governance: every approved version on file, and each partner approval of it,
    is in the log, and the approvals verify against the quorum of the version before.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import audit, governance_flow

    hub = HubHome.resolve(home)
    result = audit.verify(hub, expect_head=expect_head)
    governance = governance_flow.audit_problems(hub, audit.entries(hub)) if result.ok else []
    if governance:
        for problem in governance:
            typer.echo(f"FAIL governance: {problem}", err=True)
        typer.echo("audit log intact, but the governance record does not verify", err=True)
        raise typer.Exit(1)
    if not result.ok:
        for problem in result.problems:
            typer.echo(f"FAIL {problem}", err=True)
        typer.echo(
            f"audit log NOT intact: {result.entries} entries verified before the first problem",
            err=True,
        )
        raise typer.Exit(1)
    versions = len(governance_flow.version_dirs(hub))
    typer.echo(f"audit log intact: {result.entries} entries, head {result.head}")
    if versions:
        typer.echo(
            f"governance: {versions} approved version(s), every approval logged and verified"
        )


@app.command("show")
def show(
    home: HomeOption = None,
    partner: Annotated[str | None, typer.Option(help="Only entries about this partner.")] = None,
    action: Annotated[
        str | None,
        typer.Option(help="Only this action (extract_built, alert_written, deletion, ...)."),
    ] = None,
    last: Annotated[int, typer.Option(help="Show at most the last N matching entries.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List audit entries (who received what, under which governance version, and when)."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import audit

    hub = HubHome.resolve(home)
    result = audit.verify(hub)
    if not result.ok:
        typer.echo("warning: the audit log does not verify; run `carehub audit verify`", err=True)
    entries = [
        e
        for e in audit.entries(hub)
        if (partner is None or e.details.get("partner") == partner)
        and (action is None or e.action == action)
    ][-last:]
    if not entries:
        typer.echo("no matching audit entries")
        return
    for entry in entries:
        if as_json:
            typer.echo(json.dumps(entry.__dict__, sort_keys=True))
        else:
            typer.echo(
                f"#{entry.seq:<5} {entry.time[:19]}Z  {entry.action:<18} {_summary(entry.details)}"
            )


def _summary(details: dict[str, object]) -> str:
    parts = []
    for key in (
        "partner",
        "proposal_id",
        "extract_id",
        "alert_id",
        "requested",
        "records_purged",
        "old_kid",
        "new_kid",
    ):
        if key in details:
            parts.append(f"{key}={details[key]}")
    counts = details.get("counts")
    if isinstance(counts, dict):
        name = "alerts" if "alerts" in counts else "records"
        parts.append(f"{name}={counts.get(name)}")
        by_segment = counts.get("by_segment")
        if isinstance(by_segment, dict):
            parts.append("segments=" + ",".join(f"{k}:{v}" for k, v in by_segment.items()))
    if "governance_version" in details:
        parts.append(f"governance={details['governance_version']}")
    if "purpose" in details:
        parts.append(f'purpose="{details["purpose"]}"')
    return " ".join(parts)
