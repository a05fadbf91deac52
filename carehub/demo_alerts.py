"""The demo's last stage: a hospital event batch arrives, alerts go out, a CBO opens its inbox.

The stewards add two subscriptions to governance.yaml (the housing and the food CBO hear of
their own clients' ED visits, admissions and discharges at a hospital); Mercy Hospital sends
the day's encounters as an events package; the hub ingests it and, seconds later,
``alerts_job`` links its records incrementally and writes one sealed alert per subscribed CBO;
Harbor Housing opens its inbox into a CSV and a FHIR bundle.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rich.table import Table
from rich.text import Text

from carehub.demo_progress import step
from contract.disclosure import DISCLOSURE_THRESHOLD as _T
from kernel import clock

if TYPE_CHECKING:
    from carehub.demo import Demo

HOSPITAL: Final = "mercy_hospital"
CBO: Final = "harbor_housing"
BATCH_EVENTS: Final = 200
SUBSCRIBERS: Final = {
    "harbor_housing": "Care coordination: a housing navigator meets a client at the hospital "
    "before discharge",
    "northside_food": "Care coordination: medically tailored meals at home after a hospital stay",
}


@dataclass
class AlertsDemo:
    """What the alerts stage did (for the summary and tests)."""

    submission_id: str = ""
    ingest: Any = None
    alerts_run: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    opened: Any = None
    out: Path | None = None


def subscribe(demo: Demo) -> None:
    """Two CBO subscriptions, proposed by a steward and approved by a quorum of partners (a
    subscription is governance: who hears of which events about their own clients)."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse import governance_flow as flow
    from warehouse.governance import Subscription

    current = flow.in_force_governance(demo.home)
    subscriptions = {s.partner: s for s in current.subscriptions}
    for partner, purpose in SUBSCRIBERS.items():
        subscriptions[partner] = Subscription(
            partner=partner,
            purpose=purpose,
            alert_types=("ed_visit", "admission", "discharge"),
            from_sectors=("hospital",),
        )
    proposal = demo.propose(
        "Housing and food navigators hear of their own clients' hospital visits",
        current.model_copy(update={"subscriptions": tuple(subscriptions.values())}),
    )
    demo.approve_and_apply(proposal, [*SUBSCRIBERS, HOSPITAL])


def run_alerts_stage(demo: Demo) -> AlertsDemo:
    """Subscriptions, the hospital's events package, ingest and alerts, the CBO's inbox."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from carehub.demo import MAPPINGS, REGION_DIR
    from partner.encode import encode_partner
    from partner.inbox import read_inbox
    from partner.submit import submit
    from pipelines.runner import follow_runs, process_landing
    from synth.event_batch import write_event_batch

    outcome = AlertsDemo()
    subscribe(demo)
    demo.console.print(
        Text(
            "approved by a quorum: harbor_housing and northside_food subscribe to ED visits, "
            "admissions and discharges of their own clients at hospitals"
        )
    )
    sides = {s.partner_id: s for s in demo.partner_sides()}
    hospital, cbo = sides[HOSPITAL], sides[CBO]
    raw = hospital.root / "events_today"
    if raw.exists():
        shutil.rmtree(raw)
    batch = write_event_batch(
        demo.result.partners_dir / REGION_DIR,
        raw,
        events=BATCH_EVENTS,
        moment=clock.now(),
        seed=demo.seed,
    )
    with step(demo.console, f"{HOSPITAL} encodes today's {len(batch.events)} encounters"):
        encoded = encode_partner(
            HOSPITAL,
            hospital.secret,
            MAPPINGS / f"{HOSPITAL}.yaml",
            raw,
            hospital.outgoing,
            kind="events",
        )
    outcome.submission_id = encoded.submission_id
    submit(encoded.package, demo.home.landing / HOSPITAL)
    with step(demo.console, "the landing sensor ingests it; alerts_sensor starts alerts_job"):
        ingested = process_landing(demo.home, console_log_level="CRITICAL")
        followed = follow_runs(demo.home, [r for r in ingested if r.success])
    outcome.ingest = next((r for r in ingested if r.partition_key == encoded.submission_id), None)
    outcome.alerts_run = next(iter(followed), None)
    if outcome.alerts_run is None or not outcome.alerts_run.success:
        raise RuntimeError(
            f"alerts_job did not run (or failed) for {encoded.submission_id}; see `carehub ui`"
        )
    outcome.metadata = dict(outcome.alerts_run.metadata.get("care_alerts", {}))
    demo.console.print(_decisions_table(outcome.metadata))
    # The CBO picks up its alerts (the hub's outbox folder and published keys, as delivered).
    inbox = cbo.root / "alerts_inbox"
    if inbox.exists():
        shutil.rmtree(inbox)
    shutil.copytree(demo.home.outbox / CBO / "alerts", inbox / "alerts")
    shutil.copy2(demo.home.outbox / CBO / "hub_public_keys.json", inbox / "hub_public_keys.json")
    outcome.out = cbo.root / "alerts"
    outcome.opened = read_inbox(
        inbox / "alerts",
        cbo.keys / f"{CBO}.x25519.key",
        demo.result.encoded[CBO].crosswalk,
        outcome.out,
        trusted_kid=demo.result.hub_kid,
    )
    opened = outcome.opened
    demo.console.print(
        Text(
            f"{CBO} opens its inbox: {opened.items} alert(s) about its own clients, mapped to "
            f"its record ids -> {outcome.out / 'alerts.csv'} and FHIR bundles in "
            f"{outcome.out / 'fhir'}" + (f"; {len(opened.failed)} refused" if opened.failed else "")
        )
    )
    return outcome


def _decisions_table(metadata: dict[str, Any]) -> Table:
    table = Table("alerts_job", "value", title=f"Care alerts (counts under {_T} shown as <{_T})")
    table.add_row("alert files written", str(metadata.get("alert_files", 0)))
    table.add_row("recipients", str(metadata.get("recipients", 0)))
    for decision, count in (metadata.get("decisions") or {}).items():
        table.add_row(f"items: {decision}", str(count))
    table.add_row(
        "latency, arrival to alert written",
        f"{metadata.get('latency_seconds_max', 0):.1f} s",
    )
    return table
