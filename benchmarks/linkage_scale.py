"""Linkage at scale: ~1M partner records, encoded vs plaintext Splink in the same run.

Each phase runs in its own process so its peak memory (ru_maxrss) is its own:

A. encoded: ``linkage.run_linkage`` from scratch (train, predict, cluster, keys, tables);
B. incremental: a further 10k-record batch linked against the result of A;
C. plaintext: the best plaintext Splink model (benchmarks/linkage_accuracy.py) on the same
   records as A (train, predict, cluster).

Goals: A <= 1.5 x C, peak memory <= 4 GiB, B <= 15 s. Each phase also prints its CPU time
(all threads): on a shared, loaded machine it is the steadier figure to compare. A and C also
print their pairwise precision / recall / F1 against the generator's truth (through the
partners' crosswalks, as ``linkage.evaluate`` scores them; not part of the timed run).

    .venv/bin/python benchmarks/linkage_scale.py --records 1000000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))  # after ROOT: benchmarks/synth.py must not shadow synth

RECORDS_PER_RESIDENT = 0.69  # measured on the synthetic region (seed 11)
GIB = 1024**3


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _encoded(work: str, incremental: bool, queue: Any) -> None:
    import duckdb
    import pandas  # noqa: F401 - loaded in any hub process (Dagster); keep its import untimed
    import polars as pl

    from kernel.home import HubHome
    from linkage.accuracy import evaluate
    from linkage.run import run_linkage

    home = HubHome(Path(work) / "home").ensure()
    records = pl.read_parquet(Path(work) / "records.parquet")
    held = pl.col("held")
    con = duckdb.connect(str(home.hub_db))
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.register("r", (records if incremental else records.filter(~held)).drop("held").to_arrow())
    con.execute("CREATE OR REPLACE TABLE staging.current_persons AS SELECT * FROM r")
    con.unregister("r")
    del records
    started, cpu = time.perf_counter(), time.process_time()
    result = run_linkage(con, home)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _peak_bytes()  # before the evaluation, which is no part of the run
    # A's answer against the generator's truth (B's batch is too small to say much).
    metrics = None if incremental else evaluate(con, _truth(Path(work)), relation=None)
    con.close()
    queue.put(
        {
            "seconds": seconds,
            "cpu": cpu,
            "peak": peak,
            "mode": result.mode,
            "records": result.records,
            "added": result.added,
            "persons": result.persons,
            "scored_pairs": result.scored_pairs,
            "churn": result.churn.as_dict(),
            "metrics": metrics,
        }
    )


def _truth(work: Path) -> Any:
    """The generator's truth keyed as the hub keys records (partner crosswalks), as Arrow."""
    from linkage.accuracy import truth_from_crosswalks
    from synth import PARTNER_IDS

    crosswalks = {p: work / "keys" / f"{p}.crosswalk.csv" for p in PARTNER_IDS}
    return truth_from_crosswalks(
        work / "region" / "ground_truth" / "truth.csv", crosswalks
    ).to_arrow()


def _accuracy(metrics: Any) -> str:
    return (
        f"pairwise P / R / F1 {metrics.precision:.4f} / {metrics.recall:.4f} / "
        f"{metrics.f1:.4f} (B-cubed F1 {metrics.bcubed_f1:.4f})"
    )


def _plaintext(work: str, queue: Any) -> None:
    import pandas  # noqa: F401 - as in _encoded
    import polars as pl
    from linkage_accuracy import link_plaintext, plaintext_metrics

    records = pl.read_parquet(Path(work) / "plain.parquet")
    started, cpu = time.perf_counter(), time.process_time()
    clusters, _ = link_plaintext(records)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _peak_bytes()
    truth = pl.from_arrow(_truth(Path(work)))
    assert isinstance(truth, pl.DataFrame)
    queue.put(
        {
            "seconds": seconds,
            "cpu": cpu,
            "peak": peak,
            "records": records.height,
            "persons": clusters["cluster_id"].n_unique(),
            "metrics": plaintext_metrics(clusters, records, truth),
        }
    )


def _in_process(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="partner records, about")
    parser.add_argument("--batch", type=int, default=10_000, help="incremental batch size")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--work", type=Path, help="work folder (kept); default a temp folder")
    args = parser.parse_args()

    import polars as pl

    from tests.test_linkage_support import encoded_region, plaintext_region

    work = args.work or Path(tempfile.mkdtemp(prefix="linkscale-"))
    residents = int(args.records / RECORDS_PER_RESIDENT)
    try:
        if not (work / "records.parquet").exists():
            work.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            records, _truth = encoded_region(work, residents=residents, seed=args.seed)
            print(
                f"region of {residents:,} residents through the real encoder: "
                f"{records.height:,} records in {time.perf_counter() - t:.0f}s",
                flush=True,
            )
            # The batch: a deterministic sample of records, linked last.
            records = records.with_columns(
                held=pl.int_range(pl.len()).shuffle(seed=args.seed) < args.batch
            )
            records.write_parquet(work / "records.parquet")
            keep = records.filter(~pl.col("held")).select("partner_id", "record_pseudonym")
            plaintext_region(work).join(keep, on=["partner_id", "record_pseudonym"]).write_parquet(
                work / "plain.parquet"
            )
            del records
        shutil.rmtree(work / "home", ignore_errors=True)  # phase A starts from an empty hub
        a = _in_process(_encoded, str(work), False)
        print(
            f"A encoded full     {a['records']:>9,} records  {a['seconds']:7.1f}s "
            f"(cpu {a['cpu']:6.1f}s)  "
            f"peak {a['peak'] / GIB:5.2f} GiB  persons {a['persons']:,}  "
            f"scored pairs {a['scored_pairs']:,}",
            flush=True,
        )
        print(f"A encoded accuracy   {_accuracy(a['metrics'])}", flush=True)
        b = _in_process(_encoded, str(work), True)
        print(
            f"B incremental      {b['added']:>9,} records  {b['seconds']:7.1f}s "
            f"(cpu {b['cpu']:6.1f}s)  "
            f"peak {b['peak'] / GIB:5.2f} GiB  mode {b['mode']}  churn {b['churn']}",
            flush=True,
        )
        c = _in_process(_plaintext, str(work))
        print(
            f"C plaintext full   {c['records']:>9,} records  {c['seconds']:7.1f}s "
            f"(cpu {c['cpu']:6.1f}s)  "
            f"peak {c['peak'] / GIB:5.2f} GiB  persons {c['persons']:,}",
            flush=True,
        )
        print(f"C plaintext accuracy {_accuracy(c['metrics'])}", flush=True)
        ratio = a["seconds"] / c["seconds"]
        print(f"encoded / plaintext CPU-time ratio: {a['cpu'] / c['cpu']:.2f}")
        peak = max(a["peak"], b["peak"])
        print(
            f"encoded / plaintext time ratio: {ratio:.2f} (goal <= 1.5: "
            f"{'MET' if ratio <= 1.5 else 'NOT MET'})"
        )
        print(
            f"peak memory of linkage: {peak / GIB:.2f} GiB (goal <= 4: "
            f"{'MET' if peak <= 4 * GIB else 'NOT MET'})"
        )
        print(
            f"incremental {b['added']:,} against {a['records']:,}: {b['seconds']:.1f}s "
            f"(goal <= 15 s: {'MET' if b['seconds'] <= 15 else 'NOT MET'})"
        )
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
