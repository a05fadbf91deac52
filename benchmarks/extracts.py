"""Partner extracts and deletion at scale: build + encrypt + sign + publish, open, and purge.

    .venv/bin/python benchmarks/extracts.py --records 1000000 --repeats 3

Builds a hub home with the real staging schema (``warehouse/staging/schema.sql``), ``--records``
partner records spread over the five synthetic partners (linked into persons with 1-3 records
each), four events per record, and segment membership for about 8% of persons; registers the five
partners with fresh X25519 keys. Then times, printing medians over ``--repeats``:

* ``build_extracts`` for every partner (content queries, HPKE, Ed25519, atomic publish, audit);
* ``partner.open.open_extract`` of each partner's extract (verify, decrypt, crosswalk, CSV);
* ``delete_pseudonyms`` of 1,000 pseudonyms (purge, catalog scan, compaction of hub.duckdb).

The machine is shared: read the figures with the load average printed beside them.
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kernel import clock
from kernel.home import HubHome
from kernel.signing import public_b64
from partner.open import open_extract
from warehouse.deletion import delete_pseudonyms
from warehouse.extracts import build_extracts
from warehouse.features.build import DEFAULT_PARTNER_SECTORS
from warehouse.governance import PartnerRegistration, load_governance, write_governance
from warehouse.governance_flow import adopt_with_keys
from warehouse.keys import ensure_signing_key, public_keys_path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PARTNERS = DEFAULT_PARTNER_SECTORS  # partner -> sector of the synthetic region
SEGMENTS = [
    "camden_high_utilizers",
    "frequent_ed_housing_instability",
    "food_insecurity_diabetes",
    "overdose_without_bh_services",
]


def make_hub(root: Path, records: int) -> tuple[HubHome, dict[str, Path]]:
    home = HubHome(root / "home").ensure()
    ensure_signing_key(home, now=datetime(2026, 1, 1, tzinfo=UTC))
    keys: dict[str, Path] = {}
    signers: dict[str, Ed25519PrivateKey] = {}
    registrations = []
    for partner, sector in PARTNERS.items():
        private = X25519PrivateKey.generate()
        path = root / f"{partner}.key"
        path.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        os.chmod(path, 0o600)
        keys[partner] = path
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        signers[partner] = Ed25519PrivateKey.generate()
        registrations.append(
            PartnerRegistration(
                partner,
                sector,
                base64.b64encode(raw).decode(),
                "ab" * 32,
                signing_public_key=public_b64(signers[partner].public_key()),
            )
        )
    write_governance(home, registrations, segments=SEGMENTS)
    # Extracts are built only under a governance the partners approved: they found it.
    adopt_with_keys(home, signers, title="founding", now=clock.now())
    con = duckdb.connect(str(home.hub_db))
    try:
        con.execute((ROOT / "warehouse" / "staging" / "schema.sql").read_text())
        params = {
            "partners": list(PARTNERS),
            "records": records,
            "segments": SEGMENTS,
            "at": clock.now(),
        }
        seed = (HERE / "extracts_seed.sql").read_text()
        for statement in filter(str.strip, seed.split(";\n")):
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used)
        for partner in PARTNERS:
            rows = con.execute(
                (HERE / "extracts_crosswalk.sql").read_text(), {"p": partner}
            ).fetchall()
            with open(root / f"{partner}.crosswalk.csv", "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["record_pseudonym", "record_id"])
                writer.writerows(rows)
    finally:
        con.close()
    return home, keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="carehub-bench-extracts-"))
    started = time.perf_counter()
    home, keys = make_hub(root, args.records)
    print(f"hub with {args.records:,} records built in {time.perf_counter() - started:.1f} s")
    governance = load_governance(home)
    build_times, open_times = [], []
    infos = []
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    for repeat in range(args.repeats):
        con = duckdb.connect(str(home.hub_db))
        t0 = time.perf_counter()
        infos = build_extracts(con, home, governance, now=now + timedelta(minutes=repeat))
        build_times.append(time.perf_counter() - t0)
        con.close()
        t0 = time.perf_counter()
        for info in infos:
            open_extract(
                info.current,
                keys[info.partner_id],
                root / f"{info.partner_id}.crosswalk.csv",
                root / f"{info.partner_id}.csv",
                public_keys_path(home),
                ledger=root / f"ledger-{repeat}.jsonl",
                now=now + timedelta(hours=1),
            )
        open_times.append(time.perf_counter() - t0)
    rows = sum(i.records for i in infos)
    withheld = sum(i.withheld for i in infos)
    load = os.getloadavg()[0]
    print(f"extract rows (all partners): {rows:,}; withheld for consent: {withheld:,}")
    for info in infos:
        print(f"  {info.partner_id:<22} {info.records:>8,} rows  {info.cohort_sizes}")
    print(
        f"build_extracts, 5 partners: median {statistics.median(build_times):.2f} s "
        f"({args.records / statistics.median(build_times):,.0f} input records/s)  "
        f"[load {load:.1f}]"
    )
    print(f"open_extract, 5 partners:   median {statistics.median(open_times):.2f} s")
    con = duckdb.connect(str(home.hub_db), read_only=True)
    forget = [
        r[0]
        for r in con.execute(
            (HERE / "extracts_forget.sql").read_text(), {"p": "harbor_housing", "n": 1000}
        ).fetchall()
    ]
    con.close()
    size = home.hub_db.stat().st_size
    t0 = time.perf_counter()
    report = delete_pseudonyms(home, "harbor_housing", forget)
    elapsed = time.perf_counter() - t0
    print(
        f"delete_pseudonyms, 1,000 pseudonyms: {elapsed:.2f} s; rows deleted "
        f"{report.total_rows_deleted:,}; hub.duckdb {size / 2**20:.0f} MiB -> "
        f"{home.hub_db.stat().st_size / 2**20:.0f} MiB; residual {len(report.residual)}  "
        f"[load {os.getloadavg()[0]:.1f}]"
    )


if __name__ == "__main__":
    main()
