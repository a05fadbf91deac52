"""Throughput of the partner encoder: records per second with all encodings (spec 1.0).

    .venv/bin/python benchmarks/encode.py --records 1000000 --repeats 3

Builds raw partner records (names with accents, nicknames and placeholders, mixed date formats
already parsed by the mapping layer, addresses with units, phones, SSNs) in memory, then times
``linkage.encoding.encode_persons`` end to end: normalisation, 11 AES-CMAC token kinds, the record
pseudonym, three hardened Bloom filters and the encoding report. Prints the median of the
repeats; the machine is shared, so read the figure with the load average printed beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date

import numpy as np
import polars as pl

from linkage.encoding import EncodingKeys, encode_persons

FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Bill",
    "Bob",
    "Zoë",
    "José",
    "Ana-María",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Kateřina",
    "Søren",
]
LAST = [
    *[
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Garcia",
        "Miller",
        "Davis",
        "Rodriguez",
        "Martinez",
        "Hernandez",
    ],
    *[
        "Lopez",
        "Gonzalez",
        "Wilson",
        "Anderson",
        "Thomas",
        "Taylor",
        "Moore",
        "Jackson",
        "Martin",
        "Nguyen",
        "Müller",
    ],
    *("O'Brien", "García-López", "van der Berg", "Kowalski"),
]
STREETS = [
    "Elm",
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "River",
    "Church",
]
KINDS = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Lane", "Dr"]


def raw_records(n: int, seed: int = 1) -> pl.DataFrame:
    """``n`` raw records with realistic cardinalities (many distinct tails, shared common names)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    tail_first = rng.random(n) < 0.3
    tail_last = rng.random(n) < 0.5
    first = np.where(
        tail_first,
        np.char.add("Name", (rng.integers(0, 20_000, n)).astype(str)),
        np.array(FIRST)[rng.integers(0, len(FIRST), n)],
    )
    last = np.where(
        tail_last,
        np.char.add("Surname", (rng.integers(0, 200_000, n)).astype(str)),
        np.array(LAST)[rng.integers(0, len(LAST), n)],
    )
    dob = np.datetime64("1930-01-01") + rng.integers(0, 95 * 365, n).astype("timedelta64[D]")
    street = [
        f"{h} {STREETS[s]} {KINDS[k]}{' Apt ' + str(u) if u < 30 else ''}"
        for h, s, k, u in zip(
            rng.integers(1, 9999, n),
            rng.integers(0, 12, n),
            rng.integers(0, 8, n),
            rng.integers(0, 100, n),
            strict=True,
        )
    ]
    zips = np.char.add("03", rng.integers(100, 900, n).astype(str))
    phones = np.char.add("(603) 555-", np.char.zfill(rng.integers(0, 10_000, n).astype(str), 4))
    phones = np.char.add(
        np.char.add("(", rng.integers(201, 989, n).astype(str)),
        np.char.add(") 5", phones.astype(str).astype("U")),
    )
    ssn = np.char.zfill((idx + 1_000_000).astype(str), 9)
    return pl.DataFrame(
        {
            "record_id": np.char.add("R", idx.astype(str)),
            "first_name": first,
            "last_name": last,
            "dob": pl.Series(dob).cast(pl.Date),
            "sex": np.array(["F", "M", "U"])[rng.integers(0, 3, n)],
            "street": street,
            "zip": zips,
            "phone": phones,
            "ssn": ssn,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    raw = raw_records(args.records)
    keys = EncodingKeys.derive(
        b"benchmark-shared-secret-0123456789abcdef", b"benchmark-partner-key-0123456789abcdef"
    )
    times, cpu, loads = [], [], []
    for _ in range(args.repeats):
        loads.append(os.getloadavg()[0])
        start, start_cpu = time.perf_counter(), time.process_time()
        out = encode_persons(raw, keys, partner_id="bench", as_of=date(2026, 6, 30))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    med = statistics.median(times)
    med_cpu = statistics.median(cpu)
    print(f"records            {args.records:,}")
    print(f"columns out        {out.persons.width}")
    print(f"median seconds     {med:.2f}  (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"records per second {args.records / med:,.0f}  (wall clock)")
    print(f"median CPU seconds {med_cpu:.2f}  (all threads)")
    print(
        f"records per CPU-s  {args.records / med_cpu:,.0f}  x {os.cpu_count()} cores = "
        f"{args.records / med_cpu * (os.cpu_count() or 1):,.0f}/s on an idle machine"
    )
    print(
        f"load average       {statistics.median(loads):.2f} at the starts "
        f"(machine shared; {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
