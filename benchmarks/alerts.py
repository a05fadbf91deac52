"""Care alerts: latency from package arrival to alert file written, and routing accuracy.

    .venv/bin/python benchmarks/alerts.py --residents 145000 --events 1000 --runs 5

Set-up (untimed): a synthetic region of ``--residents`` (about 0.69 partner records each, so
145k residents is a hub of ~100k records and 1.45M one of ~1M), the five partners' keys, the
hub's governance with every non-hospital partner subscribed to ED visits, admissions and
discharges from hospitals, every full export encoded, ingested and linked.

Timed, ``--runs`` times: Mercy Hospital writes a batch of ``--events`` new encounters of its
existing patients, encodes it (``--events`` package: partner side, untimed) and submits it; the
clock starts when its manifest lands. Then ``--new-runs`` times the same with patients the hub
has never seen: the set-up holds ``--holdout`` of Mercy's patients out of its full export, and
each such batch is about ``--events`` of them, so the scoped linkage places new records among
the existing persons (``linkage/incremental.py``) before the alerts can route them. For each
batch the hub runs what ``alerts_job`` runs, through the same library calls as the Dagster
assets: ``ingest_submission`` (gates, Great Expectations, load), ``link_submissions``
(linkage scoped to the package, ``linkage/incremental.py``) and ``process_alerts``, in a warm
process (Great Expectations and Splink imported first, as in a long-lived code location).
Latency = alert files written - manifest arrival (``alerts.batches.latency_seconds``).
``--before N`` also times, after each of the first N runs, the previous path's linkage step
(``run_linkage``, which reads every current record) on the same hub. ``--dagster-runs N`` also
times N batches through real Dagster runs in this process (``process_landing`` +
``follow_runs``: ingest_job, alerts_sensor, alerts_job), Dagster's own overhead included.

``--work DIR`` keeps the set-up: the first run builds it and saves it in ``DIR/base``, later
runs restore it (``--setup-only`` builds it and stops), so every run starts from the same hub.

Yardstick, same run: the nightly path, a full re-link of every record (``run_linkage
full_relink=True``), which is what a partner waited for before alerts.

Accuracy against the region's ground truth (the hub never sees it): precision = sent items
whose recipient record is truly the same resident as the event's record; recall = sent items
over the items the subscriptions and the consent rules allow (every consented record of the
resident at a subscribed partner, no record of the resident unconsented). Also counted: items
sent against the consent or Part 2 rules (must be 0) and new items after replaying every batch
(the same package again, and the same encounters re-encoded into a new package; must be 0).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOSPITAL = "mercy_hospital"
SUBSCRIBERS = ("harbor_housing", "northside_food", "county_public_health", "riverside_health")
TYPES = ("ed_visit", "admission", "discharge")
AS_OF = "2026-06-30"
BASE = "base"  # the saved set-up inside --work
HELD_OUT = "held_out"  # Mercy's patients left out of its full export, inside the region


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f}"


def hold_out(region: Path, patients: int, seed: int) -> int:
    """Take ``patients`` of Mercy's patients (and their encounters and conditions) out of its
    export into ``region/held_out/patients.csv``: people the hub will meet first in an events
    package. Returns how many were held out."""
    import numpy as np

    folder = region / "partners" / HOSPITAL
    with (folder / "patients.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    picked = np.random.default_rng(seed).choice(
        len(rows), size=min(patients, len(rows)), replace=False
    )
    held = {rows[i]["MRN"] for i in picked.tolist()}
    _write_csv(region / HELD_OUT / "patients.csv", fields, [r for r in rows if r["MRN"] in held])
    for name in ("patients.csv", "encounters.csv", "chronic_conditions.csv"):
        with (folder / name).open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields, rows = list(reader.fieldnames or []), list(reader)
        _write_csv(folder / name, fields, [r for r in rows if r["MRN"] not in held])
    return len(held)


def _write_csv(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def setup(work: Path, residents: int, seed: int, holdout: int) -> dict[str, Any]:
    """Region (``holdout`` of Mercy's patients held out), keys, governance with
    subscriptions, every export ingested and linked."""
    import duckdb

    from kernel.home import HubHome
    from linkage.run import run_linkage
    from partner.encode import encode_partner
    from partner.keygen import keygen
    from partner.submit import submit
    from synth import PARTNERS, generate
    from warehouse.governance import (
        PartnerRegistration,
        Subscription,
        load_governance,
        save_governance,
        write_governance,
    )
    from warehouse.ingest import ingest_landing
    from warehouse.keys import ensure_signing_key

    home = HubHome(work / "home").ensure()
    keys = work / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generate(work / "region", residents=residents, seed=seed, progress=False)
    held = hold_out(work / "region", holdout, seed)
    registrations = []
    for partner in PARTNERS.values():
        made = keygen(keys, partner.partner_id, shared_secret=keys / "shared.secret", force=True)
        registrations.append(
            PartnerRegistration(
                partner_id=partner.partner_id,
                sector=partner.sector,
                extract_public_key=made.public_key_b64,
                key_fingerprint=str(made.key_fingerprint),
                signing_public_key=made.signing_public_key_b64,
            )
        )
    ensure_signing_key(home)
    write_governance(home, registrations, agreements=False)
    governance = load_governance(home)
    subscriptions = tuple(
        Subscription(
            partner=partner,
            purpose="Benchmark: care coordination after a hospital visit",
            alert_types=TYPES,
            from_sectors=("hospital",),
        )
        for partner in SUBSCRIBERS
    )
    save_governance(
        home,
        governance.model_copy(
            update={"subscriptions": subscriptions, "version": governance.version + 1}
        ),
    )
    approve(home, keys)
    records = 0
    for partner in PARTNERS.values():
        result = encode_partner(
            partner.partner_id,
            keys / "shared.secret",
            ROOT / "partner" / "mappings" / f"{partner.partner_id}.yaml",
            work / "region" / "partners" / partner.partner_id,
            work / "outgoing" / partner.partner_id,
            as_of=date.fromisoformat(AS_OF),
        )
        submit(result.package, home.landing / partner.partner_id)
        records += result.persons_rows
    with duckdb.connect(str(home.hub_db)) as con:
        outcomes = [r.outcome for r in ingest_landing(home, con)]
        assert outcomes.count("ingested") == len(PARTNERS), outcomes
        linked = run_linkage(con, home)
    return {
        "records": records,
        "persons": linked.persons,
        "held_out": held,
        "setup_seconds": round(time.perf_counter() - started, 1),
    }


def approve(home: Any, keys: Path) -> None:
    """Have every partner approve the hub's governance as it stands (alerts leave only under
    a quorum-approved one); nothing to do when it is the version in force."""
    from kernel import clock
    from partner.keygen import read_signing_key, signing_key_paths
    from synth import PARTNERS
    from warehouse.governance_flow import GovernanceNotApproved, adopt_with_keys, check_in_force

    try:
        check_in_force(home)
        return
    except GovernanceNotApproved:
        pass
    signers = {p: read_signing_key(signing_key_paths(keys, p)[0]) for p in PARTNERS}
    adopt_with_keys(home, signers, title="founding, with the alert subscriptions", now=clock.now())


def prepared_hub(work: Path, residents: int, seed: int, holdout: int) -> dict[str, Any]:
    """The set-up of :func:`setup`, built once per ``work`` folder and restored after.

    The first call builds it and saves the hub home and the partners' crosswalks under
    ``work/base``; a later call (another run of this script with the same ``--work``) restores
    them, so every run starts from the same hub (at 1M records the set-up takes many minutes).
    """
    base = work / BASE
    saved = base / "setup.json"
    if not saved.exists():
        built = setup(work, residents, seed, holdout)
        if base.exists():
            shutil.rmtree(base)
        shutil.copytree(work / "home", base / "home")
        shutil.copytree(work / "keys", base / "keys")
        saved.write_text(
            json.dumps({**built, "residents": residents, "seed": seed, "holdout": holdout})
        )
        return built
    built = json.loads(saved.read_text())
    was = (built["residents"], built["seed"], built.get("holdout", 0))
    if was != (residents, seed, holdout):
        raise SystemExit(
            f"{saved} holds a set-up of --residents {was[0]} --seed {was[1]} --holdout {was[2]}; "
            "pass those or another --work folder"
        )
    for name in ("home", "keys", "batches"):
        shutil.rmtree(work / name, ignore_errors=True)
    from kernel.home import HubHome

    approve(HubHome(base / "home"), base / "keys")  # a set-up saved before approvals existed
    shutil.copytree(base / "home", work / "home")
    shutil.copytree(base / "keys", work / "keys")
    built["setup_seconds"] = 0.0
    return built


def warm_up() -> None:
    """Import what the hub's path imports on first use (Great Expectations, Splink), as a warm
    code location has (docs/deployment.md): a run that imports them pays seconds to minutes
    on a loaded machine (without compiled bytecode, ~90 s at load 12 here)."""
    import splink  # noqa: F401

    from quality.gx_suites import import_gx

    import_gx()


def send_batch(work: Path, events: int, seed: int, new: int | None = None) -> tuple[Path, Path]:
    """Mercy writes and encodes a batch of ``events`` encounters; returns (package, raw).

    With ``new`` (0, 1, ...), the batch is about the ``new``-th slice of ``events`` held-out
    patients (:func:`hold_out`): records the hub has not linked yet."""
    from kernel import clock
    from partner.encode import encode_partner
    from synth.event_batch import write_event_batch

    raw = work / "batches" / f"batch-{seed}"
    region = work / "region"
    if new is not None:
        with (region / HELD_OUT / "patients.csv").open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields, rows = list(reader.fieldnames or []), list(reader)
        chosen = rows[new * events : (new + 1) * events]
        if len(chosen) < events:
            raise SystemExit(f"--holdout {len(rows)} is too small for {new + 1} new batches")
        region = work / "batches" / f"held-out-{new}"
        _write_csv(region / "partners" / HOSPITAL / "patients.csv", fields, chosen)
    write_event_batch(region, raw, events=events, moment=clock.now(), seed=seed)
    keys = work / "keys"
    encoded = encode_partner(
        HOSPITAL,
        keys / "shared.secret",
        ROOT / "partner" / "mappings" / f"{HOSPITAL}.yaml",
        raw,
        work / "outgoing" / HOSPITAL,
        kind="events",
    )
    return encoded.package, raw


def alert_once(work: Path, package: Path, before: bool) -> dict[str, Any]:
    """Submit ``package`` and run ingest, the linkage scoped to it and alerts as alerts_job
    does. With ``before``, also time the previous path's linkage step (``run_linkage``: finds
    the new records by reading every current record) after the alerts, on the same hub."""
    import duckdb

    from kernel.home import HubHome
    from linkage.incremental import link_submissions
    from linkage.run import run_linkage
    from partner.submit import submit
    from warehouse.alerts import process_alerts
    from warehouse.governance import load_governance
    from warehouse.ingest import ingest_submission

    home = HubHome(work / "home")
    submit(package, home.landing / HOSPITAL)
    laps: dict[str, float] = {}
    cpu = time.process_time()
    with duckdb.connect(str(home.hub_db)) as con:
        mark = time.perf_counter()
        ingested = ingest_submission(home, con, package.name)
        assert ingested.outcome == "ingested", ingested.message
        laps["ingest"] = time.perf_counter() - mark
        mark = time.perf_counter()
        linked = link_submissions(con, home, [package.name])
        laps["linkage"] = time.perf_counter() - mark
        mark = time.perf_counter()
        run = process_alerts(con, home, load_governance(home))
        laps["alerts"] = time.perf_counter() - mark
        # CPU seconds of the hub's work (all threads): steadier than wall time under load.
        laps["cpu"] = time.process_time() - cpu
        if before:
            mark = time.perf_counter()
            run_linkage(con, home)
            laps["before_linkage"] = time.perf_counter() - mark
    (batch,) = run.batches
    return {
        "latency": batch.latency_seconds,
        "mode": f"{linked.mode}, {linked.new} new",
        "steps": linked.steps,
        "sent": run.sent,
        "counts": batch.counts,
        **laps,
    }


def dagster_once(work: Path, package: Path) -> dict[str, Any]:
    """Submit ``package``; ingest_job, alerts_sensor and alerts_job as real Dagster runs."""
    import duckdb

    from kernel.home import HubHome
    from partner.submit import submit
    from pipelines.runner import follow_runs, process_landing

    home = HubHome(work / "home")
    submit(package, home.landing / HOSPITAL)
    ingested = process_landing(home, console_log_level="CRITICAL")
    followed = follow_runs(home, [r for r in ingested if r.success])
    assert followed and followed[0].success, followed
    with duckdb.connect(str(home.hub_db), read_only=True) as con:
        rows = con.execute(
            "SELECT latency_seconds FROM alerts.batches WHERE submission_id = ?", [package.name]
        ).fetchall()
    return {"latency": float(rows[0][0]), "ingest_run": ingested[0].seconds}


def replay(work: Path, package: Path, raw: Path) -> int:
    """The same package again, and the same encounters re-encoded: new items sent (want 0)."""
    import duckdb

    from kernel.home import HubHome
    from linkage.incremental import link_submissions
    from partner.encode import encode_partner
    from partner.submit import submit
    from warehouse.alerts import process_alerts
    from warehouse.governance import load_governance
    from warehouse.ingest import ingest_submission

    home = HubHome(work / "home")
    shutil.copytree(package, home.landing / HOSPITAL / package.name)
    again = encode_partner(
        HOSPITAL,
        work / "keys" / "shared.secret",
        ROOT / "partner" / "mappings" / f"{HOSPITAL}.yaml",
        raw,
        work / "outgoing" / HOSPITAL,
        kind="events",
    )
    submit(again.package, home.landing / HOSPITAL)
    with duckdb.connect(str(home.hub_db)) as con:
        duplicate = ingest_submission(home, con, package.name)
        assert duplicate.outcome == "duplicate", duplicate.outcome
        ingest_submission(home, con, again.package.name)
        link_submissions(con, home, [again.package.name])
        return process_alerts(con, home, load_governance(home)).sent


def repeated_items(work: Path) -> int:
    """Items sent more than once: the same event and alert type to the same recipient record
    (want 0, whatever the replays)."""
    import duckdb

    from kernel.home import HubHome

    with duckdb.connect(str(HubHome(work / "home").hub_db), read_only=True) as con:
        return int(
            con.execute(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM alerts.sent "
                "GROUP BY recipient, recipient_pseudonym, source_partner, event_id, alert_type)"
            ).fetchall()[0][0]
        )


def together(work: Path, packages: list[Path]) -> set[tuple[str, str, str]]:
    """(Mercy record, other partner, its record) of every record put in one person with a
    record the ``packages`` are about, as the hub's linkage stands now (pseudonyms)."""
    import duckdb

    from kernel.home import HubHome

    home = HubHome(work / "home")
    with duckdb.connect(str(home.hub_db), read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT s.record_pseudonym, o.partner_id, o.record_pseudonym "
            "FROM staging.events AS e "
            "JOIN linkage.person_records AS s "
            "ON s.partner_id = e.partner_id AND s.record_pseudonym = e.record_pseudonym "
            "JOIN linkage.person_records AS o "
            "ON o.person_key = s.person_key AND o.partner_id <> s.partner_id "
            "WHERE e.submission_id IN (SELECT unnest($ids))",
            {"ids": [p.name for p in packages]},
        ).fetchall()
    return {(str(a), str(b), str(c)) for a, b, c in rows}


def placement(
    work: Path, scoped: set[tuple[str, str, str]], full: set[tuple[str, str, str]]
) -> dict[str, int]:
    """The new records' persons as the scoped run placed them against a full re-link's:
    (Mercy record, other partner's record) pairs one person in each, true or not."""
    resident = {}
    with (work / "region" / "ground_truth" / "truth.csv").open() as handle:
        for row in csv.DictReader(handle):
            resident[(row["partner_id"], row["source_record_id"])] = row["resident_id"]
    walks: dict[str, dict[str, str]] = {}

    def same(pair: tuple[str, str, str]) -> bool:
        mercy, partner, record = pair
        for name in (HOSPITAL, partner):
            if name not in walks:
                walks[name] = _crosswalk(work, name)
        return resident.get((HOSPITAL, walks[HOSPITAL][mercy])) == resident.get(
            (partner, walks[partner].get(record, ""))
        )

    return {
        "true, both": sum(same(x) for x in scoped & full),
        "true, scoped only": sum(same(x) for x in scoped - full),
        "true, full only": sum(same(x) for x in full - scoped),
        "false, scoped": sum(not same(x) for x in scoped),
        "false, full": sum(not same(x) for x in full),
    }


def yardstick(work: Path) -> float:
    """The nightly path: a full re-link of every record."""
    import duckdb

    from kernel.home import HubHome
    from linkage.run import run_linkage

    home = HubHome(work / "home")
    with duckdb.connect(str(home.hub_db)) as con:
        started = time.perf_counter()
        run_linkage(con, home, full_relink=True)
        return time.perf_counter() - started


def _crosswalk(work: Path, partner: str) -> dict[str, str]:
    with (work / "keys" / f"{partner}.crosswalk.csv").open() as handle:
        return {row["record_pseudonym"]: row["record_id"] for row in csv.DictReader(handle)}


def accuracy(work: Path, batches: list[Path]) -> dict[str, Any]:
    """Sent items against the ground truth and the rules (see the module docstring)."""
    import duckdb

    from kernel.home import HubHome

    truth: dict[tuple[str, str], str] = {}
    residents: dict[str, list[tuple[str, str]]] = {}
    with (work / "region" / "ground_truth" / "truth.csv").open() as handle:
        for row in csv.DictReader(handle):
            key = (row["partner_id"], row["source_record_id"])
            truth[key] = row["resident_id"]
            residents.setdefault(row["resident_id"], []).append(key)
    partners = (HOSPITAL, *SUBSCRIBERS)
    walks = {p: _crosswalk(work, p) for p in partners}
    home = HubHome(work / "home")
    with duckdb.connect(str(home.hub_db), read_only=True) as con:
        consent = {
            (p, walks[p][r]): bool(c)
            for p, r, c in con.execute(
                "SELECT partner_id, record_pseudonym, consented FROM staging.current_persons"
            ).fetchall()
            if p in walks and r in walks[p]
        }
        sent = con.execute(
            "SELECT recipient, recipient_pseudonym, source_pseudonym, alert_type, alert_date "
            "FROM alerts.sent"
        ).fetchall()
        violations = con.execute(
            "SELECT count(*) FROM alerts.sent AS a "
            "JOIN staging.current_persons AS r ON r.partner_id = a.recipient "
            "AND r.record_pseudonym = a.recipient_pseudonym "
            "JOIN staging.events AS e ON e.partner_id = a.source_partner "
            "AND e.event_id = a.event_id AND e.submission_id = a.submission_id "
            "JOIN staging.persons AS s ON s.submission_id = e.submission_id "
            "AND s.record_pseudonym = e.record_pseudonym "
            "WHERE NOT r.consented OR NOT s.consented OR (e.part2 AND NOT s.part2_consent)"
        ).fetchall()[0][0]
    got = {
        (rcpt, walks[rcpt][rp], walks[HOSPITAL][sp], kind, str(day))
        for rcpt, rp, sp, kind, day in sent
    }
    expected = set()
    for raw in batches:
        with (raw / "encounters.csv").open() as handle:
            for row in csv.DictReader(handle):
                source = (HOSPITAL, row["MRN"])
                resident = truth[source]
                records = residents[resident]
                if not all(consent.get(r, False) for r in records if r in consent):
                    continue  # a record of the resident is not consented: withheld, by rule
                kinds = [("ed_visit" if row["ENC_TYPE"] == "ED" else "admission", "ADMIT_DT")]
                if row["ENC_TYPE"] == "IP" and row["DISCH_DT"]:
                    kinds.append(("discharge", "DISCH_DT"))
                for partner, record in records:
                    if partner in SUBSCRIBERS and (partner, record) in consent:
                        for kind, column in kinds:
                            day = _iso_day(row[column])
                            expected.add((partner, record, row["MRN"], kind, day))
    correct = {g for g in got if truth.get((g[0], g[1])) == truth.get((HOSPITAL, g[2]))}
    return {
        "sent": len(got),
        "precision": len(correct) / len(got) if got else 1.0,
        "recall": len(got & expected) / len(expected) if expected else 1.0,
        "expected": len(expected),
        "other_partners_clients": len(got) - len(correct),
        "rule_violations": int(violations),
    }


def _iso_day(text: str) -> str:
    month, day, rest = text.split("/")
    return f"{rest[:4]}-{month}-{day}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--new-runs", type=int, default=5, help="batches about patients the hub has not linked"
    )
    parser.add_argument(
        "--holdout",
        type=int,
        default=5000,
        help="Mercy patients held out of the set-up's export (the new batches' patients)",
    )
    parser.add_argument("--dagster-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="work folder; a set-up saved there (--setup-only) is restored instead of rebuilt",
    )
    parser.add_argument(
        "--before",
        type=int,
        default=0,
        metavar="N",
        help="also time the previous linkage step (run_linkage) after the first N runs",
    )
    parser.add_argument(
        "--no-yardstick", action="store_true", help="skip the full re-link (minutes at 1M)"
    )
    parser.add_argument(
        "--setup-only", action="store_true", help="build and save the set-up, time nothing"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="carehub-alerts-"))
    print(f"work folder {work}; load {_load()}", flush=True)
    built = prepared_hub(work, args.residents, args.seed, args.holdout)
    if args.setup_only:
        print(f"set-up saved in {work / BASE}; load {_load()}")
        return
    print(
        f"hub: {built['records']:,} records, {built['persons']:,} persons "
        f"(set-up {built['setup_seconds']} s); load {_load()}",
        flush=True,
    )
    warm_up()
    batches: list[tuple[Path, Path]] = []
    lib: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    plan: list[tuple[list[dict[str, Any]], int, int | None]]
    plan = [(lib, i, None) for i in range(args.runs)]
    plan += [(new, args.runs + i, i) for i in range(args.new_runs)]
    for into, i, held in plan:
        package, raw = send_batch(work, args.events, 1000 + i, held)
        batches.append((package, raw))
        into.append(alert_once(work, package, i < args.before))
        r = into[-1]
        steps = ", ".join(f"{k} {v:.1f}" for k, v in r["steps"].items())
        print(
            f"  run {i + 1}{' (new patients)' if held is not None else ''}: "
            f"latency {r['latency']:.1f} s (ingest {r['ingest']:.1f}, "
            f"linkage {r['linkage']:.1f} [{r['mode']}: {steps}], alerts {r['alerts']:.1f}; "
            f"CPU {r['cpu']:.1f} s); {r['sent']} items"
            + (f"; before: linkage {r['before_linkage']:.1f} s" if "before_linkage" in r else "")
            + f"; load {_load()}",
            flush=True,
        )
    dag = []
    for i in range(args.dagster_runs):
        package, raw = send_batch(work, args.events, 2000 + i)
        batches.append((package, raw))
        dag.append(dagster_once(work, package))
        print(f"  dagster run {i + 1}: latency {dag[-1]['latency']:.1f} s; load {_load()}")
    replayed = sum(replay(work, package, raw) for package, raw in batches)
    new_packages = [package for package, _ in batches[len(lib) : len(lib) + len(new)]]
    scoped = together(work, new_packages) if new_packages else set()
    relink = yardstick(work) if not args.no_yardstick else float("nan")
    placed = (
        placement(work, scoped, together(work, new_packages))
        if new_packages and not args.no_yardstick
        else None
    )
    acc = accuracy(work, [raw for _, raw in batches])
    news = {raw for _, raw in batches[len(lib) : len(lib) + len(new)]}
    by_kind = {
        name: accuracy(work, [raw for _, raw in batches if (raw in news) is is_new])
        for name, is_new in (("existing patients", False), ("new patients", True))
        if any((raw in news) is is_new for _, raw in batches)
    }
    median = statistics.median(r["latency"] for r in lib) if lib else float("nan")
    print()
    print(
        f"records {built['records']:,} ({built.get('held_out', 0):,} Mercy patients held out), "
        f"batch {args.events} events, runs {args.runs} + {args.new_runs} with new patients"
    )
    for name, runs in (("existing patients", lib), ("new patients", new)):
        if not runs:
            continue
        print(
            f"latency arrival -> alert written, {name}, median of {len(runs)}: "
            f"{statistics.median(r['latency'] for r in runs):.1f} s"
        )
        print(
            "  stages (median): "
            + ", ".join(
                f"{s} {statistics.median(r[s] for r in runs):.1f} s"
                for s in ("ingest", "linkage", "alerts", "cpu")
            )
        )
    if args.before:
        old = statistics.median(r["before_linkage"] for r in lib if "before_linkage" in r)
        print(
            f"before (same runs): the previous linkage step (run_linkage) {old:.1f} s median, "
            f"so latency then ~ {median - statistics.median(r['linkage'] for r in lib) + old:.1f} s"
        )
    if dag:
        # The first run of a process imports Dagster's run machinery and Great Expectations;
        # a daemon launching each run in a new process pays that every time.
        warm = [d["latency"] for d in dag[1:]] or [dag[0]["latency"]]
        print(
            f"latency through Dagster runs in one process: first (cold) {dag[0]['latency']:.1f} s, "
            f"median of the {len(warm)} warm: {statistics.median(warm):.1f} s"
        )
    if not args.no_yardstick:
        print(
            f"yardstick: full re-link (the nightly path) {relink:.1f} s; "
            f"ratio alert latency / re-link {median / relink:.2f}"
        )
    print(
        f"routing vs truth: {acc['sent']} items sent, precision {acc['precision']:.4f}, "
        f"recall {acc['recall']:.4f} of {acc['expected']} allowed; "
        f"{acc['other_partners_clients']} about another partner's client; "
        f"{acc['rule_violations']} against consent/Part 2 rules"
    )
    for name, part in by_kind.items():
        print(f"  {name}: recall {part['recall']:.4f} of {part['expected']}")
    if placed is not None:
        print(
            "new patients' records placed by the scoped run vs the full re-link "
            "(Mercy record, other partner's record) in one person: "
            + ", ".join(f"{k} {v}" for k, v in placed.items())
        )
    # A replay may still send an item never sent before: a recipient record linked to the
    # event's person since (a later package placed a record that joined them).
    print(
        f"replays of every batch (same package + re-encoded): {repeated_items(work)} items "
        f"sent twice; {replayed} first-time items (recipients linked since the first send)"
    )
    print(f"load {_load()}")


if __name__ == "__main__":
    main()
