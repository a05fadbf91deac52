"""Benchmark: features, segments and marts for ~1M partner records; analyst query latency.

    .venv/bin/python benchmarks/marts.py                 # ~1M records (575,000 persons)
    .venv/bin/python benchmarks/marts.py --persons 50000 --repeat 1

Generates synthetic hub inputs in a fresh DuckDB file (not timed), then times each stage
(``repeat`` times, median) and the example queries of docs/marts.md on the published marts
(median of 20 runs each, after one warm-up). Prints wall and CPU seconds: the machine is
shared, so wall time depends on the neighbours; CPU time does not.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from kernel.home import HubHome
from warehouse.features import build_features
from warehouse.marts import create_sample_inputs, publish_marts
from warehouse.segments import compute_membership, load_segments

AS_OF = date(2026, 10, 31)
DOCS = Path(__file__).parents[1] / "docs" / "marts.md"
TARGET_PIPELINE_S = 30.0
TARGET_QUERY_MS = 100.0


def timed(step: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = step()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def example_queries() -> list[str]:
    section = DOCS.read_text().split("## Example queries", 1)[1]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=575_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="marts-bench-") as tmp:
        home = HubHome(Path(tmp) / "home").ensure()
        with duckdb.connect(str(home.hub_db)) as con:
            if args.threads:
                con.execute(f"SET threads = {int(args.threads)}")
            wall, _, counts = timed(
                lambda: create_sample_inputs(con, persons=args.persons, as_of=AS_OF)
            )
            print(
                f"inputs: {counts['persons']:,} persons, {counts['records']:,} records, "
                f"{counts['events']:,} events (generated in {wall:.1f} s, not timed)"
            )
            segments = load_segments(home)
            load_before = os.getloadavg()[0]
            stages: dict[str, list[tuple[float, float]]] = {
                "features": [],
                "segments": [],
                "marts": [],
            }
            result = None
            for _ in range(args.repeat):
                w, c, _ = timed(lambda: build_features(con, AS_OF))
                stages["features"].append((w, c))
                w, c, _ = timed(lambda: compute_membership(con, segments))
                stages["segments"].append((w, c))
                w, c, result = timed(lambda: publish_marts(con, home))
                stages["marts"].append((w, c))
        load_after = os.getloadavg()[0]
        print(
            f"load average {load_before:.1f} before, {load_after:.1f} after the timed stages "
            "(2 cores: above 2, the neighbours share them; compare CPU seconds)"
        )
        total_wall = total_cpu = 0.0
        for name, runs in stages.items():
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            total_wall += wall
            total_cpu += cpu
            print(f"{name:<10} wall {wall:6.2f} s   cpu {cpu:6.2f} s   (median of {len(runs)})")
        print(
            f"{'total':<10} wall {total_wall:6.2f} s   cpu {total_cpu:6.2f} s   "
            f"target {TARGET_PIPELINE_S:.0f} s wall: ratio {total_wall / TARGET_PIPELINE_S:.2f}"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(f"peak memory of this process: {peak:.2f} GiB")
        assert result is not None
        print(
            f"marts: {result.cells:,} counts, {result.suppressed_cells:,} suppressed "
            f"({result.primary_suppressed:,} small + {result.complementary_suppressed:,} "
            f"complementary), audit min interval {result.audit_min_width}"
        )
        with duckdb.connect(str(home.marts_db), read_only=True) as marts:
            worst = 0.0
            for i, sql in enumerate(example_queries(), 1):
                marts.sql(sql).fetchall()
                millis: list[float] = []
                for _ in range(20):
                    start = time.perf_counter()
                    marts.sql(sql).fetchall()
                    millis.append((time.perf_counter() - start) * 1000)
                median = statistics.median(millis)
                worst = max(worst, median)
                first = " ".join(sql.split())[:70]
                print(f"query {i}: median {median:6.2f} ms   max {max(millis):6.2f} ms   {first}")
        print(
            f"slowest example query: {worst:.2f} ms median "
            f"(target {TARGET_QUERY_MS:.0f} ms: ratio {worst / TARGET_QUERY_MS:.3f})"
        )


if __name__ == "__main__":
    main()
