"""Where a full linkage run spends its CPU, stage by stage, beside plaintext Splink's stages.

Reads the work folder of ``benchmarks/linkage_scale.py --work DIR`` (its ``records.parquet`` and
``plain.parquet``) and runs phase A (encoded, from an empty hub) and phase C (plaintext) again,
each in its own process, with the stages below wrapped in timers of CPU time
(``time.process_time``: all threads, so DuckDB's work counts; a loaded machine changes wall
time, not this). A stage called inside another is listed under it ("train > predict").

    .venv/bin/python benchmarks/linkage_scale.py --records 1000000 --work /tmp/scale
    .venv/bin/python benchmarks/linkage_profile.py --work /tmp/scale
"""

from __future__ import annotations

import argparse
import functools
import importlib
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))

from linkage_scale import _in_process  # noqa: E402 - after the path set-up above

INFERENCE = "splink.internals.linker_components.inference"
CLUSTERING = "splink.internals.linker_components.clustering"
TRAINING = "splink.internals.linker_components.training"
# (module, attribute[.method]): wrapped where it is looked up at call time.
ENCODED_STAGES = (
    ("linkage.run", "run_linkage"),
    ("linkage.run", "prepared"),
    ("linkage.run", "train"),
    ("linkage.model", "learn_guards"),
    ("linkage.model", "model_threshold"),
    ("linkage.run", "sample_linker"),
    ("linkage.charts", "model_charts"),
    ("linkage.run", "load_records"),
    ("linkage.run", "link_all"),
    ("linkage.link", "scorer"),
    ("linkage.engines", "DuckDBScorer.linker"),
    ("linkage.engines", "DuckDBScorer.keep"),
    ("linkage.link", "_count"),
    ("linkage.link", "cluster_records"),
    ("linkage.link", "estimate_accuracy"),
    ("linkage.charts", "waterfall_chart"),
    ("linkage.run", "assign_keys"),
    ("linkage.run", "write_run"),
    ("linkage.run", "cluster_stats"),
    ("linkage.run", "match_rates"),
)
PLAIN_STAGES = (
    ("linkage_accuracy", "link_plaintext"),
    ("linkage_accuracy", "train_plaintext"),
    (CLUSTERING, "LinkerClustering.cluster_pairwise_predictions_at_threshold"),
)
SPLINK_STAGES = (
    (INFERENCE, "LinkerInference.predict"),
    (TRAINING, "LinkerTraining.estimate_parameters_using_expectation_maximisation"),
    (TRAINING, "LinkerTraining.estimate_u_using_random_sampling"),
)


class Timers:
    """CPU seconds per stage path (outer > inner)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[str] = []

    def wrap(self, name: str, fn: Any) -> Any:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(name)
            path = " > ".join(self.stack)
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[path] += time.process_time() - started
                self.calls[path] += 1
                self.stack.pop()

        return timed

    def install(self, stages: tuple[tuple[str, str], ...]) -> None:
        for module_name, attribute in stages:
            owner: Any = importlib.import_module(module_name)
            *outer, name = attribute.split(".")
            for part in outer:
                owner = getattr(owner, part)
            setattr(owner, name, self.wrap(attribute.split(".")[-1], getattr(owner, name)))

    def rows(self) -> list[tuple[str, int, float]]:
        return [(path, self.calls[path], self.cpu[path]) for path in self.cpu]


def _encoded(work: str, queue: Any) -> None:
    import duckdb
    import pandas  # noqa: F401 - as in linkage_scale
    import polars as pl

    from kernel.home import HubHome

    timers = Timers()
    timers.install(ENCODED_STAGES + SPLINK_STAGES)
    from linkage.run import run_linkage

    home = HubHome(Path(work) / "profile-home").ensure()
    records = pl.read_parquet(Path(work) / "records.parquet").filter(~pl.col("held"))
    con = duckdb.connect(str(home.hub_db))
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.register("r", records.drop("held").to_arrow())
    con.execute("CREATE OR REPLACE TABLE staging.current_persons AS SELECT * FROM r")
    con.unregister("r")
    del records
    run_linkage(con, home)
    con.close()
    queue.put({"rows": timers.rows()})


def _plaintext(work: str, queue: Any) -> None:
    import pandas  # noqa: F401
    import polars as pl

    timers = Timers()
    timers.install(PLAIN_STAGES + SPLINK_STAGES)
    import linkage_accuracy

    linkage_accuracy.link_plaintext(pl.read_parquet(Path(work) / "plain.parquet"))
    queue.put({"rows": timers.rows()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="linkage_scale.py's work folder")
    parser.add_argument(
        "--phase", choices=("encoded", "plaintext"), action="append", help="default: both"
    )
    args = parser.parse_args()
    phases = args.phase or ["encoded", "plaintext"]
    shutil.rmtree(args.work / "profile-home", ignore_errors=True)
    for title, target in (("encoded (phase A)", _encoded), ("plaintext (phase C)", _plaintext)):
        if title.split()[0] not in phases:
            continue
        print(f"{title}: CPU seconds (all threads), calls")
        rows: list[tuple[str, int, float]] = _in_process(target, str(args.work))["rows"]
        for path, calls, cpu in rows:
            print(f"  {cpu:8.1f}  {calls:>3}  {path}")
    shutil.rmtree(args.work / "profile-home", ignore_errors=True)


if __name__ == "__main__":
    main()
