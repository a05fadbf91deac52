"""Throughput and peak memory of ``carehub synth`` at about 1M partner records.

    .venv/bin/python benchmarks/synth.py       # ~1.45M residents -> ~1M records, 3 runs
    .venv/bin/python benchmarks/synth.py --residents 100000 --repeats 1

Each run is a fresh child process (so peak RSS is that run's own), writing a full region
(partner exports, ground truth, residents.parquet) to a scratch folder. Prints per run and the
median: wall time, partner records/s, all rows (records + events)/s, peak RSS. Goal on the
2-core machine: 1M partner records in <= 2 minutes and <= 4 GiB. The machine is shared, so the
load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 120.0
GOAL_GIB = 4.0


def _child(out: Path, residents: int, seed: int) -> None:
    # This file is benchmarks/synth.py: keep it from shadowing the synth package.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    sys.modules.pop("synth", None)
    generate = importlib.import_module("synth").generate

    start = time.perf_counter()
    summary = generate(out, residents=residents, seed=seed, progress=False)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "records": summary.records,
                "events": summary.events,
                "residents": residents,
                "peak_gib": peak_kib / 1024**2,
                "bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_450_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.residents, args.seed)
        return

    runs = []
    for i in range(args.repeats):
        scratch = Path(tempfile.mkdtemp(prefix="carehub-synth-bench-"))
        try:
            cmd = [sys.executable, __file__, "--residents", str(args.residents)]
            cmd += ["--seed", str(args.seed + i), "--child", str(scratch / "region")]
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            run = json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        runs.append(run)
        print(
            f"run {i + 1}: {run['residents']:,} residents -> {run['records']:,} partner records, "
            f"{run['events']:,} events in {run['seconds']:.1f} s; "
            f"{run['records'] / run['seconds']:,.0f} records/s, "
            f"{(run['records'] + run['events']) / run['seconds']:,.0f} rows/s; "
            f"peak RSS {run['peak_gib']:.2f} GiB; {run['bytes'] / 1024**2:,.0f} MiB written; "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    seconds = statistics.median(r["seconds"] for r in runs)
    records = statistics.median(r["records"] for r in runs)
    peak = statistics.median(r["peak_gib"] for r in runs)
    per_million = seconds * 1_000_000 / records
    print(
        f"median of {len(runs)}: {records:,.0f} partner records in {seconds:.1f} s = "
        f"{records / seconds:,.0f} records/s ({per_million:.1f} s per 1M records, goal "
        f"<= {GOAL_SECONDS:.0f} s: {'met' if per_million <= GOAL_SECONDS else 'MISSED'}); "
        f"peak RSS {peak:.2f} GiB (goal <= {GOAL_GIB:.0f} GiB: "
        f"{'met' if peak <= GOAL_GIB else 'MISSED'}); {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
