"""``carehub governance ...``: changes to governance.yaml take effect only with a quorum.

``propose`` records a proposal (the file as it stands, or a revocation / key rotation made
for you) and prints the ``proposal.json`` to hand to every partner; partners run
``carehub partner governance review|approve`` and send back their signed approval;
``status --add`` files approvals; ``apply`` puts an approved proposal in force and refuses
without a quorum. ``pack`` writes the quarterly governance pack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kernel.home import HubHome

app = typer.Typer(
    help="Governance owned by the partners: propose a change, collect approvals, apply it "
    "(refused without a quorum), revoke a partner, rotate a key, write the quarterly pack.",
    no_args_is_help=True,
)

HomeOption = Annotated[
    str | None,
    typer.Option(help="Hub home directory (default: $CAREHUB_HOME, else ./.carehub)."),
]
ByOption = Annotated[str, typer.Option("--by", help="Who proposes (recorded and audited).")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _print_proposal(hub: HubHome, proposal: dict[str, Any]) -> None:
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from governance.proposals import in_words
    from warehouse import governance_flow as flow

    verdict = flow.status(hub, proposal["proposal_id"])
    typer.echo(f"proposal {proposal['proposal_id']}: {proposal['title']}")
    typer.echo(f"  proposed by {proposal['proposed_by']} at {proposal['created_at']}")
    typer.echo(f"  expires {proposal['expires_at']}; kind {verdict.kind.kind}")
    typer.echo("  changes:")
    for line in in_words(proposal):
        typer.echo(f"    - {line}")
    typer.echo(f"  approvals: {verdict.summary()}")
    for refused in verdict.refused:
        typer.echo(f"    not counted: {refused}")
    typer.echo(
        f"  file for the partners: {flow.proposal_dir(hub, proposal['proposal_id'])}/proposal.json"
    )


@app.command("propose")
def propose(
    title: Annotated[str, typer.Option(help="What the change is for, in one line.")],
    home: HomeOption = None,
    by: ByOption = "steward",
    file: Annotated[
        Path | None,
        typer.Option(help="The proposed governance.yaml (default: config/governance.yaml)."),
    ] = None,
) -> None:
    """Propose a governance text; it takes effect only after a quorum approves it."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import governance_flow as flow
    from warehouse.governance import GovernanceError

    hub = HubHome.resolve(home)
    try:
        text = file.read_text(encoding="utf-8") if file else None
        proposal = flow.propose(hub, title=title, proposed_by=by, text=text)
    except (GovernanceError, OSError) as exc:
        raise _fail(str(exc)) from None
    _print_proposal(hub, proposal)
    typer.echo(
        "next: give proposal.json to every partner (`carehub partner governance review`), "
        "then `carehub governance status --add APPROVAL.json` and `carehub governance apply`"
    )


@app.command("show")
def show(
    home: HomeOption = None,
    proposal: Annotated[str | None, typer.Option(help="Proposal id (default: newest).")] = None,
) -> None:
    """Show a proposal: the change in words and its approvals."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import governance_flow as flow
    from warehouse.governance import GovernanceError

    hub = HubHome.resolve(home)
    try:
        on_record = [flow.load_proposal(hub, proposal)] if proposal else flow.proposals(hub)
    except GovernanceError as exc:
        raise _fail(str(exc)) from None
    if not on_record:
        raise _fail("no proposal on record; `carehub governance propose` makes one")
    _print_proposal(hub, on_record[-1])


@app.command("status")
def status(
    home: HomeOption = None,
    add: Annotated[
        list[Path] | None,
        typer.Option("--add", help="A partner's signed approval file to record (repeatable)."),
    ] = None,
) -> None:
    """The version in force, its approvals, and open proposals; --add files approvals."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import governance_flow as flow
    from warehouse.governance import GovernanceError

    hub = HubHome.resolve(home)
    for path in add or []:
        try:
            verdict = flow.record_approval(hub, path)
        except GovernanceError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"recorded {path.name}: {verdict.proposal_id} now {verdict.summary()}")
    try:
        in_force = flow.check_in_force(hub)
        meta = in_force.metadata()
        typer.echo(
            f"in force: version {meta['version']} (sha256 {meta['sha256'][:12]}), "
            f"{meta['kind']} {meta['proposal_id']}, approved by {', '.join(meta['approved_by'])} "
            f"({meta['required']} required of {len(meta['voters'])})"
        )
    except GovernanceError as exc:
        typer.echo(f"NOT APPROVED: {exc}")
    record = flow.in_force_record(hub)
    for proposal in flow.proposals(hub):
        if record and proposal["base_sha256"] != record["sha256"]:
            continue  # applied already, or made on top of an older version
        verdict = flow.status(hub, proposal["proposal_id"])
        typer.echo(
            f"open: {proposal['proposal_id']} {proposal['title']!r}, expires "
            f"{proposal['expires_at']}: {verdict.summary()}"
        )


@app.command("apply")
def apply(
    home: HomeOption = None,
    proposal: Annotated[str | None, typer.Option(help="Proposal id to put in force.")] = None,
    restore: Annotated[
        bool,
        typer.Option(help="Undo a hand edit: write the approved version back to the file."),
    ] = False,
) -> None:
    """Put an approved proposal in force (refused without a quorum), or --restore."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import governance_flow as flow
    from warehouse.governance import GovernanceError

    hub = HubHome.resolve(home)
    try:
        if restore:
            governance = flow.restore(hub)
            typer.echo(f"restored the approved version {governance.version_label}")
            return
        if proposal is None:
            raise GovernanceError("name the proposal: --proposal ID (`carehub governance status`)")
        in_force = flow.apply(hub, proposal)
    except GovernanceError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    meta = in_force.metadata()
    typer.echo(
        f"in force: version {meta['version']} (sha256 {meta['sha256'][:12]}), approved by "
        f"{', '.join(meta['approved_by'])}"
    )


@app.command("revoke")
def revoke(
    partner: Annotated[str, typer.Option(help="The partner to revoke at once.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the proposal and audit).")],
    home: HomeOption = None,
    by: ByOption = "steward",
) -> None:
    """Propose revoking a partner now; it needs only the emergency quorum."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import governance_flow as flow
    from warehouse.governance import GovernanceError

    hub = HubHome.resolve(home)
    try:
        proposal = flow.propose_revocation(hub, partner, reason=reason, proposed_by=by)
    except GovernanceError as exc:
        raise _fail(str(exc)) from None
    _print_proposal(hub, proposal)


@app.command("rotate-key")
def rotate_key(
    partner: Annotated[str, typer.Option(help="The partner whose signing key changes.")],
    signing_key: Annotated[
        str, typer.Option(help="The new signing public key (base64, or its .ed25519.pub file).")
    ],
    home: HomeOption = None,
    by: ByOption = "steward",
) -> None:
    """Propose a partner's new signing key; the partner approves with its old and new key."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import governance_flow as flow
    from warehouse.governance import GovernanceError

    hub = HubHome.resolve(home)
    value = Path(signing_key).read_text().strip() if Path(signing_key).is_file() else signing_key
    try:
        proposal = flow.propose_key_rotation(hub, partner, value, proposed_by=by)
    except GovernanceError as exc:
        raise _fail(str(exc)) from None
    _print_proposal(hub, proposal)
    typer.echo(
        f"next: {partner} runs `carehub partner governance approve ... --new-signing-key NEW`"
    )


@app.command("pack")
def pack(
    quarter: Annotated[str, typer.Option(help="The quarter, e.g. 2026Q4.")],
    home: HomeOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write (default: reports/governance/<quarter>).")
    ] = None,
) -> None:
    """Write the quarterly governance pack (HTML with charts, printable)."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.report.pack import GovernancePackError, build_pack

    hub = HubHome.resolve(home)
    try:
        result = build_pack(hub, quarter, out=out)
    except GovernancePackError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"governance pack {quarter}: {result}")
