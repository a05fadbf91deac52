"""``carehub hub ...``: hub administration (home, partner registry, signing keys, deletions)."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Annotated

import typer

from kernel.home import HubHome
from pipelines.dagster_home import ensure_dagster_home

app = typer.Typer(
    help="Hub administration: initialise the home, register partners, rotate the signing key, "
    "honour deletion requests.",
    no_args_is_help=True,
)

HomeOption = Annotated[
    str | None,
    typer.Option(help="Hub home directory (default: $CAREHUB_HOME, else ./.carehub)."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@app.command("init")
def init(home: HomeOption = None) -> None:
    """Create the hub home, its first Ed25519 signing key and governance.yaml (from the template).

    Idempotent: an existing key or governance file is kept.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import audit
    from warehouse.governance import TEMPLATE, governance_path, load_governance
    from warehouse.keys import ensure_signing_key, public_keys_path

    hub = ensure_dagster_home(HubHome.resolve(home))
    fresh_key = not public_keys_path(hub).exists()
    key = ensure_signing_key(hub)
    path = governance_path(hub)
    if not path.exists():
        path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    governance = load_governance(hub)
    if fresh_key:
        audit.append(
            hub,
            "hub_initialised",
            {"hub_kid": key.kid, "governance_version": governance.version_label},
        )
    typer.echo(f"hub home:        {hub.root}")
    typer.echo(f"signing key:     {key.kid} ({'created' if fresh_key else 'kept'})")
    typer.echo(f"published keys:  {public_keys_path(hub)}  (give this file to every partner)")
    typer.echo(f"governance:      {path} (version {governance.version_label})")
    typer.echo("next: carehub hub register-partner --partner ID --sector S --extract-key F ...")


def read_extract_public_key(value: str) -> str:
    """A partner's X25519 public key as base64 of its raw bytes, from a file or a literal.

    The file may hold base64 text, the 32 raw bytes, or a PEM ``PUBLIC KEY``.

    Raises:
        ValueError: not an X25519 public key (the message says what to pass).
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    path = Path(value)
    data = path.read_bytes() if path.is_file() else value.encode()
    if b"PRIVATE KEY" in data:
        raise ValueError(
            f"{value}: this is a PRIVATE key; the partner must keep it and send only the public key"
        )
    if b"PUBLIC KEY" in data:
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, X25519PublicKey):
            raise ValueError(f"{value}: a PEM public key, but not X25519")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    elif len(data) == 32 and path.is_file():
        raw = data
    else:
        try:
            raw = base64.b64decode(data.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                f"{value if path.is_file() else 'the --extract-key value'}: not base64, PEM or "
                "raw bytes of an X25519 public key; pass the file `carehub partner keygen` wrote"
            ) from None
    if len(raw) != 32:
        raise ValueError(f"the extract key has {len(raw)} bytes; an X25519 public key has 32")
    return base64.b64encode(raw).decode()


def read_signing_public_key(value: str) -> str:
    """A partner's Ed25519 package-signing public key (base64 of 32 raw bytes), from the
    ``.ed25519.pub`` file ``carehub partner keygen`` wrote, or the base64 text itself.

    Raises:
        ValueError: a private key, or not an Ed25519 public key (the message says what to pass).
    """
    # Imported on use: cryptography's Ed25519 costs CLI start-up time every command would pay.
    from kernel.signing import decode_public

    path = Path(value)
    text = path.read_text(errors="replace").strip() if path.is_file() else value.strip()
    if "PRIVATE KEY" in text:
        raise ValueError(
            f"{value}: this is a PRIVATE key; the partner must keep it and send only the "
            ".ed25519.pub file"
        )
    try:
        decode_public(text)
    except ValueError as exc:
        raise ValueError(f"--signing-key {exc}") from None
    return text


@app.command("register-partner")
def register_partner(
    partner: Annotated[str, typer.Option(help="Partner id, e.g. harbor_housing.")],
    extract_key: Annotated[
        str | None,
        typer.Option(help="The partner's X25519 extract public key: a file or base64 text."),
    ] = None,
    signing_key: Annotated[
        str | None,
        typer.Option(
            help="The partner's Ed25519 package-signing public key (the .ed25519.pub file "
            "keygen wrote, or its base64 text). With --rotate: added, and the partner's "
            "current signing keys expire after 7 days."
        ),
    ] = None,
    sector: Annotated[
        str | None,
        typer.Option(help="hospital, public_health, cbo_housing, cbo_food or cbo_social."),
    ] = None,
    fingerprint: Annotated[
        str | None,
        typer.Option(help="Expected key fingerprint of the partner's submissions (lower hex)."),
    ] = None,
    display_name: Annotated[str, typer.Option(help="Name shown to stewards.")] = "",
    agreement: Annotated[
        bool, typer.Option(help="Give a new partner the default agreement for its sector.")
    ] = True,
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="The partner is registered: replace its extract key (the old one is kept as "
            "retired; earlier extracts stay encrypted to it).",
        ),
    ] = False,
    home: HomeOption = None,
) -> None:
    """Register a partner (or rotate a registered partner's extract key with --rotate)."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from kernel.signing import decode_public, kid_of
    from warehouse import audit
    from warehouse.governance import (
        GovernanceError,
        PartnerRegistration,
        governance_path,
        key_id,
        load_governance,
        rotate_partner_extract_key,
        rotate_partner_signing_key,
        write_governance,
    )

    hub = HubHome.resolve(home)
    try:
        signing = read_signing_public_key(signing_key) if signing_key else None
        if rotate and signing:
            governance = rotate_partner_signing_key(hub, partner, signing)
            audit.append(
                hub,
                "partner_signing_key_rotated",
                {
                    "partner": partner,
                    "new_signing_kid": kid_of(decode_public(signing)),
                    "governance_version": governance.version_label,
                },
            )
            typer.echo(f"{partner}: signing key {kid_of(decode_public(signing))} added")
            if extract_key is None:
                return
        if extract_key is None:
            raise _fail("--extract-key is needed (or --signing-key with --rotate)")
        public = read_extract_public_key(extract_key)
        if rotate:
            before = load_governance(hub).partner(partner)
            governance = rotate_partner_extract_key(hub, partner, public)
            audit.append(
                hub,
                "partner_extract_key_rotated",
                {
                    "partner": partner,
                    "old_key_id": before.extract_key_id if before else None,
                    "new_key_id": key_id(public),
                    "governance_version": governance.version_label,
                },
            )
            typer.echo(f"{partner}: extract key rotated to {key_id(public)}")
            return
        if sector is None or fingerprint is None or signing is None:
            raise _fail(
                "--sector, --fingerprint and --signing-key are needed to register a partner"
            )
        current = load_governance(hub) if governance_path(hub).is_file() else None
        if current and current.partner(partner) is not None:
            raise _fail(
                f"{partner} is already registered; use --rotate to replace its extract key, or "
                f"edit {governance_path(hub)}"
            )
        governance = write_governance(
            hub,
            [PartnerRegistration(partner, sector, public, fingerprint, display_name, signing)],
            agreements=agreement,
        )
    except (GovernanceError, ValueError) as exc:
        raise _fail(str(exc)) from None
    audit.append(
        hub,
        "partner_registered",
        {
            "partner": partner,
            "sector": sector,
            "extract_key_id": key_id(public),
            "signing_kid": kid_of(decode_public(signing)),
            "agreement": agreement,
            "governance_version": governance.version_label,
        },
    )
    deal = governance.agreement_for(partner)
    typer.echo(f"registered {partner} ({sector}); governance version {governance.version_label}")
    typer.echo(
        "it takes effect once a quorum of partners approves it: `carehub governance propose "
        "--title 'Onboard ...'`, then `carehub partner governance approve` at each partner"
    )
    if deal:
        typer.echo(
            f"agreement: {deal.frequency}, segments {', '.join(deal.segments)}; edit "
            f"{governance_path(hub)} to change it"
        )


@app.command("rotate-signing-key")
def rotate_signing_key(home: HomeOption = None) -> None:
    """Make a new hub signing key active and retire the old one.

    Extracts signed with the old key keep verifying (it stays in hub_public_keys.json with its
    validity window); the new key is endorsed by the old one. Send partners the new key set.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import audit
    from warehouse.keys import SigningKeyError, public_keys_path
    from warehouse.keys import rotate_signing_key as rotate

    hub = HubHome.resolve(home)
    try:
        old, new = rotate(hub)
    except SigningKeyError as exc:
        raise _fail(str(exc)) from None
    audit.append(hub, "signing_key_rotated", {"old_kid": old, "new_kid": new})
    typer.echo(f"signing key rotated: {old} (retired) -> {new} (active)")
    typer.echo(f"send partners the updated {public_keys_path(hub)}")


@app.command("delete")
def delete(
    partner: Annotated[str, typer.Option(help="The partner whose records are to be forgotten.")],
    file: Annotated[
        Path, typer.Option("--file", help="The partner's list of record pseudonyms, one a line.")
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would be deleted (counts); change nothing."),
    ] = False,
    home: HomeOption = None,
) -> None:
    """Honour a deletion request: purge the listed pseudonyms from every hub layer.

    Only the named partner's own records are touched. Run with --dry-run first to see the
    counts.

    Run it when no pipeline run is active (the hub database file is rebuilt). The audit log
    records the count, never the pseudonyms.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.deletion import DeletionError, delete_pseudonyms, read_pseudonym_file
    from warehouse.governance import GovernanceError

    hub = HubHome.resolve(home)
    try:
        pseudonyms = read_pseudonym_file(file)
        report = delete_pseudonyms(hub, partner, pseudonyms, dry_run=dry_run)
    except (DeletionError, GovernanceError) as exc:
        raise _fail(str(exc)) from None
    verb = "would be purged (dry run: nothing changed)" if dry_run else "purged"
    typer.echo(
        f"deletion for {partner}: {report.requested} pseudonym(s) requested, "
        f"{report.records_found} record(s) of {partner} held and {verb}"
    )
    if report.shared_with_others:
        typer.echo(
            f"  {report.shared_with_others} requested pseudonym(s) are also held by another "
            "partner: only this partner's own rows are deleted, the others' are untouched"
        )
    for table, rows in sorted(report.rows_deleted.items()):
        typer.echo(f"  {table:<32} {rows:>8} row(s)")
    typer.echo(
        f"  files rewritten {report.files_rewritten}, removed {report.files_removed}, text files "
        f"redacted {report.text_files_redacted}; linked persons removed {report.persons_removed}"
    )
    typer.echo("  the next nightly run recomputes features, segments and marts without them")
    if report.residual:
        for place in report.residual:
            typer.echo(f"  RESIDUAL: a pseudonym is still present in {place}", err=True)
        raise typer.Exit(1)


@app.command("extracts")
def extracts(home: HomeOption = None) -> None:
    """List each partner's current extract: id, expiry, signing key and its clear counts."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.extracts import current_extract

    hub = HubHome.resolve(home)
    partners = (
        sorted(p.name for p in hub.outbox.iterdir() if p.is_dir()) if hub.outbox.is_dir() else []
    )
    shown = 0
    for partner in partners:
        path = current_extract(hub, partner)
        if path is None:
            continue
        manifest = json.loads(path.read_text())["manifest"]
        counts = manifest.get("counts", {})
        typer.echo(
            f"{partner:<24} {manifest['extract_id']}  expires {manifest['expires_at']}  "
            f"hub key {manifest['hub_kid']}  records {counts.get('records')}"
        )
        for segment, n in counts.get("by_segment", {}).items():
            typer.echo(f"    {segment:<40} {n}")
        shown += 1
    if not shown:
        typer.echo(f"no published extracts in {hub.outbox}")
