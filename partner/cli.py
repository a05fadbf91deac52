"""``carehub partner ...``: the partner client. Needs neither Dagster nor Great Expectations."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

# Extracts and alerts alike: the partners' governance keys pinned at the table.
GovernanceKeys = Annotated[
    Path | None,
    typer.Option(
        "--governance-keys",
        help="JSON file mapping each partner to the list of its signing public keys, as you "
        "pinned them at the governance table: only approvals by those keys count.",
    ),
]

app = typer.Typer(help="Partner-side tools: encode, keygen, open extracts.", no_args_is_help=True)


def _report_table(report: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Encoding report (counts only)", show_lines=False)
    reasons = sorted({r for counts in report["fields"].values() for r in counts if r != "valid"})
    table.add_column("field")
    table.add_column("valid", justify="right")
    for reason in reasons:
        table.add_column(reason, justify="right")
    for fld, counts in report["fields"].items():
        table.add_row(fld, str(counts.get("valid", "")), *(str(counts.get(r, "")) for r in reasons))
    return table


def _report_lines(report: dict[str, Any]) -> str:
    events = report.get("events", {})
    dropped: dict[str, int] = {}
    for counts in events.get("files", {}).values():
        for key, n in counts.items():
            if key != "rows" and n:
                dropped[key] = dropped.get(key, 0) + n
    if events.get("dropped_unknown_record"):
        dropped["dropped_unknown_record"] = events["dropped_unknown_record"]
    notes = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())) or "none"
    harbor = report.get("safe_harbor", {})
    consent = report.get("consent", {})
    return (
        f"events kept {events.get('rows', 0)}; event issues: {notes}\n"
        f"not consented {consent.get('not_consented', 0)}, Part 2 consent "
        f"{consent.get('part2_consented', 0)}; ages 90+ top-coded {harbor.get('age_90_plus', 0)}, "
        f"ZIP3 -> 000 {harbor.get('zip3_000', 0)}"
    )


@app.command("encode")
def encode(
    partner: Annotated[str, typer.Option("--partner", help="Partner id, e.g. mercy_hospital.")],
    secret: Annotated[Path, typer.Option("--secret", help="Shared secret file (mode 0600).")],
    mapping: Annotated[Path, typer.Option("--mapping", help="The partner's YAML mapping.")],
    input_path: Annotated[
        Path, typer.Option("--input", help="Folder of the mapped raw files, or one CSV/Parquet.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Parent folder of the package.")],
    supersedes: Annotated[
        str | None, typer.Option("--supersedes", help="Submission id this package replaces.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Reference date YYYY-MM-DD (default: today).")
    ] = None,
    partner_key: Annotated[
        Path | None,
        typer.Option("--partner-key", help="Pseudonym key (default: next to the secret)."),
    ] = None,
    crosswalk: Annotated[
        Path | None,
        typer.Option("--crosswalk", help="Local crosswalk CSV (default: next to the secret)."),
    ] = None,
    report_json: Annotated[
        Path | None, typer.Option("--report", help="Also write the encoding report here.")
    ] = None,
    signing_key: Annotated[
        Path | None,
        typer.Option(
            "--signing-key",
            help="Ed25519 package-signing key (default: next to the pseudonym key).",
        ),
    ] = None,
    ecosystem: Annotated[
        Path | None,
        typer.Option(
            "--ecosystem",
            help="The ecosystem file the steward handed out with the shared secret (spec 2.2: "
            "the phone token's width); default <secret>.ecosystem.json next to the secret.",
        ),
    ] = None,
    events_only: Annotated[
        bool,
        typer.Option(
            "--events",
            help="Write an events package (new events for real-time care alerts: the persons "
            "they are about and 1 to 10,000 events; docs/alerts.md).",
        ),
    ] = False,
) -> None:
    """Encode a raw export into a submission package (manifest.json written last)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # Loaded when the command runs: `carehub partner --help` stays quick.
    from partner.encode import EncodeError, encode_partner

    console = Console(stderr=True)
    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        console.print("[red]--as-of must be a date YYYY-MM-DD[/red]")
        raise typer.Exit(2) from None
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(f"{partner}: starting", total=None)
        try:
            result = encode_partner(
                partner,
                secret,
                mapping,
                input_path,
                out,
                as_of=when,
                supersedes=supersedes,
                partner_key_path=partner_key,
                crosswalk_path=crosswalk,
                signing_key_path=signing_key,
                ecosystem_file=ecosystem,
                progress=lambda msg: progress.update(task, description=f"{partner}: {msg}"),
                kind="events" if events_only else "full",
            )
        except EncodeError as exc:
            progress.stop()
            console.print(f"[red]refused:[/red] {exc}")
            console.print("nothing was written")
            raise typer.Exit(1) from None
    out_console = Console()
    out_console.print(_report_table(result.report))
    out_console.print(_report_lines(result.report))
    out_console.print(
        f"[green]package[/green] {result.package}\n"
        f"submission {result.submission_id}: {result.persons_rows} persons, "
        f"{result.events_rows} events; key fingerprint {result.key_fingerprint[:16]}...\n"
        f"crosswalk (keep it here, never send it) {result.crosswalk}"
    )
    if report_json:
        report_json.write_text(json.dumps(result.report, indent=2) + "\n")


@app.command("keygen")
def keygen_cmd(
    partner: Annotated[str, typer.Option("--partner", help="Partner id.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the key files.")],
    shared_secret: Annotated[
        Path | None,
        typer.Option(
            "--shared-secret",
            help="Shared secret file: created (0600) if missing, else its fingerprint is shown.",
        ),
    ] = None,
    ecosystem_persons: Annotated[
        int | None,
        typer.Option(
            "--ecosystem-persons",
            help="With --shared-secret: the number of persons you expect over all partners "
            "(spec 2.2: the phone token keeps floor(log2(N)) bits). Written next to the "
            "secret as <secret>.ecosystem.json, to hand out with it; needed when that file "
            "does not exist yet.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing extract and signing key.")
    ] = False,
) -> None:
    """Create the X25519 extract key pair, the pseudonym key and (optionally) a shared secret
    with its ecosystem file."""
    from rich.console import Console

    # Loaded when the command runs: `carehub partner --help` stays quick.
    from encoding.keys import SecretError
    from partner.ecosystem import EcosystemError, ecosystem_path
    from partner.keygen import keygen

    console = Console(soft_wrap=True)
    if (
        shared_secret is not None
        and ecosystem_persons is None
        and not ecosystem_path(shared_secret).exists()
    ):
        # The steward announces the size with the secret: never a silent default.
        console.print(
            f"[red]refused:[/red] {ecosystem_path(shared_secret)} does not exist: pass "
            "--ecosystem-persons N (the persons you expect over all partners) to announce the "
            "ecosystem size with the shared secret, or copy the ecosystem file the steward "
            "handed out next to the secret. Nothing was written"
        )
        raise typer.Exit(1)
    try:
        result = keygen(
            out,
            partner,
            shared_secret=shared_secret,
            ecosystem_persons=ecosystem_persons,
            force=force,
        )
    except (FileExistsError, SecretError, EcosystemError) as exc:
        console.print(f"[red]refused:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(f"private extract key (keep, 0600): {result.private_key}")
    console.print(f"public extract key PEM: {result.public_key_pem}")
    console.print(f"public extract key for the hub registry (base64): {result.public_key_b64}")
    console.print(f"pseudonym key (keep, 0600, never share): {result.pseudonym_key}")
    console.print(f"package signing key (keep, 0600): {result.signing_key}")
    console.print(
        "signing public key for the hub registry (base64, "
        f"`register-partner --signing-key`): {result.signing_public_key_b64}"
    )
    if result.shared_secret:
        console.print(f"shared secret (0600, share out of band only): {result.shared_secret}")
        console.print(f"key fingerprint for the hub registry: {result.key_fingerprint}")
    if result.ecosystem_file and result.ecosystem:
        from contract.spec import shown_widths

        widths = shown_widths(result.ecosystem.token_bits)
        console.print(
            f"ecosystem file (hand out with the secret; not secret): {result.ecosystem_file} "
            f"({result.ecosystem.persons:,} persons: {widths}; the hub may record "
            f"ecosystem_persons: {result.ecosystem.persons} in config/governance.yaml)"
        )


@app.command("open")
def open_cmd(
    extract: Annotated[Path, typer.Option("--extract", help="The .extract.json from the hub.")],
    key: Annotated[
        list[Path],
        typer.Option(
            "--key",
            help="Your X25519 private extract key; repeat to also try keys you rotated away from.",
        ),
    ],
    crosswalk: Annotated[Path, typer.Option("--crosswalk", help="Your local crosswalk CSV.")],
    out: Annotated[Path, typer.Option("--out", help="CSV to write for the care team.")],
    hub_keys: Annotated[
        Path,
        typer.Option("--hub-keys", help="The hub's published hub_public_keys.json."),
    ] = Path("hub_public_keys.json"),
    ledger: Annotated[
        Path | None,
        typer.Option("--ledger", help="Ledger of opened extracts (default: next to the key)."),
    ] = None,
    trust_kid: Annotated[
        str | None,
        typer.Option(
            "--trust-kid",
            help="The hub key id you pinned at onboarding: the signing key must chain to it.",
        ),
    ] = None,
    governance_keys: GovernanceKeys = None,
) -> None:
    """Verify, decrypt and map back a hub extract; write a CSV of your own clients.

    The extract must carry a quorum of partners' signed approvals of the governance version
    it was built under; they are checked here (refused as ``governance_unapproved``).
    """
    from rich.console import Console

    # Loaded when the command runs: `carehub partner --help` stays quick.
    from partner.open import OpenError, open_extract

    console = Console()
    try:
        result = open_extract(
            extract,
            key,
            crosswalk,
            out,
            hub_keys,
            ledger=ledger,
            trusted_kid=trust_kid,
            trusted_signers=governance_keys,
        )
    except OpenError as exc:
        console.print(f"[red]refused ({exc.code}):[/red] {exc}")
        console.print("nothing was written")
        raise typer.Exit(1) from None
    console.print(
        f"[green]opened[/green] {result.extract_id} for {result.recipient} "
        f"(signed by hub key {result.hub_kid}, expires {result.expires_at:%Y-%m-%d})"
    )
    console.print(f"purpose: {result.purpose}")
    console.print(
        f"governance {result.governance_version}, approved by "
        f"{', '.join(result.governance_approved_by)} (signatures checked here)"
    )
    for segment, size in sorted(result.cohort_sizes.items()):
        console.print(f"  {segment:<40} {size:>6} of your clients")
    console.print(f"{result.rows} row(s) written to {result.out}")


@app.command("inbox")
def inbox_cmd(
    inbox: Annotated[
        Path,
        typer.Option("--inbox", help="Folder of .alert.json files (outbox/<you>/alerts)."),
    ],
    key: Annotated[
        list[Path],
        typer.Option("--key", help="Your X25519 private extract key; repeat for rotated keys."),
    ],
    crosswalk: Annotated[Path, typer.Option("--crosswalk", help="Your local crosswalk CSV.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for alerts.csv and fhir/<alert>.json.")
    ],
    hub_keys: Annotated[
        Path | None,
        typer.Option("--hub-keys", help="hub_public_keys.json (default: next to the inbox)."),
    ] = None,
    formats: Annotated[
        list[str], typer.Option("--format", help="csv and/or fhir (repeat; default both).")
    ] = ["csv", "fhir"],  # noqa: B006 - typer needs a list default
    ledger: Annotated[
        Path | None,
        typer.Option("--ledger", help="Ledger of opened alerts (default: next to the key)."),
    ] = None,
    trust_kid: Annotated[
        str | None,
        typer.Option("--trust-kid", help="The hub key id you pinned: signing keys chain to it."),
    ] = None,
    governance_keys: GovernanceKeys = None,
    watch_: Annotated[
        bool, typer.Option("--watch", help="Keep polling the inbox until interrupted.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --watch.")] = 5.0,
) -> None:
    """Verify, decrypt and map care alerts to your own record ids; write CSV and FHIR.

    Each alert must carry a quorum of partners' signed approvals of the governance (and so of
    the subscription) it was sent under; an alert without them is refused.
    """
    from rich.console import Console

    # Loaded when the command runs: `carehub partner --help` stays quick.
    from partner.inbox import InboxResult, read_inbox, watch
    from partner.open import OpenError

    console = Console()

    def once() -> InboxResult:
        return read_inbox(
            inbox,
            key,
            crosswalk,
            out,
            hub_keys=hub_keys,
            ledger=ledger,
            formats=formats,
            trusted_kid=trust_kid,
            trusted_signers=governance_keys,
        )

    def report(result: InboxResult) -> None:
        for alert in result.opened:
            console.print(
                f"[green]opened[/green] {alert.alert_id}: {alert.items} alert(s) for your "
                f"clients" + (f" ({alert.repeated} seen before)" if alert.repeated else "")
            )
        for _path, exc in result.failed:
            console.print(f"[red]refused ({exc.code}):[/red] {exc}")

    try:
        if watch_:
            console.print(f"watching {inbox} every {interval:g} s (Ctrl-C to stop)")
            total = watch(once, interval=interval, report=report)
            console.print(f"{total} alert(s) written to {out}")
            return
        result = once()
    except OpenError as exc:
        console.print(f"[red]refused ({exc.code}):[/red] {exc}")
        raise typer.Exit(1) from None
    report(result)
    console.print(
        f"{result.items} alert(s) written to {out}; {result.skipped} file(s) opened before"
    )
    if result.failed:
        raise typer.Exit(1)


@app.command("submit")
def submit_cmd(
    package: Annotated[Path, typer.Option("--package", help="Package folder from `encode`.")],
    landing: Annotated[
        Path, typer.Option("--landing", help="Your landing folder at the hub (landing/<partner>).")
    ],
) -> None:
    """Deliver a package to the hub's landing folder, manifest last."""
    from rich.console import Console

    # Loaded when the command runs: `carehub partner --help` stays quick.
    from partner.submit import SubmitError, submit

    try:
        target = submit(package, landing)
    except SubmitError as exc:
        Console(stderr=True).print(f"[red]not submitted:[/red] {exc}")
        raise typer.Exit(1) from None
    Console().print(f"submitted to {target}")


@app.command("audit-head")
def audit_head_cmd(
    ledger: Annotated[
        Path, typer.Option("--ledger", help="Your opened_extracts.jsonl (next to your key).")
    ],
) -> None:
    """Print the latest hub audit head your extracts showed (kept outside the hub).

    Give it to the hub's stewards or auditor: `carehub audit verify --expect-head HASH` proves
    the log was not cut back since. `carehub partner open` also refuses an extract whose head
    is behind it (`audit_rewound`).
    """
    # Loaded when the command runs: `carehub partner --help` stays quick.
    from partner.open import last_audit_anchor

    anchor = last_audit_anchor(ledger)
    if anchor is None:
        typer.echo(f"{ledger}: no extract with an audit head opened yet")
        raise typer.Exit(1)
    typer.echo(f"audit head seen: entry {anchor['seq']}, hash {anchor['hash']}")


governance_app = typer.Typer(
    help="Review and approve governance proposals (what the hub may do takes your signature).",
    no_args_is_help=True,
)
app.add_typer(governance_app, name="governance")


def _review(proposal_file: Path) -> dict[str, Any]:
    """Print a proposal in words, recomputed here from its texts; return it."""
    from rich.console import Console

    # Loaded when the command runs: `carehub partner --help` stays quick.
    from governance.approvals import tally
    from governance.proposals import ProposalError, in_words, read_proposal

    console = Console(soft_wrap=True)
    try:
        proposal = read_proposal(proposal_file)
    except ProposalError as exc:
        console.print(f"[red]refused:[/red] {exc}")
        raise typer.Exit(1) from None
    verdict = tally(proposal, [])
    console.print(f"[bold]{proposal['title']}[/bold]  ({proposal['proposal_id']})")
    console.print(f"proposed by {proposal['proposed_by']} at {proposal['created_at']}")
    console.print(f"open until {proposal['expires_at']}; kind: {verdict.kind.kind}")
    console.print("What changes (worked out on your machine from the two texts):")
    for line in in_words(proposal):
        console.print(f"  - {line}")
    console.print(
        f"It takes effect with {verdict.required} approval(s): {verdict.rule} of "
        f"{', '.join(verdict.voters)}."
    )
    return proposal


@governance_app.command("review")
def governance_review(
    proposal: Annotated[Path, typer.Option("--proposal", help="The proposal.json from the hub.")],
) -> None:
    """Show a governance proposal in plain words (nothing is signed)."""
    _review(proposal)


@governance_app.command("approve")
def governance_approve(
    proposal: Annotated[Path, typer.Option("--proposal", help="The proposal.json from the hub.")],
    partner: Annotated[str, typer.Option("--partner", help="Your partner id.")],
    signing_key: Annotated[
        Path, typer.Option("--signing-key", help="Your Ed25519 signing key (from keygen).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the approval (a file or a folder).")
    ],
    new_signing_key: Annotated[
        Path | None,
        typer.Option("--new-signing-key", help="Key rotation only: your NEW signing key."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Sign without asking.")] = False,
) -> None:
    """Show the change in words, then sign your approval for the hub to record."""
    # Loaded when the command runs: `carehub partner --help` stays quick.
    from encoding.keys import SecretError
    from governance.approvals import sign_approval
    from kernel import clock
    from partner.keygen import read_signing_key

    document = _review(proposal)
    if not yes and not typer.confirm(f"Approve this change as {partner}?", default=False):
        typer.echo("not signed")
        raise typer.Exit(1)
    try:
        key = read_signing_key(signing_key)
        new_key = read_signing_key(new_signing_key) if new_signing_key else None
    except SecretError as exc:
        typer.echo(f"refused: cannot read the signing key ({exc})", err=True)
        raise typer.Exit(1) from None
    approval = sign_approval(document, partner, key, now=clock.now(), new_key=new_key)
    target = out / f"{document['proposal_id']}.{partner}.approval.json" if out.is_dir() else out
    target.write_text(json.dumps(approval, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(f"approval signed: {target} (send it to the hub)")
