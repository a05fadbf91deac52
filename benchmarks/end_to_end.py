"""The whole hub at scale: every stage from partner encode to extracts, timed, with peak memory.

    .venv/bin/python benchmarks/end_to_end.py --residents 20000
    .venv/bin/python benchmarks/end_to_end.py --records 50000 200000 1000000   # the cost chart

For each size a synthetic region is generated (untimed), then each stage runs in its own
process, so that its peak memory (``ru_maxrss``) is its own and no stage profits from another's
warm caches:

  encode      the five partners encode their exports and submit the packages (partner side)
  ingest      the landing sensor's pass: one Dagster ingest run per submission (GX validation)
  linkage     linkage_model + linked_persons (Splink on the encodings, stable person keys)
  segments    person_features + segment_membership
  marts       analyst_marts (disclosure control, atomic publication)
  report      the ecosystem report
  extracts    encrypted, signed partner extracts
  export      marts and features as Parquet for an external warehouse (warehouse/export.py)

and, in the same run on the same partner records, plaintext Splink (the best plaintext model of
benchmarks/linkage_accuracy.py: train, predict, cluster) as the yardstick for the linkage stage.

Every stage's seconds are measured inside its process after its imports, the code location's
load and the Dagster instance's opening (a running hub has them ready); ``process s`` adds
them back. Splitting the nightly job into three runs (linkage, segments, marts) adds two runs'
fixed cost that the real nightly job does not pay. Results are kept in
``benchmarks/out/end_to_end.json`` (one entry per size, the latest wins); the chart
``benchmarks/end_to_end.png`` and the section of ``benchmarks/RESULTS.md`` between the
``end_to_end`` markers are rewritten from it after each size, with the machine's description.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kernel import clock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))  # after ROOT: benchmarks/synth.py must not shadow synth

OUT = ROOT / "benchmarks" / "out"
STORE = OUT / "end_to_end.json"
CHART = ROOT / "benchmarks" / "end_to_end.png"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- end_to_end:begin -->", "<!-- end_to_end:end -->"
RECORDS_PER_RESIDENT = 0.69  # partner records per resident of the synthetic region (seed 11)
GIB = 1024**3
GOAL_SECONDS, GOAL_PEAK_GIB = 180.0, 4.0
STAGES = ("encode", "ingest", "linkage", "segments", "marts", "report", "extracts", "export")
AS_OF = "2026-11-01"


# ----------------------------------------------------------------------------- stage bodies
# Each runs in a fresh spawned process; it returns what it wants printed (counts only).


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _home(work: Path) -> Any:
    from kernel.home import HubHome

    return HubHome(work / "home")


def _partners(work: Path) -> list[tuple[str, str]]:
    from synth import PARTNERS

    return [(p.partner_id, p.sector) for p in PARTNERS.values()]


def stage_setup(work: Path) -> dict[str, Any]:
    """Partner keys, hub signing key and governance (onboarding; not a timed stage)."""
    from kernel import clock
    from partner.keygen import keygen, read_signing_key
    from warehouse.governance import PartnerRegistration, write_governance
    from warehouse.governance_flow import adopt_with_keys
    from warehouse.keys import ensure_signing_key

    home = _home(work).ensure()
    keys = work / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    secret = keys / "shared.secret"
    registrations = []
    for partner_id, sector in _partners(work):
        made = keygen(keys, partner_id, shared_secret=secret, force=True)
        registrations.append(
            PartnerRegistration(
                partner_id=partner_id,
                sector=sector,
                extract_public_key=made.public_key_b64,
                key_fingerprint=str(made.key_fingerprint),
                signing_public_key=made.signing_public_key_b64,
            )
        )
    ensure_signing_key(home)
    write_governance(home, registrations)
    # The partners found the governance: nothing is published under an unapproved version.
    signers = {
        r.partner_id: read_signing_key(keys / f"{r.partner_id}.ed25519.key") for r in registrations
    }
    adopt_with_keys(home, signers, title="founding", now=clock.now())
    return {"partners": len(registrations)}


def stage_encode(work: Path) -> dict[str, Any]:
    from datetime import date

    from partner.encode import encode_partner
    from partner.submit import submit

    home = _home(work)
    keys = work / "keys"
    mappings = ROOT / "partner" / "mappings"
    records = events = 0
    slowest = 0.0
    for partner_id, _sector in _partners(work):
        started = time.perf_counter()
        result = encode_partner(
            partner_id,
            keys / "shared.secret",
            mappings / f"{partner_id}.yaml",
            work / "region" / "partners" / partner_id,
            work / "outgoing" / partner_id,
            as_of=date.fromisoformat(AS_OF),
        )
        submit(result.package, home.landing / partner_id)
        slowest = max(slowest, time.perf_counter() - started)
        records += result.persons_rows
        events += result.events_rows
    # Partners encode on their own machines at the same time: the slowest one is on the path.
    return {"records": records, "events": events, "slowest_partner_s": round(slowest, 2)}


def stage_ingest(work: Path) -> dict[str, Any]:
    from pipelines.runner import process_landing

    runs = process_landing(_home(work))
    failed = [r.partition_key for r in runs if r.outcome != "ingested"]
    if failed:
        raise RuntimeError(f"ingest runs failed for {failed}")
    return {"submissions": len(runs)}


def _groups_run(work: Path, job: str, groups: tuple[str, ...]) -> dict[str, Any]:
    from pipelines.runner import definitions, run_job

    graph = definitions().resolve_asset_graph()
    keys = [
        node.key for node in graph.asset_nodes if node.is_executable and node.group_name in groups
    ]
    run = run_job(
        _home(work), job, asset_selection=keys, retries=False, instance=_PREPARED.get("instance")
    )
    if not run.success:
        problems = [str(f) for f in run.failures] + list(run.failed_checks)
        raise RuntimeError(f"{job} {groups} failed: {'; '.join(problems)}")
    return {"materialized": len(run.materialized)}


def stage_linkage(work: Path) -> dict[str, Any]:
    out = _groups_run(work, "nightly_job", ("linkage",))
    import duckdb

    with duckdb.connect(str(_home(work).hub_db), read_only=True) as con:
        row = con.execute(
            "SELECT count(*), count(DISTINCT person_key) FROM linkage.person_records"
        ).fetchone()
    assert row is not None
    return {**out, "records": int(row[0]), "persons": int(row[1])}


def stage_segments(work: Path) -> dict[str, Any]:
    return _groups_run(work, "nightly_job", ("segments",))


def stage_marts(work: Path) -> dict[str, Any]:
    return _groups_run(work, "nightly_job", ("marts",))


def stage_report(work: Path) -> dict[str, Any]:
    return _groups_run(work, "report_job", ("reports",))


def stage_extracts(work: Path) -> dict[str, Any]:
    out = _groups_run(work, "extracts_job", ("extracts",))
    files = list(_home(work).outbox.rglob("*.extract.json"))
    return {**out, "extracts": len(files)}


def stage_export(work: Path) -> dict[str, Any]:
    from warehouse.export import export_marts

    return {"parquet_rows": export_marts(_home(work)).rows}


def stage_plaintext(work: Path) -> dict[str, Any]:
    """Plaintext Splink on the same partner records (normalised, not encoded): the yardstick."""
    import pandas  # noqa: F401 - loaded in every hub process; keep it out of the timing
    from linkage_accuracy import link_plaintext

    from tests.test_linkage_support import plaintext_region

    records = plaintext_region(work)
    started = time.perf_counter()
    clusters, _ = link_plaintext(records)
    return {
        "_seconds": time.perf_counter() - started,
        "records": records.height,
        "persons": clusters["cluster_id"].n_unique(),
    }


BODIES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "setup": stage_setup,
    "encode": stage_encode,
    "ingest": stage_ingest,
    "linkage": stage_linkage,
    "segments": stage_segments,
    "marts": stage_marts,
    "report": stage_report,
    "extracts": stage_extracts,
    "export": stage_export,
    "plaintext": stage_plaintext,
}
# Imported before the clock starts: a running hub (Dagster code server) has these loaded.
WARM_IMPORTS = {
    "encode": ("partner.encode", "polars"),
    "ingest": ("pipelines.runner", "great_expectations", "pandas"),
    "linkage": ("pipelines.runner", "splink", "pandas"),
    "segments": ("pipelines.runner",),
    "marts": ("pipelines.runner",),
    "report": ("pipelines.runner", "matplotlib.pyplot"),
    "extracts": ("pipelines.runner",),
    "export": ("warehouse.export",),
    "plaintext": ("splink", "polars"),
}


# What a running hub holds already: the loaded code location and the open Dagster instance.
_PREPARED: dict[str, Any] = {}
RUN_STAGES = frozenset({"linkage", "segments", "marts", "report", "extracts"})


def _child(stage: str, work: str, queue: Any, profile: bool = False) -> None:
    import contextlib
    import importlib

    stack = contextlib.ExitStack()
    try:
        for module in WARM_IMPORTS.get(stage, ()):
            importlib.import_module(module)
        if stage in RUN_STAGES or stage == "ingest":
            from pipelines.runner import definitions, hub_instance

            definitions(_home(Path(work)))
            if stage in RUN_STAGES:
                _PREPARED["instance"] = stack.enter_context(hub_instance(_home(Path(work))))
        rss_before = _peak_bytes()
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.01)
            profiler.start()
        started = time.perf_counter()
        info = BODIES[stage](Path(work))
        seconds = info.pop("_seconds", time.perf_counter() - started)
        if profiler is not None:
            profiler.stop()
            OUT.mkdir(parents=True, exist_ok=True)
            target = OUT / f"profile-{stage}.txt"
            target.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
            profiler.write_html(str(OUT / f"profile-{stage}.html"))
        queue.put(
            {"ok": True, "seconds": seconds, "peak": _peak_bytes(), "warm": rss_before, **info}
        )
    except BaseException as exc:  # the parent reports it and stops this size
        queue.put({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]})
        raise
    finally:
        stack.close()


def run_stage(stage: str, work: Path, profile: bool = False) -> dict[str, Any]:
    """Run one stage in a spawned process; wall time includes start-up and imports.

    With ``profile``, pyinstrument samples the stage and writes
    ``benchmarks/out/profile-<stage>.txt`` and ``.html``.
    """
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    started = time.perf_counter()
    proc = ctx.Process(target=_child, args=(stage, str(work), queue, profile))
    proc.start()
    result = queue.get()
    proc.join()
    result["process_seconds"] = time.perf_counter() - started
    if not result.get("ok"):
        raise RuntimeError(f"stage {stage} failed: {result.get('error')}")
    return result


# ----------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    """Where the figures came from: cores, memory, CPU, load, versions."""
    import importlib.metadata as md

    import psutil

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in (
        "duckdb",
        "splink",
        "dagster",
        "great-expectations",
        "polars",
        "pyarrow",
        "pandas",
        "pyspark",
    ):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = "-"
    java = "-"
    if shutil.which("java"):
        probe = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
        java = (probe.stderr.splitlines() or ["?"])[0]
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": java,
        "versions": versions,
    }


def _load() -> float:
    return os.getloadavg()[0]


class LoadSampler:
    """Samples the 1-minute load average while a size runs (the machine is shared)."""

    def __init__(self, every: float = 5.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self._stop.is_set():
            self.samples.append(_load())
            self._stop.wait(every)

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def median(self) -> float:
        ordered = sorted(self.samples) or [0.0]
        return ordered[len(ordered) // 2]


# ----------------------------------------------------------------------------- one size


def run_size(
    residents: int, seed: int, work: Path, plaintext: bool, profile: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Synthesize a region of ``residents`` and run every stage on it."""
    from synth import generate

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    started = time.perf_counter()
    summary = generate(work / "region", residents=residents, seed=seed, progress=False)
    synth_seconds = time.perf_counter() - started
    print(
        f"\n== {residents:,} residents: {summary.records:,} partner records, "
        f"{summary.events:,} events (synth {synth_seconds:.0f}s, untimed)",
        flush=True,
    )
    run_stage("setup", work)
    stages: dict[str, dict[str, Any]] = {}
    with LoadSampler() as load:
        for stage in (*STAGES, *(("plaintext",) if plaintext else ())):
            result = run_stage(stage, work, stage in profile)
            stages[stage] = result
            extra = {
                k: v
                for k, v in result.items()
                if k not in {"ok", "seconds", "peak", "warm", "process_seconds"}
            }
            print(
                f"  {stage:<10} {result['seconds']:8.1f}s  peak {result['peak'] / GIB:5.2f} GiB  "
                f"(process {result['process_seconds']:.1f}s)  {extra}",
                flush=True,
            )
    hub_seconds = sum(stages[s]["seconds"] for s in STAGES)
    critical = hub_seconds - stages["encode"]["seconds"] + stages["encode"]["slowest_partner_s"]
    peak = max(stages[s]["peak"] for s in STAGES)
    entry: dict[str, Any] = {
        "residents": residents,
        "seed": seed,
        "records": summary.records,
        "events": summary.events,
        "synth_seconds": synth_seconds,
        "stages": {
            s: {
                "seconds": r["seconds"],
                "process_seconds": r["process_seconds"],
                "peak_gib": r["peak"] / GIB,
                "warm_gib": r["warm"] / GIB,
            }
            for s, r in stages.items()
        },
        "total_seconds": hub_seconds,
        "critical_path_seconds": critical,
        "total_process_seconds": sum(stages[s]["process_seconds"] for s in STAGES),
        "peak_gib": peak / GIB,
        "load_median": load.median,
        "load_max": max(load.samples or [0.0]),
        "measured_at": clock.now().isoformat(timespec="seconds"),
    }
    if plaintext:
        entry["plaintext_ratio"] = stages["linkage"]["seconds"] / stages["plaintext"]["seconds"]
    print(
        f"  total {hub_seconds:.1f}s ({critical:.1f}s with the partners encoding in parallel; "
        f"goal <= {GOAL_SECONDS:.0f}s at 1M records), peak "
        f"{peak / GIB:.2f} GiB (goal <= {GOAL_PEAK_GIB:.0f}), load median {load.median:.1f}",
        flush=True,
    )
    if plaintext:
        print(
            f"  linkage on encodings / plaintext Splink: {entry['plaintext_ratio']:.2f}",
            flush=True,
        )
    return entry


# ----------------------------------------------------------------------------- outputs


def load_store() -> dict[str, Any]:
    if STORE.exists():
        return json.loads(STORE.read_text())
    return {"runs": {}}


def save_store(store: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = STORE.with_suffix(".tmp")
    tmp.write_text(json.dumps(store, indent=2, sort_keys=True))
    tmp.replace(STORE)


def _sorted_runs(store: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(store["runs"].values(), key=lambda r: r["records"])


def write_chart(store: dict[str, Any], path: Path = CHART) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = _sorted_runs(store)
    if not runs:
        return
    records = [r["records"] for r in runs]
    fig, (bars, growth, memory) = plt.subplots(1, 3, figsize=(15, 4.8))
    labels = [f"{x:,}" for x in records]
    bottom = [0.0] * len(runs)
    for stage in STAGES:
        seconds = [r["stages"].get(stage, {}).get("seconds", 0.0) for r in runs]
        bars.bar(labels, seconds, bottom=bottom, label=stage)
        bottom = [b + x for b, x in zip(bottom, seconds, strict=True)]
    bars.axhline(GOAL_SECONDS, color="red", lw=0.8, label="goal at 1M: 180 s")
    bars.set_xlabel("partner records")
    bars.set_ylabel("seconds, stacked by stage")
    bars.set_title("Time by stage")
    bars.legend(fontsize=7, loc="upper left")

    growth.plot(records, [r["total_seconds"] for r in runs], "-o", label="all hub stages")
    growth.plot(records, [r["stages"]["linkage"]["seconds"] for r in runs], "-o", label="linkage")
    plain = [
        (r["records"], r["stages"]["plaintext"]["seconds"])
        for r in runs
        if "plaintext" in r["stages"]
    ]
    if plain:
        xs, ys = zip(*plain, strict=True)
        growth.plot(xs, ys, "k--o", label="plaintext Splink")
    first = runs[0]
    growth.plot(
        records,
        [first["total_seconds"] * x / first["records"] for x in records],
        ":",
        color="grey",
        label="linear from the smallest",
    )
    growth.set_xscale("log")
    growth.set_yscale("log")
    growth.set_xlabel("partner records")
    growth.set_ylabel("seconds")
    growth.set_title("Cost growth (log-log)")
    growth.legend(fontsize=7, loc="upper left")

    for stage in STAGES:
        memory.plot(
            records, [r["stages"][stage]["peak_gib"] for r in runs], "-o", ms=3, label=stage
        )
    memory.axhline(GOAL_PEAK_GIB, color="red", lw=0.8, label="goal: 4 GiB")
    memory.set_xscale("log")
    memory.set_ylim(bottom=0)
    memory.set_xlabel("partner records")
    memory.set_ylabel("peak RSS of the stage's process (GiB)")
    memory.set_title("Peak memory by stage")
    memory.legend(fontsize=7, loc="upper left")
    fig.suptitle("carehub end to end (benchmarks/end_to_end.py)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def results_section(store: dict[str, Any]) -> str:
    runs = _sorted_runs(store)
    m = store.get("machine", {})
    lines = [
        BEGIN,
        "## End to end: partner encode to extracts (`benchmarks/end_to_end.py`)",
        "",
        "Command: `.venv/bin/python benchmarks/end_to_end.py --records 50000 200000 1000000` "
        "(one size: `--residents N`). Each stage runs in its own process; seconds are measured "
        "inside it after its imports, the code location's load and the Dagster instance's "
        "opening (a running hub has them ready; the `with process start` row adds them back), "
        "peak is the process's `ru_maxrss`. Synthesis is excluded. Plaintext Splink runs on "
        "the same partner records in the same run.",
        "",
        f"Machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('memory_gib')} GiB RAM, "
        f"{m.get('os')}; Python {m.get('python')}; {m.get('java')}.",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in sorted(m.get("versions", {}).items()))
        + ".",
        "The machine is shared by several engineers' jobs: the load average during each run "
        "is printed beside it (2 cores: a load of 2 means the cores were fully busy).",
        "",
        "![cost growth](end_to_end.png)",
        "",
        "| stage | " + " | ".join(f"{r['records']:,} records" for r in runs) + " |",
        "| --- | " + " | ".join("---:" for _ in runs) + " |",
    ]

    def row(label: str, cell: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in runs) + " |")

    def stage_cell(stage: str) -> Callable[[dict[str, Any]], str]:
        def cell(r: dict[str, Any]) -> str:
            s = r["stages"].get(stage)
            return f"{s['seconds']:.1f} s / {s['peak_gib']:.2f} GiB" if s else "-"

        return cell

    for stage in (*STAGES, "plaintext"):
        row("plaintext Splink (yardstick)" if stage == "plaintext" else stage, stage_cell(stage))
    row(
        "**total (hub stages)**",
        lambda r: f"**{r['total_seconds']:.1f} s / {r['peak_gib']:.2f} GiB**",
    )
    row(
        "total, partners encoding in parallel",
        lambda r: f"{r.get('critical_path_seconds', r['total_seconds']):.1f} s",
    )
    row("with process start + imports", lambda r: f"{r['total_process_seconds']:.1f} s")
    row(
        "linkage / plaintext Splink",
        lambda r: f"{r['plaintext_ratio']:.2f}" if "plaintext_ratio" in r else "-",
    )
    row("residents / events", lambda r: f"{r['residents']:,} / {r['events']:,}")
    row(
        "load average (median / max)",
        lambda r: f"{r['load_median']:.1f} / {r['load_max']:.1f}",
    )
    row("measured at (UTC)", lambda r: r["measured_at"])
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        growth = (last["total_seconds"] / first["total_seconds"]) / (
            last["records"] / first["records"]
        )
        lines += [
            "",
            f"Growth: {last['records'] / first['records']:.1f}x the records took "
            f"{last['total_seconds'] / first['total_seconds']:.1f}x the time "
            f"(1.0 = linear; {growth:.2f} here).",
        ]
    big = [r for r in runs if r["records"] >= 900_000]
    if big:
        r = big[-1]
        lines += [
            "",
            f"Goal at ~1M partner records: <= {GOAL_SECONDS:.0f} s and <= {GOAL_PEAK_GIB:.0f} GiB. "
            f"Measured: {r['total_seconds']:.0f} s "
            f"({'met' if r['total_seconds'] <= GOAL_SECONDS else 'not met'}; "
            f"{r.get('critical_path_seconds', r['total_seconds']):.0f} s with the partners "
            "encoding in parallel), "
            f"peak {r['peak_gib']:.2f} GiB "
            f"({'met' if r['peak_gib'] <= GOAL_PEAK_GIB else 'not met'}), "
            f"at a median load of {r['load_median']:.1f} on {m.get('nproc')} cores.",
        ]
    lines.append(END)
    return "\n".join(lines)


def write_results(store: dict[str, Any], path: Path = RESULTS) -> None:
    section = results_section(store)
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--residents", type=int, nargs="+", help="residents of the region(s)")
    size.add_argument(
        "--records",
        type=int,
        nargs="+",
        help=f"partner records, about (residents = records / {RECORDS_PER_RESIDENT})",
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--work", type=Path, help="work folder (kept); default a temp folder")
    parser.add_argument("--no-plaintext", action="store_true", help="skip the plaintext yardstick")
    parser.add_argument(
        "--no-store", action="store_true", help="print only; leave RESULTS.md and the chart"
    )
    parser.add_argument(
        "--profile",
        nargs="+",
        default=[],
        choices=[*STAGES, "plaintext"],
        help="profile these stages with pyinstrument (benchmarks/out/profile-<stage>.txt)",
    )
    args = parser.parse_args()
    sizes = args.residents or [int(r / RECORDS_PER_RESIDENT) for r in args.records]
    store = load_store()
    store["machine"] = machine()
    print(
        f"machine: {store['machine']['nproc']} cores, {store['machine']['memory_gib']} GiB, "
        f"{store['machine']['cpu']}; load now {_load():.1f}",
        flush=True,
    )
    base = args.work or Path(tempfile.mkdtemp(prefix="carehub-e2e-"))
    try:
        for residents in sizes:
            entry = run_size(
                residents,
                args.seed,
                base / f"r{residents}",
                not args.no_plaintext,
                frozenset(args.profile),
            )
            if not args.no_store:
                store["runs"][str(residents)] = entry
                save_store(store)
                write_chart(store)
                write_results(store)
            if not args.work:
                shutil.rmtree(base / f"r{residents}", ignore_errors=True)
    finally:
        if not args.work:
            shutil.rmtree(base, ignore_errors=True)
    if not args.no_store:
        print(
            f"\nwrote {STORE.relative_to(ROOT)}, {CHART.relative_to(ROOT)}, "
            f"{RESULTS.relative_to(ROOT)}"
        )


if __name__ == "__main__":
    main()
