"""Build, encrypt, sign, publish and audit every partner's cohort extract."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import duckdb

from contract.envelope import EXTRACT_SUFFIX, PAYLOAD_FORMAT
from kernel import clock
from kernel.home import HubHome
from warehouse import audit
from warehouse.disclosure import DEFAULT_THRESHOLD, CellSet, disclose
from warehouse.disclosure.attacks import Release
from warehouse.disclosure.ledger import record_release
from warehouse.extracts.content import (
    ExtractContent,
    extract_content,
    missing_inputs,
    prepare_inputs,
    undefined_segments,
)
from warehouse.extracts.envelope import envelope_bytes, manifest_sha256, seal
from warehouse.governance import Agreement, Governance
from warehouse.governance_flow import approved_proof
from warehouse.keys import PUBLIC_KEYS_FILE, ensure_signing_key, public_keys_path
from warehouse.publish import last_publications, publish_dir

_PERIOD: Final = {"daily": 1, "weekly": 7, "monthly": 28}


class ExtractInputsMissing(RuntimeError):
    """The tables an extract is built from do not exist yet (run ingest, linkage, segments)."""


class ExtractConfigError(ValueError):
    """An agreement names a segment that config/segments.yaml does not define."""


@dataclass(frozen=True)
class ExtractInfo:
    """One built and published extract.

    Attributes:
        partner_id: The recipient.
        extract_id: ``<partner>-<UTC yyyymmddThhmmssZ>-<8 hex>``.
        path: The extract file (inside the published version folder).
        current: ``outbox/<partner>/current/<file>``: where the partner picks it up.
        created_at: Build time (UTC).
        expires_at: Last moment it can be opened (UTC).
        records: Rows in the extract (exact; the recipient's own clients).
        withheld: Records left out by the consent rules (exact; never in the manifest).
        cohort_sizes: Rows per allowed segment (exact).
        flag_counts: Rows with each allowed context flag (exact).
        manifest_counts: The same counts as written in the clear manifest, after disclosure
            control (counts below the threshold shown as ``"<11"``).
        governance_version: ``Governance.version_label``.
        hub_kid: The signing key id.
    """

    partner_id: str
    extract_id: str
    path: Path
    current: Path
    created_at: datetime
    expires_at: datetime
    records: int
    withheld: int
    cohort_sizes: dict[str, int]
    flag_counts: dict[str, int]
    manifest_counts: dict[str, Any]
    governance_version: str
    hub_kid: str


def current_extract(home: HubHome, partner_id: str) -> Path | None:
    """The partner's current (newest published) extract file, or None.

    Extracts live in ``outbox/<partner>/current/<extract_id>.extract.json``; ``current`` is the
    symlink :func:`warehouse.publish.publish_dir` swaps to each new version.
    """
    found = sorted((home.outbox / partner_id / "current").glob(f"*{EXTRACT_SUFFIX}"))
    return found[-1] if found else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_extract_id(partner_id: str, now: datetime) -> str:
    """``<partner>-<UTC yyyymmddThhmmssZ>-<8 hex>``."""
    return f"{partner_id}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def due_partners(
    con: duckdb.DuckDBPyConnection, governance: Governance, now: datetime
) -> list[Agreement]:
    """Agreements in force whose partner is active and whose last extract is older than the
    agreement's frequency (daily 1 day, weekly 7, monthly 28)."""
    last = {p.output: _created_at(p.details, p.published_at) for p in last_publications(con)}
    due = []
    for agreement in _in_force(governance, now.date()):
        previous = last.get(f"extract:{agreement.partner}")
        period = timedelta(days=_PERIOD[agreement.frequency]) - timedelta(hours=1)
        if previous is None or now - previous.astimezone(UTC) >= period:
            due.append(agreement)
    return due


def _created_at(details: dict[str, Any], fallback: datetime) -> datetime:
    text = details.get("created_at")
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else fallback


def _in_force(governance: Governance, day: date) -> list[Agreement]:
    return [
        a
        for a in governance.agreements
        if a.in_force(day) and governance.partners[a.partner].active
    ]


def build_extracts(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    governance: Governance,
    *,
    now: datetime | None = None,
    partners: Iterable[str] | None = None,
    due_only: bool = False,
    run_id: str | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> list[ExtractInfo]:
    """Build one extract per partner with an agreement in force, and publish each.

    Each extract is encrypted to the partner's registered key, its manifest signed with the hub's
    active key, published atomically to ``outbox/<partner>/current/`` (recorded in
    ``ops.publications`` as ``extract:<partner>``), and audited twice: ``extract_built`` (partner,
    segments, counts, purpose, governance version, manifest hash) and ``extract_delivered``.

    Args:
        con: Open connection to ``hub.duckdb``.
        home: The hub home.
        governance: Loaded governance (see :func:`warehouse.governance.load_governance`).
        now: Build time (default now, UTC); context windows end on its date.
        partners: Only these partners (default: all with an agreement in force).
        due_only: Skip partners whose last extract is younger than their agreed frequency.
        run_id: The Dagster run (or CLI invocation), recorded with the publication.
        threshold: Disclosure threshold for counts in the clear manifest.

    Returns:
        One :class:`ExtractInfo` per extract built, in partner order.

    Raises:
        ExtractInputsMissing: staging, linkage or segment tables are missing.
        ExtractConfigError: an agreement names an undefined segment (nothing built).
        ExtractContentError: a content safety check failed (nothing of that partner written).
        GovernanceNotApproved: ``governance`` is not the quorum-approved version in force
            (nothing built); each extract carries that version's approvals for the partner.
    """
    moment = (now or clock.now()).astimezone(UTC).replace(microsecond=0)
    proof = approved_proof(home, governance, "extract built")
    missing = missing_inputs(con)
    if missing:
        raise ExtractInputsMissing(
            f"cannot build extracts: {', '.join(missing)} missing in {home.hub_db}; "
            "ingest submissions and materialize linked_persons and segment_membership first"
        )
    unknown = undefined_segments(con, governance)
    if unknown:
        raise ExtractConfigError(
            f"{governance.path}: agreements name segments that config/segments.yaml does not "
            f"define ({'; '.join(unknown)}); correct the agreement or define the segment, then "
            "rerun. No extract was built."
        )
    agreements = (
        due_partners(con, governance, moment) if due_only else _in_force(governance, moment.date())
    )
    wanted = set(partners) if partners is not None else None
    signer = ensure_signing_key(home)
    prepare_inputs(con)
    built = []
    for agreement in sorted(agreements, key=lambda a: a.partner):
        if wanted is not None and agreement.partner not in wanted:
            continue
        content = extract_content(con, governance, agreement, as_of=moment.date())
        built.append(
            _publish(con, home, governance, content, moment, signer, run_id, threshold, proof)
        )
    return built


def _manifest_release(
    partner_id: str, records: int, sizes: dict[str, int], threshold: int
) -> Release:
    """The clear manifest's counts for the release ledger: exact where shown, withheld
    (``"<threshold"``) where small; each segment's count is at most the records. Every count
    is listed whatever it is (structural: the manifest names every agreed segment)."""
    cells = CellSet()
    total = cells.add(("extract", partner_id, "records"), records)
    cells.structural.add(total)
    for segment, n in sizes.items():
        part = cells.add(("extract", partner_id, "segment", segment), n)
        cells.structural.add(part)
        cells.add_le({part: 1, total: -1})
    withheld = {c for c, n in cells.values.items() if disclose(n, threshold) != n}
    return Release.of(cells, withheld)


def publish_key_set(home: HubHome, partner_id: str) -> None:
    """Copy the hub's published key set next to the partner's extracts (atomically)."""
    target = home.outbox / partner_id / PUBLIC_KEYS_FILE
    aside = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(public_keys_path(home), aside)
    os.replace(aside, target)


def _publish(
    con: duckdb.DuckDBPyConnection,
    home: HubHome,
    governance: Governance,
    content: ExtractContent,
    moment: datetime,
    signer: Any,
    run_id: str | None,
    threshold: int,
    proof: dict[str, Any],
) -> ExtractInfo:
    partner = governance.partners[content.recipient]
    agreement = content.agreement
    extract_id = new_extract_id(partner.partner_id, moment)
    expires = moment + timedelta(days=agreement.extract_valid_days)
    sizes, flags = content.cohort_sizes(), content.flag_counts()
    manifest_counts = {
        "records": disclose(len(content.records), threshold),
        "by_segment": {s: disclose(n, threshold) for s, n in sizes.items()},
        "disclosure_threshold": threshold,
    }
    head = audit.read_head(home) or {"seq": 0, "hash": audit.GENESIS}
    manifest = {
        "extract_id": extract_id,
        "recipient": partner.partner_id,
        "recipient_key_id": partner.extract_key_id,
        "created_at": _iso(moment),
        "expires_at": _iso(expires),
        "as_of": content.as_of.isoformat(),
        "governance_version": governance.version_label,
        # The approved version's proposal and the partners' signed approvals: the partner checks
        # them itself (partner/open.py), so it need not trust the hub that a quorum agreed.
        "governance": proof,
        "agreement": {
            "purpose": agreement.purpose,
            "segments": list(agreement.segments),
            "context_flags": list(agreement.context_flags),
            "frequency": agreement.frequency,
        },
        "counts": manifest_counts,
        "audit_anchor": {"seq": head["seq"], "hash": head["hash"]},
        "payload_format": PAYLOAD_FORMAT,
    }
    envelope = seal(content.payload(extract_id), manifest, partner.extract_public_key_obj(), signer)
    file_name = f"{extract_id}{EXTRACT_SUFFIX}"
    audit.append(
        home,
        "extract_built",
        {
            "partner": partner.partner_id,
            "extract_id": extract_id,
            "purpose": agreement.purpose,
            "segments": list(agreement.segments),
            "context_flags": list(agreement.context_flags),
            # The log is read by stewards and auditors: its counts pass the threshold too.
            "counts": {
                "records": disclose(len(content.records), threshold),
                "by_segment": {s: disclose(n, threshold) for s, n in sizes.items()},
                "by_flag": {f: disclose(n, threshold) for f, n in flags.items()},
                "withheld_for_consent": disclose(content.withheld, threshold),
            },
            "governance_version": governance.version_label,
            "hub_kid": signer.kid,
            "recipient_key_id": partner.extract_key_id,
            "expires_at": _iso(expires),
            "manifest_sha256": manifest_sha256(envelope),
        },
        now=moment,
    )

    def build(folder: Path) -> dict[str, Any]:
        (folder / file_name).write_bytes(envelope_bytes(envelope))
        return {
            "extract_id": extract_id,
            "created_at": _iso(moment),
            "records": manifest_counts["records"],
            "governance_version": governance.version_label,
        }

    target = home.outbox / partner.partner_id / "current"
    publication = publish_dir(
        home,
        f"extract:{partner.partner_id}",
        target,
        build,
        run_id=run_id,
        version=extract_id,
        keep=5,
        con=con,
    )
    publish_key_set(home, partner.partner_id)
    record_release(
        con,
        publication.output,
        extract_id,
        moment,
        _manifest_release(partner.partner_id, len(content.records), sizes, threshold),
        threshold,
    )
    audit.append(
        home,
        "extract_delivered",
        {
            "partner": partner.partner_id,
            "extract_id": extract_id,
            "channel": "outbox",
            "path": str((publication.path / file_name).relative_to(home.root)),
            "governance_version": governance.version_label,
        },
    )
    return ExtractInfo(
        partner_id=partner.partner_id,
        extract_id=extract_id,
        path=publication.path / file_name,
        current=target / file_name,
        created_at=moment,
        expires_at=expires,
        records=len(content.records),
        withheld=content.withheld,
        cohort_sizes=sizes,
        flag_counts=flags,
        manifest_counts=manifest_counts,
        governance_version=governance.version_label,
        hub_kid=signer.kid,
    )
