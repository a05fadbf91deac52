"""Benchmark: features, segments and marts for ~1M partner records; analyst query latency.

    .venv/bin/python benchmarks/marts.py                 # ~1M records (575,000 persons)
    .venv/bin/python benchmarks/marts.py --persons 50000 --repeat 1
    .venv/bin/python benchmarks/marts.py --nights 10     # then nine nights with the ledger

Generates synthetic hub inputs in a fresh DuckDB file (not timed), then times each stage
(``repeat`` times, median) and the example queries of docs/marts.md on the published marts
(median of 20 runs each, after one warm-up). Prints wall and CPU seconds: the machine is
shared, so wall time depends on the neighbours; CPU time does not.

With ``--nights N``, the marts are then published ``N - 1`` more times, each night with
``--change`` persons fewer (a partner re-submission, as ``disclosure_attacks.py`` simulates),
so each publication is audited with the release ledger of the earlier ones (the differencing
attack over them): the time to publish with the ledger, night by night.
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
from warehouse.features.sqlscript import run_script
from warehouse.marts import create_sample_inputs, publish_marts
from warehouse.segments import compute_membership, load_segments

AS_OF = date(2026, 10, 31)
DOCS = Path(__file__).parents[1] / "docs" / "marts.md"
TARGET_PIPELINE_S = 30.0
TARGET_QUERY_MS = 100.0
DROP_PERSONS = Path(__file__).with_name("disclosure_drop_persons.sql")


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
    parser.add_argument("--nights", type=int, default=1, help="publications with the ledger")
    parser.add_argument("--change", type=int, default=2, help="persons fewer each night")
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
            nightly = _nights(con, home, args.nights, args.change)
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
        for night, (w, c, got) in enumerate(nightly, 2):
            print(
                f"marts, night {night} (ledger of {got.ledger_releases}): wall {w:6.2f} s"
                f"   cpu {c:6.2f} s   ledger_exposed {got.ledger_exposed}   "
                f"{got.suppressed_cells:,} suppressed ({got.complementary_suppressed:,} "
                "complementary)"
            )
        if nightly:
            walls = sorted(w for w, _, _ in nightly)
            print(
                f"marts with the ledger: median wall {statistics.median(walls):.2f} s, "
                f"worst {walls[-1]:.2f} s (target {TARGET_PIPELINE_S:.0f} s: ratio "
                f"{walls[-1] / TARGET_PIPELINE_S:.2f})"
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


def _nights(
    con: duckdb.DuckDBPyConnection, home: HubHome, nights: int, change: int
) -> list[tuple[float, float, Any]]:
    """Publish ``nights - 1`` more times, ``change`` persons fewer each time; each timed."""
    keys = [
        r[0] for r in con.execute("SELECT person_key FROM features.persons ORDER BY 1").fetchall()
    ]
    out = []
    for night in range(1, nights):
        run_script(con, DROP_PERSONS, {"keys": keys[(night - 1) * change : night * change]})
        out.append(timed(lambda: publish_marts(con, home)))
    return out


if __name__ == "__main__":
    main()
