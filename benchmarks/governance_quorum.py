"""What governance by quorum costs: the gate per run, and approvals checked at the partner.

    .venv/bin/python benchmarks/governance_quorum.py --versions 1 10 100 --repeats 30

Builds a hub home with five partners (fresh X25519 and Ed25519 keys), founds the governance
(five approvals), then applies ``versions - 1`` further changes, each approved by three of the
five (a majority). For each chain length it prints medians over ``--repeats`` of:

* yardstick: ``load_governance`` (what every publishing run did before this issue);
* the gate: ``check_in_force`` (file hash, then every version's approvals back to the founding),
  cold: every governance text parsed afresh, as in a new run's process;
* at the partner: ``partner.open.check_governance`` on a manifest carrying the approvals.

The machine is shared: read the figures with the load average printed beside them.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from governance.proposals import _parsed
from kernel import clock
from kernel.home import HubHome
from kernel.signing import public_b64
from partner.open import check_governance
from warehouse import governance_flow as flow
from warehouse.governance import PartnerRegistration, load_governance, write_governance

PARTNERS = {
    "mercy_hospital": "hospital",
    "st_jude_medical": "hospital",
    "harbor_housing": "cbo_housing",
    "northside_food": "cbo_food",
    "county_public_health": "public_health",
}


def make_home(root: Path, versions: int) -> HubHome:
    home = HubHome(root / "home").ensure()
    keys = {p: Ed25519PrivateKey.generate() for p in PARTNERS}
    write_governance(
        home,
        [
            PartnerRegistration(
                p,
                sector,
                base64.b64encode(
                    X25519PrivateKey.generate()
                    .public_key()
                    .public_bytes(Encoding.Raw, PublicFormat.Raw)
                ).decode(),
                "ab" * 32,
                signing_public_key=public_b64(keys[p].public_key()),
            )
            for p, sector in PARTNERS.items()
        ],
    )
    flow.adopt_with_keys(home, keys, title="founding", now=clock.now())
    majority = dict(list(keys.items())[:3])
    for n in range(versions - 1):
        current = flow.in_force_governance(home)
        days = 14 + n % 60
        agreements = tuple(
            a.model_copy(update={"extract_valid_days": days}) for a in current.agreements
        )
        proposal = flow.propose_change(
            home,
            current.model_copy(update={"agreements": agreements}),
            title=f"change {n}",
            proposed_by="bench",
        )
        flow.approve_with_keys(home, proposal["proposal_id"], majority, clock.now())
        flow.apply(home, proposal["proposal_id"])
    return home


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time, cold: each run (a Dagster run is a fresh process) parses every text."""
    times = []
    for _ in range(repeats):
        _parsed.cache_clear()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(home: HubHome, repeats: int) -> tuple[float, float, float]:
    """Medians (ms): load_governance, the gate, the partner's check of the approvals."""
    manifest = {"governance_version": "x", "governance": flow.check_in_force(home).proof()}
    yard = median_ms(lambda: load_governance(home), repeats)
    gate = median_ms(lambda: flow.check_in_force(home), repeats)
    partner = median_ms(lambda: check_governance(manifest, Path("bench.extract.json")), repeats)
    return yard, gate, partner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    header = ("versions", "load_governance", "gate", "ratio", "partner check")
    print("{:>8} {:>16} {:>10} {:>6} {:>14}".format(*header))
    for versions in args.versions:
        with tempfile.TemporaryDirectory(prefix="carehub-bench-governance-") as tmp:
            yard, gate, partner = measure(make_home(Path(tmp), versions), args.repeats)
        print(
            f"{versions:>8} {yard:>13.2f} ms {gate:>7.2f} ms {gate / yard:>5.1f}x "
            f"{partner:>11.2f} ms"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
