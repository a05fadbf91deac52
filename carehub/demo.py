"""The end-to-end demo: a synthetic region, five partners, one hub, every stage for real.

Partner-side material (raw exports, secrets, keys, crosswalks, opened extracts) lives under
``partners``; the hub's home under ``home``. The two trees are kept apart as they would be on
separate organisations' machines: the hub side never reads the partner tree, and the only thing
that crosses is what a partner submits (packages) and what the hub publishes (extracts and its
public keys).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from carehub.demo_progress import step
from kernel import clock
from kernel.home import HubHome
from pipelines.dagster_home import ensure_dagster_home

T = TypeVar("T")

SHARED_SECRET = "shared.secret"
MAPPINGS = Path(__file__).resolve().parents[1] / "partner" / "mappings"
BROKEN_PARTNER = "northside_food"
REGION_DIR = "_synthetic_region"


@dataclass
class PartnerSide:
    """One partner's own folder: raw export, keys, crosswalk, outgoing packages, opened extracts."""

    partner_id: str
    sector: str
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def outgoing(self) -> Path:
        return self.root / "outgoing"

    @property
    def inbox(self) -> Path:
        return self.root / "extracts"

    @property
    def secret(self) -> Path:
        return self.keys / SHARED_SECRET


@dataclass
class DemoResult:
    """What the demo did, for its summary and for tests."""

    home: HubHome
    partners_dir: Path
    region: Any = None
    keys: dict[str, Any] = field(default_factory=dict)
    hub_kid: str | None = None
    encoded: dict[str, Any] = field(default_factory=dict)
    broken_submission: str | None = None
    ingest_runs: list[Any] = field(default_factory=list)
    jobs: dict[str, Any] = field(default_factory=dict)
    opened: dict[str, Any] = field(default_factory=dict)
    linkage_quality: dict[str, float] = field(default_factory=dict)
    privacy_hits: list[Any] = field(default_factory=list)
    governance: dict[str, Any] = field(default_factory=dict)
    alerts: Any = None


class Demo:
    """Runs the demo stage by stage, printing as it goes."""

    def __init__(
        self,
        *,
        residents: int,
        seed: int,
        home: Path,
        partners: Path,
        console: Console | None = None,
        as_of: date | None = None,
        key_seed: int | None = None,
    ) -> None:
        self.residents = residents
        self.seed = seed
        # None: keys drawn fresh, as real partners do (persons may then differ by a few
        # between runs); a number: the encodings, hence the persons, repeat bit for bit.
        self.key_seed = key_seed
        self.console = console or Console()
        self.as_of = as_of
        self.result = DemoResult(home=HubHome.resolve(home), partners_dir=partners.resolve())

    # ----------------------------------------------------------------- helpers
    def _stage(self, title: str, fn: Callable[[], T]) -> T:
        self.console.rule(Text(title, style="bold"), align="left")
        return fn()

    @property
    def home(self) -> HubHome:
        return self.result.home

    def partner_sides(self) -> list[PartnerSide]:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from synth import PARTNERS

        return [
            PartnerSide(p.partner_id, p.sector, self.result.partners_dir / p.partner_id)
            for p in PARTNERS.values()
        ]

    # ----------------------------------------------------------------- stages
    def run(self, *, fresh: bool = True) -> DemoResult:
        if fresh:
            for tree in (self.home.root, self.result.partners_dir):
                if tree.exists():
                    shutil.rmtree(tree)
        ensure_dagster_home(self.home)
        self._stage("1. Synthetic region (ground truth stays with the demo)", self.synthesise)
        self._stage("2. Partners: keys and the shared secret", self.partner_keys)
        self._stage("3. Hub: signing key and partner registry", self.hub_onboarding)
        self._stage("4. Partners encode at home and submit", self.encode_and_submit)
        self._stage("5. Hub ingest: validation and quarantine", self.ingest)
        self._stage("6. Hub nightly: linkage, segments, marts", self.nightly)
        self._stage("7. Ecosystem report and partner extracts", self.publish)
        self._stage("8. Partners open their extracts", self.open_extracts)
        self._stage("9. A governance change approved by a quorum", self.governance_change)
        self._stage("10. Real-time care alerts: a hospital event batch arrives", self.alerts)
        self._stage("11. Privacy scan of the hub home", self.privacy_scan)
        return self.result

    def alerts(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from carehub.demo_alerts import run_alerts_stage

        self.result.alerts = run_alerts_stage(self)

    def synthesise(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from synth import generate

        region_dir = self.result.partners_dir / REGION_DIR
        with step(self.console, f"generating {self.residents:,} residents"):
            summary = generate(region_dir, residents=self.residents, seed=self.seed)
        self.result.region = summary
        for side in self.partner_sides():
            side.raw.mkdir(parents=True, exist_ok=True)
            for csv in sorted((region_dir / "partners" / side.partner_id).iterdir()):
                shutil.copy2(csv, side.raw / csv.name)
        for line in summary.lines():
            self.console.print(Text(line))

    def partner_keys(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from partner.ecosystem import ecosystem_path
        from partner.keygen import keygen

        sides = self.partner_sides()
        first = sides[0]
        if self.key_seed is not None:
            # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
            from carehub.demo_keys import write_seeded_keys

            write_seeded_keys(first.keys, first.secret, self.key_seed, [first.partner_id])
            for side in sides[1:]:
                write_seeded_keys(side.keys, None, self.key_seed, [side.partner_id])
            self.console.print(
                Text(
                    f"shared secret and pseudonym keys drawn from --key-seed {self.key_seed} "
                    "(demo only: such keys are no secret)"
                )
            )
        # Spec 2.2: the ecosystem size travels with the secret: the persons the partners know
        # together (a steward's estimate; the whole population would be a size too large,
        # docs/encoding.md "Choosing E").
        region = self.result.region
        created = keygen(
            first.keys,
            first.partner_id,
            shared_secret=first.secret,
            ecosystem_persons=region.residents_seen if region is not None else self.residents,
        )
        self.result.keys[first.partner_id] = created
        made = "generated" if self.key_seed is None else "holds"
        self.console.print(
            f"{first.partner_id} {made} the shared secret; the partners exchange it out of "
            f"band. Key fingerprint: {created.key_fingerprint}"
        )
        assert created.ecosystem_file is not None and created.ecosystem is not None
        self.console.print(
            Text(
                f"ecosystem size announced with it: {created.ecosystem.persons:,} persons "
                f"(phone token {created.ecosystem.token_bits['tok_phone']} bits)"
            )
        )
        for side in sides[1:]:
            side.keys.mkdir(parents=True, exist_ok=True)
            shutil.copy2(first.secret, side.secret)
            side.secret.chmod(0o600)
            shutil.copy2(created.ecosystem_file, ecosystem_path(side.secret))
            self.result.keys[side.partner_id] = keygen(
                side.keys, side.partner_id, shared_secret=side.secret
            )
        self.console.print(
            Text(
                f"{len(sides)} partners hold an X25519 extract key, an Ed25519 package-signing "
                "key and a pseudonym key"
            )
        )

    def hub_onboarding(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from warehouse.governance import PartnerRegistration, write_governance
        from warehouse.keys import ensure_signing_key

        signing = ensure_signing_key(self.home)
        self.result.hub_kid = signing.kid
        # What a partner sends the hub at onboarding: its extract public key, its package-signing
        # public key and the shared secret's fingerprint. Never the secret.
        registrations = [
            PartnerRegistration(
                partner_id=side.partner_id,
                sector=side.sector,
                extract_public_key=self.result.keys[side.partner_id].public_key_b64,
                key_fingerprint=str(self.result.keys[side.partner_id].key_fingerprint),
                signing_public_key=self.result.keys[side.partner_id].signing_public_key_b64,
            )
            for side in self.partner_sides()
        ]
        governance = write_governance(self.home, registrations)
        if self.key_seed is not None:
            # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
            from carehub.demo_keys import write_seeded_perturbation_key
            from warehouse.marts.publish import PERTURBATION_SECRET

            write_seeded_perturbation_key(self.home.keys / PERTURBATION_SECRET, self.key_seed)
        self.console.print(
            f"hub signing key {signing.kid}; governance v{governance.version} registers "
            f"{len(governance.partners)} partners"
        )
        # Nothing is published or extracted under a governance no quorum approved: the partners
        # found it together, each signing at home with its own key.
        founding = self.propose("Founding agreement of the ecosystem", None)
        in_force = self.approve_and_apply(founding, [s.partner_id for s in self.partner_sides()])
        self.console.print(
            f"founding governance v{in_force.governance.version} approved by "
            f"{len(in_force.tally.approved_by)} of {len(in_force.tally.voters)} partners "
            f"(sha256 {in_force.governance.sha256[:12]})"
        )

    def propose(self, title: str, governance: Any) -> dict[str, Any]:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from warehouse import governance_flow as flow

        if governance is None:
            return flow.propose(self.home, title=title, proposed_by="hub steward")
        return flow.propose_change(self.home, governance, title=title, proposed_by="hub steward")

    def approve_and_apply(self, proposal: dict[str, Any], approvers: list[str]) -> Any:
        """Each approver reviews the proposal on its side, signs, and sends the approval back;
        the hub records them and applies."""
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from governance.approvals import sign_approval
        from partner.keygen import read_signing_key
        from warehouse import governance_flow as flow

        shared = flow.proposal_dir(self.home, proposal["proposal_id"]) / "proposal.json"
        for side in self.partner_sides():
            if side.partner_id not in approvers:
                continue
            # The partner's copy of proposal.json; the words are worked out on its side.
            local = side.root / "governance" / shared.name
            local.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(shared, local)
            approval = sign_approval(
                json.loads(local.read_text()),
                side.partner_id,
                read_signing_key(self.result.keys[side.partner_id].signing_key),
                now=clock.now(),
            )
            signed = local.with_name(f"{proposal['proposal_id']}.approval.json")
            signed.write_text(json.dumps(approval, indent=1, sort_keys=True))
            flow.record_approval(self.home, signed)
        return flow.apply(self.home, proposal["proposal_id"])

    def governance_change(self) -> None:
        """One change, as the ecosystem would make it: a steward proposes, three of five
        partners approve (a majority), it applies, and the next extract shows it."""
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from governance.proposals import in_words
        from partner.open import open_extract
        from warehouse import governance_flow as flow
        from warehouse.extracts import current_extract
        from warehouse.report.pack import build_pack

        recipient, flag = "mercy_hospital", "overdose_reported_365d"
        current = flow.in_force_governance(self.home)
        agreements = tuple(
            a.model_copy(update={"context_flags": (*a.context_flags, flag)})
            if a.partner == recipient
            else a
            for a in current.agreements
        )
        proposal = self.propose(
            f"{recipient}'s complex-care team asks to know of overdoses reported elsewhere",
            current.model_copy(update={"agreements": agreements}),
        )
        self.console.print(f"proposal {proposal['proposal_id']}, in words:")
        for line in in_words(proposal):
            self.console.print(Text(f"  - {line}"))
        approvers = ["mercy_hospital", "harbor_housing", "county_public_health"]
        in_force = self.approve_and_apply(proposal, approvers)
        self.console.print(
            f"approved by {', '.join(in_force.tally.approved_by)}: "
            f"{len(in_force.tally.approved_by)} of {len(in_force.tally.voters)}, "
            f"{in_force.tally.required} required; governance "
            f"v{in_force.governance.version} in force"
        )
        with step(self.console, f"extracts_job for {recipient} under the new version"):
            # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
            from pipelines.runner import run_job

            run = run_job(
                self.home,
                "extracts_job",
                run_config={"ops": {"partner_extracts": {"config": {"partners": [recipient]}}}},
            )
            _require(run)
        side = next(s for s in self.partner_sides() if s.partner_id == recipient)
        extract = current_extract(self.home, recipient)
        if extract is None:
            raise RuntimeError(f"extracts_job built no extract for {recipient}")
        local = side.inbox / extract.name
        shutil.copy2(extract, local)
        opened = open_extract(
            local,
            side.keys / f"{recipient}.x25519.key",
            self.result.encoded[recipient].crosswalk,
            side.inbox / f"{local.name.removesuffix('.extract.json')}.csv",
            side.inbox / "hub_public_keys.json",
            trusted_kid=self.result.hub_kid,
        )
        self.console.print(
            f"{recipient} opened {opened.extract_id}: {flag} set for "
            f"{opened.flag_counts.get(flag, 0):,} of {opened.rows:,} rows; approvals checked at "
            f"the partner ({', '.join(opened.governance_approved_by)})"
        )

        now = clock.now()
        pack = build_pack(self.home, f"{now.year}Q{(now.month - 1) // 3 + 1}")
        self.console.print(f"governance pack: {pack}")
        self.result.governance = {
            "proposal_id": proposal["proposal_id"],
            "approved_by": list(in_force.tally.approved_by),
            "version": in_force.governance.version,
            "flag": flag,
            "flag_rows": opened.flag_counts.get(flag),
            "columns": flag in opened.flag_counts,
            "pack": str(pack),
        }

    def encode_and_submit(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from partner.encode import encode_partner
        from partner.submit import submit

        table = encoding_table()
        for side in self.partner_sides():
            with step(self.console, f"{side.partner_id} encodes its export"):
                result = encode_partner(
                    side.partner_id,
                    side.secret,
                    MAPPINGS / f"{side.partner_id}.yaml",
                    side.raw,
                    side.outgoing,
                    as_of=self.as_of,
                )
            self.result.encoded[side.partner_id] = result
            submit(result.package, self.home.landing / side.partner_id)
            table.add_row(
                side.partner_id,
                f"{result.persons_rows:,}",
                f"{result.events_rows:,}",
                *_report_counts(result.report),
            )
        self.console.print(table)
        self.result.broken_submission = self._submit_broken_package()

    def _submit_broken_package(self) -> str:
        """A partner re-exports with a name column left in: the hub must stop it at the door."""
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from carehub.demo_support import smuggle_name_column

        side = next(s for s in self.partner_sides() if s.partner_id == BROKEN_PARTNER)
        broken = smuggle_name_column(
            self.result.encoded[BROKEN_PARTNER],
            MAPPINGS / f"{BROKEN_PARTNER}.yaml",
            side.raw,
            side.outgoing,
            self.result.keys[BROKEN_PARTNER].signing_key,
        )
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from partner.submit import submit

        submit(broken, self.home.landing / side.partner_id)
        self.console.print(
            f"{BROKEN_PARTNER} also submits {broken.name}: a re-export with a first-name column "
            "left in by mistake"
        )
        return broken.name

    def ingest(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from pipelines.runner import JobRun, process_landing

        def report(run: JobRun, number: int, of: int) -> None:
            self.console.print(
                Text(f"    {number}/{of} {run.partition_key}: {run.outcome} ({run.seconds:.0f} s)")
            )

        # The demo prints each outcome and the quarantine reason itself; the full run logs are
        # in the Dagster UI.
        with step(self.console, "ingest: one Dagster run per submission"):
            runs = process_landing(self.home, console_log_level="CRITICAL", on_run=report)
        self.result.ingest_runs = runs
        table = Table("submission", "outcome")
        for run in runs:
            style = "green" if run.outcome == "ingested" else "red"
            table.add_row(str(run.partition_key), Text(str(run.outcome), style=style))
        self.console.print(table)
        for reason in sorted(self.home.quarantine.rglob("reason.txt")):
            self.console.print(
                Text(f"Quarantine reason ({reason.parent.name}), verbatim:", style="yellow")
            )
            # Text, not markup: "[schema_and_types]" is part of the reason, not a style. Soft
            # wrap: lines stay whole (as in reason.txt) for copying, the terminal wraps them.
            self.console.print(Text(reason.read_text().strip()), soft_wrap=True)

    def nightly(self) -> None:
        with step(self.console, "nightly_job: linkage, segments, marts, Data Docs"):
            run = self._run("nightly_job")
        linked = run.metadata.get("linked_persons", {})
        marts = run.metadata.get("analyst_marts", {})
        lines = [
            f"linked {linked.get('records', 0):,} records into {linked.get('persons', 0):,} "
            f"persons ({linked.get('multi_partner_persons', 0):,} seen by 2+ partners; "
            f"{linked.get('mode', '')} run)",
            f"published marts {marts.get('version', '?')} as of {marts.get('as_of', '?')}: "
            f"{marts.get('counts', 0):,} counts, {marts.get('suppressed_cells', 0):,} withheld",
            f"Data Docs: {self.home.quality / 'data_docs' / 'index.html'}",
        ]
        for line in lines:
            self.console.print(Text(line))

    def publish(self) -> None:
        with step(self.console, "report_job: the ecosystem report"):
            report = self._run("report_job").metadata.get("ecosystem_report", {})
        self.console.print(Text(f"report {report.get('version', '?')}: {report.get('report', '')}"))
        with step(self.console, "extracts_job: one encrypted, signed extract per partner"):
            extracts = self._run("extracts_job").metadata.get("partner_extracts", {})
        by_partner = extracts.get("by_partner") or {}
        self.console.print(
            Text(
                f"{extracts.get('extracts', 0)} extracts signed by hub key "
                f"{extracts.get('hub_kid', '?')} (governance {extracts.get('governance_version')}"
                f"): {', '.join(sorted(by_partner)) or 'none'}"
            )
        )

    def _run(self, job: str) -> Any:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from pipelines.runner import run_job

        run = run_job(self.home, job)
        self.result.jobs[job] = run
        _require(run)
        return run

    def open_extracts(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from partner.open import open_extract
        from warehouse.extracts import current_extract

        table = Table(box=box.SIMPLE_HEAD)
        table.add_column("partner", no_wrap=True)
        table.add_column("extract", overflow="fold")  # long ids wrap rather than get cut
        for header in ("rows", "signed by", "expires"):
            table.add_column(header, no_wrap=True)
        for side in self.partner_sides():
            # What the hub delivers: the current extract and its published public keys.
            extract = current_extract(self.home, side.partner_id)
            if extract is None:
                continue
            side.inbox.mkdir(parents=True, exist_ok=True)
            local = side.inbox / extract.name
            shutil.copy2(extract, local)
            hub_keys = side.inbox / "hub_public_keys.json"
            shutil.copy2(self.home.outbox / side.partner_id / "hub_public_keys.json", hub_keys)
            opened = open_extract(
                local,
                side.keys / f"{side.partner_id}.x25519.key",
                self.result.encoded[side.partner_id].crosswalk,
                side.inbox / f"{local.name.removesuffix('.extract.json')}.csv",
                hub_keys,
                trusted_kid=self.result.hub_kid,  # pinned when the partner was onboarded
            )
            self.result.opened[side.partner_id] = opened
            table.add_row(
                side.partner_id,
                opened.extract_id,
                f"{opened.rows:,}",
                opened.hub_kid,
                f"{opened.expires_at:%Y-%m-%d}",
            )
        self.console.print(table)
        pseudonyms = [set(o.pseudonyms) for o in self.result.opened.values()]
        shared = sum(len(a & b) for i, a in enumerate(pseudonyms) for b in pseudonyms[i + 1 :])
        self.console.print(
            f"Isolation: {shared} pseudonyms appear in more than one partner's extract "
            "(each extract lists only the recipient's own records)"
        )

    def privacy_scan(self) -> None:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from carehub.demo_support import identifier_needles
        from carehub.privacy_scan import scan_tree

        with step(self.console, "privacy scan of every file in the hub home") as note:
            needles = identifier_needles(self.result.partners_dir)
            hits = scan_tree(
                self.home.root, needles, progress=lambda done, of: note(f"{done}/{of} files")
            )
        self.result.privacy_hits = hits
        self.console.print(
            Text(f"{len(hits)} identifier(s) found", style="green" if not hits else "red"),
            Text(
                f"in {self.home.root} ({len(needles):,} identifier values and the shared secret "
                "searched, as text, inside DuckDB and Parquet, and as plain MD5/SHA-1/SHA-256)"
            ),
        )


def encoding_table() -> Table:
    """The encoding reports' table, fit for 80 columns when piped.

    Eight columns at 80 characters: short headers that wrap, one space between columns and no
    vertical rules, and the partner id never cut (numbers up to 7 characters: 76 in all).
    """
    table = Table(
        title="Encoding reports (counts only; values never leave the partner)",
        caption="missing / placeholder / invalid identifier values; ZIP3 000: low-population areas",
        box=box.SIMPLE_HEAD,  # its column separator is one space: no padding needed
        padding=0,
    )
    table.add_column("partner", no_wrap=True)
    for header in ("records", "events", "missing", "placeh.", "invalid", "no consent", "ZIP3 000"):
        table.add_column(header, justify="right")
    return table


def _report_counts(report: dict[str, Any]) -> list[str]:
    """Missing, placeholder and otherwise invalid identifier values; opt-outs; ZIP3s coded 000."""
    missing = placeholder = invalid = 0
    for counts in report.get("fields", {}).values():
        for reason, n in counts.items():
            if reason == "missing":
                missing += n
            elif reason == "placeholder":
                placeholder += n
            elif reason not in {"valid", "unknown"}:
                invalid += n
    consent = report.get("consent", {}).get("not_consented", 0)
    zip000 = report.get("safe_harbor", {}).get("zip3_000", 0)
    return [f"{n:,}" for n in (missing, placeholder, invalid, consent, zip000)]


def _require(run: Any) -> None:
    if not run.success:
        failures = "; ".join(f"{f}" for f in run.failures) or ", ".join(run.failed_checks)
        raise RuntimeError(f"{run.job} failed (run {run.run_id}): {failures}")
