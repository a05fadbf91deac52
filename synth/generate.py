"""Generate a synthetic region chunk by chunk: residents, partner exports, ground truth."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from synth.arrays import resident_ids, text
from synth.config import PARTNER_IDS, SECTOR_OF, SynthConfig
from synth.events import (
    HARBOR_MENU,
    NORTHSIDE_MENU,
    Events,
    Timeline,
    cbo_events,
    hospital_events,
    public_health_events,
)
from synth.geography import Region, build_region
from synth.names import NamePools, name_pools
from synth.partners import PARTNERS, Counters, EventContext
from synth.partners.common import event_frame, record_frame
from synth.records import ERROR_FLAGS, Records, partner_records, presence
from synth.residents import Residents, generate_residents, residents_frame
from synth.writer import Sinks

GENERATOR_VERSION: Final = "1.0"
TRUTH_FILE: Final = "ground_truth/truth.csv"
RESIDENTS_FILE: Final = "ground_truth/residents.parquet"
ERRORS_FILE: Final = "ground_truth/record_errors.parquet"
_OWNED: Final = ("partners", "ground_truth", "region.json")


@dataclass(frozen=True)
class RegionSummary:
    """What a generated region holds (also written to ``region.json``)."""

    out: Path
    seed: int
    residents: int
    records_by_partner: dict[str, int]
    events_by_partner: dict[str, int]
    duplicates_by_partner: dict[str, int]
    residents_by_partner_count: dict[int, int]
    files: dict[str, int] = field(default_factory=dict)
    error_counts: dict[str, int] = field(default_factory=dict)
    """Partner records carrying each identifier error (see record_errors.parquet)."""

    @property
    def records(self) -> int:
        """Partner records (rows of the person files) over all partners."""
        return sum(self.records_by_partner.values())

    @property
    def events(self) -> int:
        """Event rows over all partners' event files."""
        return sum(self.events_by_partner.values())

    @property
    def residents_seen(self) -> int:
        """Residents with at least one partner record."""
        return sum(n for k, n in self.residents_by_partner_count.items() if k >= 1)

    @property
    def multi_partner_residents(self) -> int:
        """Residents known to two or more partners."""
        return sum(n for k, n in self.residents_by_partner_count.items() if k >= 2)

    def partner_dir(self, partner_id: str) -> Path:
        """Folder of one partner's raw export files."""
        return self.out / "partners" / partner_id

    def partner_files(self, partner_id: str) -> list[Path]:
        """One partner's export files: the person file first, then its event files."""
        spec = PARTNERS[partner_id]
        return [self.partner_dir(partner_id) / f for f in (spec.person_file, *spec.event_files)]

    def lines(self) -> list[str]:
        """Human-readable summary lines (for the CLI and the demo)."""
        out = [
            f"{self.residents:,} residents, {self.records:,} partner records, "
            f"{self.events:,} events (seed {self.seed})",
            f"{self.residents_seen:,} residents known to a partner, "
            f"{self.multi_partner_residents:,} to two or more",
        ]
        for pid in PARTNER_IDS:
            out.append(
                f"  {pid:<21} {self.records_by_partner[pid]:>9,} records "
                f"{self.events_by_partner[pid]:>10,} events "
                f"({self.duplicates_by_partner[pid]:,} duplicates)"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "residents": self.residents,
            "records": self.records,
            "events": self.events,
            "residents_seen": self.residents_seen,
            "multi_partner_residents": self.multi_partner_residents,
            "residents_by_partner_count": {
                str(k): v for k, v in self.residents_by_partner_count.items()
            },
            "records_by_partner": self.records_by_partner,
            "duplicates_by_partner": self.duplicates_by_partner,
            "events_by_partner": self.events_by_partner,
            "records_with_error": self.error_counts,
        }


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / "region.json").exists():
        raise FileExistsError(
            f"{out} is not empty and holds no region.json: give an empty or new --out folder"
        )
    for name in _OWNED:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _timeline(
    rng: np.random.Generator, res: Residents, present: dict[str, np.ndarray], config: SynthConfig
) -> tuple[Timeline, dict[str, np.ndarray]]:
    as_of = np.datetime64(config.as_of, "D")
    start = as_of - config.window_days
    end = np.where(np.isnat(res["death_date"]), as_of, res["death_date"])
    n = len(res)
    enrolled: dict[str, np.ndarray] = {}
    program_start = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    for pid in ("harbor_housing", "northside_food"):
        day = start + 30 + rng.integers(0, config.window_days - 90, size=n)
        day = np.minimum(np.maximum(day, res["dob"]), end)
        enrolled[pid] = day
        served = present[pid]
        program_start = np.where(
            served & (np.isnat(program_start) | (day < program_start)), day, program_start
        )
    responder = ~np.isnat(program_start) & (rng.random(n) < config.program.responder_share)
    timeline = Timeline(
        start=start,
        begin=np.maximum(start, res["dob"]),
        as_of=as_of,
        end=end,
        program_start=program_start,
        responder=responder,
        effect=config.program.effect,
    )
    return timeline, enrolled


def _reg_dates(
    rng: np.random.Generator,
    recs: Records,
    res: Residents,
    enrolled: np.ndarray | None,
    as_of: np.datetime64,
) -> np.ndarray:
    who = recs["resident"]
    if enrolled is not None:
        day = np.maximum(enrolled[who], res["dob"][who])
    else:
        earliest = np.maximum(res["dob"][who], as_of - 15 * 365)
        earliest = np.minimum(earliest, as_of)
        span = np.maximum((as_of - earliest).astype(np.int64), 1)
        day = earliest + (rng.random(len(who)) * span).astype(np.int64)
    # A duplicate registration is a later one.
    later = np.minimum(day + rng.integers(30, 400, size=len(who)), as_of)
    return np.where(recs["duplicate"], later, day)


def _errors_frame(pid: str, recs: Records, record_ids: pl.Series, res: Residents) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "partner_id": pid,
            "source_record_id": record_ids,
            "resident_id": resident_ids(recs["global_index"]),
            **{flag: recs[flag] for flag in ERROR_FLAGS},
            "placeholder": text(recs["placeholder"]),
            "twin": res["twin_of"][recs["resident"]] >= 0,
            "common_name": res["common_name"][recs["resident"]],
        }
    )


@dataclass
class _Run:
    """State of one generation run, shared by its chunks."""

    seed: int
    config: SynthConfig
    region: Region
    pools: NamePools
    sinks: Sinks
    counters: dict[str, Counters] = field(default_factory=dict)
    tally: dict[str, Counter[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counters = {pid: Counters() for pid in PARTNER_IDS}
        self.tally = {
            name: Counter()
            for name in ("records", "events", "duplicates", "partners_per_resident", "errors")
        }

    def chunk(self, k: int, start: int, n: int) -> None:
        """Generate and write residents ``start .. start+n-1`` (chunk number ``k``)."""
        config = self.config
        rng = np.random.default_rng([self.seed, k])
        res = generate_residents(rng, start, n, self.seed, config, self.region, self.pools)
        self.sinks.parquet(RESIDENTS_FILE).write(residents_frame(res))
        present = presence(rng, res, config)
        self.tally["partners_per_resident"].update(
            np.sum([present[p] for p in PARTNER_IDS], axis=0).tolist()
        )
        timeline, enrolled = _timeline(rng, res, present, config)
        recs: dict[str, Records] = {
            pid: partner_records(rng, res, pid, present[pid], config) for pid in PARTNER_IDS
        }

        events: dict[str, Events] = {}
        hosp = ("mercy_hospital", "riverside_health")
        hosp_events = hospital_events(rng, res, timeline, [(recs[p], present[p]) for p in hosp])
        events.update(zip(hosp, hosp_events, strict=True))
        phd = "county_public_health"
        events[phd] = public_health_events(rng, res, timeline, recs[phd], present[phd])
        for pid, menu in (("harbor_housing", HARBOR_MENU), ("northside_food", NORTHSIDE_MENU)):
            counter = self.counters[pid]
            events[pid], n_screenings = cbo_events(
                rng, res, timeline, recs[pid], present[pid], enrolled[pid], menu,
                counter.next.get("screening_group", 0),
            )  # fmt: skip
            counter.take("screening_group", n_screenings)

        for i, pid in enumerate(PARTNER_IDS):
            prng = np.random.default_rng([self.seed, k, i, 1])
            reg = _reg_dates(prng, recs[pid], res, enrolled.get(pid), timeline.as_of)
            self._write_partner(i, pid, res, recs[pid], reg, events[pid], prng)

    def _write_partner(
        self,
        i: int,
        pid: str,
        res: Residents,
        r: Records,
        reg: np.ndarray,
        events: Events,
        prng: np.random.Generator,
    ) -> None:
        spec = PARTNERS[pid]
        counters = self.counters[pid]
        # Exports list records by their id, which is not resident order.
        by_row = spec.record_id.make(counters.take("record", len(r)), self.seed * 31 + i)
        order = np.argsort(by_row.to_numpy(), kind="stable")
        record_ids = by_row.gather(order)
        persons = spec.persons(record_frame(r, by_row, reg)[order], prng)
        base = f"partners/{pid}/"
        self.sinks.csv(base + spec.person_file).write(persons)
        ctx = EventContext(counters=counters, rng=prng, salt=self.seed * 131 + i * 7)
        for name, frame in spec.events(event_frame(events.columns(), by_row), ctx).items():
            self.sinks.csv(base + name).write(frame)
            self.tally["events"][pid] += frame.height
        truth = pl.DataFrame(
            {
                "partner_id": pid,
                "source_file": spec.person_file,
                "source_record_id": record_ids,
                "resident_id": resident_ids(r["global_index"][order]),
            }
        )
        self.sinks.csv(TRUTH_FILE).write(truth)
        self.sinks.parquet(ERRORS_FILE).write(_errors_frame(pid, r, by_row, res)[order])
        self.tally["records"][pid] += len(r)
        self.tally["duplicates"][pid] += int(r["duplicate"].sum())
        errors = self.tally["errors"]
        for flag in ERROR_FLAGS:
            errors[flag] += int(r[flag].sum())
        errors["placeholder"] += int(np.count_nonzero(r["placeholder"] != None))  # noqa: E711


def generate(
    out: Path,
    residents: int,
    seed: int,
    config: SynthConfig | None = None,
    progress: bool = True,
) -> RegionSummary:
    """Write a synthetic region to ``out`` (see docs/synthetic-data.md).

    Args:
        out: Folder to write; created if missing. A folder holding an earlier region is
            overwritten (only the generator's own files); any other non-empty folder is refused.
        residents: Number of residents of the region (>= 1).
        seed: Seed; the same seed, residents and config give byte-identical files.
        config: Rates and shape; defaults documented in docs/synthetic-data.md.
        progress: Show a rich progress bar.

    Returns:
        Counts per partner and of overlap.
    """
    if residents < 1:
        raise ValueError("residents must be at least 1")
    if seed < 0:
        raise ValueError("seed must be 0 or more")
    config = config or SynthConfig()
    _prepare(out)
    chunks = [
        (k, s, min(config.chunk_size, residents - s))
        for k, s in enumerate(range(0, residents, config.chunk_size))
    ]
    with (
        Sinks(out) as sinks,
        Progress(
            TextColumn("[bold]synth[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not progress,
        ) as bar,
    ):
        task = bar.add_task("residents", total=residents)
        run = _Run(seed, config, build_region(seed), name_pools(), sinks)
        for k, start, n in chunks:
            run.chunk(k, start, n)
            bar.advance(task, n)
        for pid in PARTNER_IDS:
            spec = PARTNERS[pid]
            for name in (spec.person_file, *spec.event_files):
                sinks.csv(f"partners/{pid}/{name}")  # partners with no rows still get headers
        files = sinks.rows()

    tally = run.tally
    summary = RegionSummary(
        out=out,
        seed=seed,
        residents=residents,
        records_by_partner={p: tally["records"][p] for p in PARTNER_IDS},
        events_by_partner={p: tally["events"][p] for p in PARTNER_IDS},
        duplicates_by_partner={p: tally["duplicates"][p] for p in PARTNER_IDS},
        residents_by_partner_count={
            k: tally["partners_per_resident"][k] for k in range(len(PARTNER_IDS) + 1)
        },
        files=files,
        error_counts=dict(sorted(tally["errors"].items())),
    )
    _write_region_json(out, summary, config)
    return summary


def _write_region_json(out: Path, summary: RegionSummary, config: SynthConfig) -> None:
    doc = {
        "generator": "carehub synth",
        "generator_version": GENERATOR_VERSION,
        "seed": summary.seed,
        "residents": summary.residents,
        "as_of": config.as_of.isoformat(),
        "config": config.to_dict(),
        "partners": {
            pid: {
                "sector": SECTOR_OF[pid],
                "person_file": PARTNERS[pid].person_file,
                "event_files": list(PARTNERS[pid].event_files),
            }
            for pid in PARTNER_IDS
        },
        "counts": summary.to_dict(),
        "files": summary.files,
        "ground_truth": {
            "truth": TRUTH_FILE,
            "residents": RESIDENTS_FILE,
            "record_errors": ERRORS_FILE,
            "note": "never an input to the hub or the partner client",
        },
    }
    (out / "region.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
