"""Ingest + validation throughput: 1M person records across the 5 partners, with their events.

    .venv/bin/python benchmarks/ingest.py [--records 1000000] [--events-per-person 2] [--repeats 1]

Builds spec-1.0 packages with the partner client's ``write_package`` (columns generated in DuckDB,
see ``ingest_persons.sql`` / ``ingest_events.sql``), registers the partners, then times in a
fresh Python process and a fresh hub home (so the Great Expectations import, the first build of
the GX project and suite setup all count):
``warehouse.ingest.ingest_landing`` over every package: gates, checksums, GX suites, locators,
referential integrity, the plaintext-identifier detector, drift, the transactional load and the
move to archive. Prints the total, per-stage figures and records per second. Goal: <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warehouse.features.build import DEFAULT_PARTNER_SECTORS  # noqa: E402 - after sys.path

PARTNERS = DEFAULT_PARTNER_SECTORS  # partner -> sector of the synthetic region

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from kernel.db import connection
from kernel.home import HubHome
from warehouse.ingest import ingest_landing
home = HubHome.resolve(sys.argv[1])
t_import = time.perf_counter()
from quality.gx_suites import import_gx
import_gx()  # counted separately: ingest imports it lazily, the same way
t_gx = time.perf_counter()
cpu_gx = time.process_time()
with connection(home.hub_db) as con:
    results = ingest_landing(home, con)
    t_done = time.perf_counter()
    rows = con.execute("SELECT count(*) FROM staging.persons").fetchone()[0]
    events = con.execute("SELECT count(*) FROM staging.events").fetchone()[0]
print(json.dumps({
    "total_s": t_done - t0,
    "import_s": t_import - t0,
    "gx_import_s": t_gx - t_import,
    "ingest_s": t_done - t_gx,
    "outcomes": [r.outcome for r in results],
    "stages": {k: sum(r.timings.get(k, 0.0) for r in results)
               for k in sorted({k for r in results for k in r.timings})},
    "cpu_s": time.process_time(),
    "cpu_import_s": cpu_gx,
    "load_average": __import__("os").getloadavg(),
    "persons": rows,
    "events": events,
}))
"""


def _public_key() -> str:
    import base64

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def build(root: Path, records: int, per: int) -> Path:
    """A registered hub home with one package per partner in landing; returns the home root."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from contract.spec import EVENT_SCHEMA, PERSON_SCHEMA
    from kernel.home import HubHome
    from kernel.signing import public_b64
    from partner.package import conform, write_package
    from warehouse.governance import PartnerRegistration, write_governance

    home = HubHome.resolve(root / "home").ensure()
    fingerprint = "0123456789abcdef" * 2
    signers = {pid: Ed25519PrivateKey.generate() for pid in PARTNERS}
    write_governance(
        home,
        [
            PartnerRegistration(
                pid, sector, _public_key(), fingerprint, "", public_b64(signers[pid].public_key())
            )
            for pid, sector in PARTNERS.items()
        ],
        agreements=False,
    )
    con = duckdb.connect()
    persons_sql = (ROOT / "benchmarks" / "ingest_persons.sql").read_text()
    events_sql = (ROOT / "benchmarks" / "ingest_events.sql").read_text()
    share = records // len(PARTNERS)
    for pid in PARTNERS:
        persons = con.execute(persons_sql, {"partner": pid, "n": share}).to_arrow_table()
        events = con.execute(events_sql, {"partner": pid, "n": share, "per": per}).to_arrow_table()
        write_package(
            home.landing / pid,
            partner_id=pid,
            persons=conform(persons, PERSON_SCHEMA, "persons.parquet"),
            events=conform(events, EVENT_SCHEMA, "events.parquet"),
            key_fingerprint=fingerprint,
            validate=False,
            signing_key=signers[pid],
        )
    return home.root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--events-per-person", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    import warnings

    warnings.simplefilter("ignore", UserWarning)
    runs = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="carehub-bench-ingest-") as tmp:
            t = time.perf_counter()
            home = build(Path(tmp), args.records, args.events_per_person)
            print(f"[{repeat + 1}] built 5 packages in {time.perf_counter() - t:.1f} s", flush=True)
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(home)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"[{repeat + 1}] total {run['total_s']:.1f} s (imports {run['import_s']:.1f} s, "
                f"GX import {run['gx_import_s']:.1f} s, ingest+validation "
                f"{run['ingest_s']:.1f} s); outcomes {run['outcomes']}; "
                f"{run['persons']:,} persons, {run['events']:,} events",
                flush=True,
            )
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in run["stages"].items())
            print(
                f"[{repeat + 1}] stages: {stages}; CPU of the ingest process {run['cpu_s']:.1f} s "
                f"(of which imports incl. GX {run['cpu_import_s']:.1f} s); load average at the "
                f"end {', '.join(f'{x:.1f}' for x in run['load_average'])} on "
                f"{__import__('os').cpu_count()} cores"
            )
            assert run["outcomes"] == ["ingested"] * len(PARTNERS), run["outcomes"]
            runs.append(run)
    total = statistics.median(r["total_s"] for r in runs)
    persons = runs[0]["persons"]
    print(
        f"median over {len(runs)} run(s): {total:.1f} s for {persons:,} person records and "
        f"{runs[0]['events']:,} events = {persons / total:,.0f} records/s; goal <= 60 s: "
        f"{'met' if total <= 60 else 'NOT met'} (ratio to goal {total / 60:.2f})"
    )


if __name__ == "__main__":
    main()
