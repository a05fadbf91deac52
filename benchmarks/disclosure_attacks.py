"""Attack the marts as an adversary would: before (exact counts, greedy suppression) vs after.

    .venv/bin/python benchmarks/disclosure_attacks.py --hub HOME/warehouse/hub.duckdb
    .venv/bin/python benchmarks/disclosure_attacks.py --hub ... --nights 10 --change 2
    .venv/bin/python benchmarks/disclosure_attacks.py --hub ... --methods optimal --no-ledger

Reads the features and segments of a hub (e.g. the demo's, ``carehub demo --residents 20000``)
into a scratch copy and simulates ``nights`` consecutive publications: each night a partner
re-submits with ``change`` new clients (the last night is the hub as it is; each earlier night
lacks ``change`` more randomly chosen persons). Every night is protected twice, in the same run:

* **before**: the disclosure control of commit 3c2d9cb (exact counts, greedy complementary
  suppression, audit with lower bound 0), loaded from git;
* **after**: :func:`warehouse.disclosure.protect` (cell-key noise, threshold on the shown
  value, audit with every public fact and lower bound 1, the ledger of the earlier nights),
  once per complementary-suppression ``--methods`` (greedy; optimal, the MILP).

Both are attacked with :mod:`warehouse.disclosure.attacks` using every public fact (the
relations of all tables, segment-subset relations, each row meaning at least 1 person, the noise
bound): one publication alone, the first two nights, and all nights (differencing, each count
moving by at most ``change`` between nights), and the two and all nights again by the
*rule-aware* adversary, who also knows the public sticky rule (a changed number left the band
of the old one: :func:`warehouse.disclosure.attacks.band_exits`). ``--sticky`` chooses how a
count leaving its band is shown: ``drawn`` (default, the hub's rule: its fresh number as drawn)
or ``clear`` (the measured alternative, ``sticky(clear_of_band=True)``: moved clear of the old
band); both, to compare them in one run. Printed: withheld counts narrowed below the
threshold, information loss (share of cells withheld, people in complementary cells, share of
people in withheld cells) and the error of the headline figures against the internal truth.
The report's figures and the extracts' counts are derived from these tables (the report reads
the marts; extract manifests show only per-partner counts through the same threshold), so they
add no relation beyond the marts'.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from contract.vocabulary import SECTORS
from warehouse.disclosure import CellSet, Constraint, Perturbation, noise, protect, suppression
from warehouse.disclosure.attacks import Release, attack, band_exits, differencing
from warehouse.features.sqlscript import run_script
from warehouse.marts.tables import ALL_PEOPLE, collect
from warehouse.report.data import Count, multi_sector_share, share_text, shown_multi_sector_share

ROOT = Path(__file__).resolve().parents[1]
DROP_PERSONS = Path(__file__).with_name("disclosure_drop_persons.sql")
BEFORE_COMMIT = "3c2d9cb"
THRESHOLD = 11
SHOW_NARROWED = "--show-narrowed" in sys.argv


def load_before() -> Callable[[CellSet, int], Any]:
    """``protect`` as of ``BEFORE_COMMIT``, from git, as a throwaway package."""
    folder = Path(tempfile.mkdtemp(prefix="before-disclosure-"))
    package = folder / "before_disclosure"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("cells", "audit", "suppression"):
        source = subprocess.run(
            ["git", "show", f"{BEFORE_COMMIT}:warehouse/disclosure/{name}.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / f"{name}.py").write_text(
            source.replace("warehouse.disclosure.", "before_disclosure.")
        )
    sys.path.insert(0, str(folder))
    return importlib.import_module("before_disclosure.suppression").protect  # type: ignore[no-any-return]


def without_subset_rows(cells: CellSet) -> CellSet:
    """The relations the code of ``BEFORE_COMMIT`` protected (no segment-subset rows)."""

    def subset(c: Constraint) -> bool:
        keys = list(c.coefs)
        return c.sense == "le" and len(keys) == 2 and keys[1][1] == ALL_PEOPLE

    return CellSet(cells.values, [c for c in cells.constraints if not subset(c)])


def headline(
    cells: CellSet, shown: dict[Any, int | None], latest: str, max_noise: int = 0
) -> dict[str, float]:
    """Multi-sector share (shown, and the report's bounds that hold with the noise bound) and
    each sector's reach of all_people, as the report computes them. A withheld combination of
    a sparse table has no row in the marts, so the report does not see it."""
    everyone = shown.get(("size", ALL_PEOPLE, latest))
    combos = [
        Count(k[2], shown.get(k))
        for k in cells.values
        if k[0] == "combo"
        and k[1] == ALL_PEOPLE
        and cells.values[k] > 0
        and (shown.get(k) is not None or k not in cells.sparse)
    ]
    low, high = multi_sector_share(combos, everyone, max_noise)
    out = {
        "multi-sector share": shown_multi_sector_share(combos, everyone),
        "multi-sector share, lower bound": low,
        "multi-sector share, upper bound": high,
    }
    for sector in SECTORS:
        reach = shown.get(("reach", ALL_PEOPLE, sector, True))
        out[f"reach {sector}"] = (reach or 0) / everyone if everyone else float("nan")
    return out


def measure(
    name: str,
    nights: list[CellSet],
    latest: str,
    protector: Callable[[CellSet], tuple[Release, frozenset[Any]]],
    change: int,
) -> dict[str, Any]:
    releases, seconds = [], []
    for cells in nights:
        start = time.process_time()
        release, primary = protector(cells)
        releases.append(release)
        seconds.append(time.process_time() - start)
    cells, release = nights[-1], releases[-1]
    values = cells.values
    withheld = {c for c in release.withheld if values[c] > 0}
    people_all = sum(v for v in values.values() if v > 0)
    truth = headline(cells, dict(values), latest)
    shown = headline(cells, dict(release.shown), latest, release.max_noise)
    share = truth["multi-sector share"]
    start = time.process_time()
    single = attack(release, THRESHOLD)
    two = differencing(releases[-2:], change, THRESHOLD)
    every = differencing(releases, change, THRESHOLD)
    attack_s = time.process_time() - start
    groups = [n.populations() for n in nights]
    start = time.process_time()
    aware_two = differencing(
        releases[-2:], change, THRESHOLD, sticky_rule=True, populations=groups[-2:]
    )
    aware = differencing(releases, change, THRESHOLD, sticky_rule=True, populations=groups)
    aware_s = time.process_time() - start
    # The same adversary without the hub's populations: what the ledger audit itself can read.
    unaware_of_groups = differencing(releases, change, THRESHOLD, sticky_rule=True)
    if SHOW_NARROWED:
        for found in (single, two, every, aware_two, aware, unaware_of_groups):
            for interval in found.narrowed:
                print(f"{name}: narrowed {interval}")
    return {
        "model": name,
        "non-zero cells": len([v for v in values.values() if v > 0]),
        "non-zero cells withheld": len(withheld),
        "share of non-zero cells withheld": len(withheld)
        / max(1, len([v for v in values.values() if v > 0])),
        # Complementary: withheld by the audit, not for a small (shown) count.
        "complementary cells": len(withheld - primary),
        "people in complementary cells": sum(values[c] for c in withheld - primary),
        "everyone": values[("size", ALL_PEOPLE, latest)],
        "share of people in withheld cells": sum(values[c] for c in withheld) / people_all,
        "narrowed, one publication": len(single.narrowed),
        "exact, one publication": len(single.exact),
        "narrowed, 2 nights": len(two.narrowed),
        f"narrowed, {len(nights)} nights": len(every.narrowed),
        # Shown counts whose box the sticky rule cuts (a changed number, left its band).
        "rule-aware: shown boxes cut (narrowest, values)": _cuts(band_exits(releases, groups)),
        "rule-aware: narrowed, 2 nights": len(aware_two.narrowed),
        f"rule-aware: narrowed, {len(nights)} nights (exact)": (
            f"{len(aware.narrowed)} ({len(aware.exact)})"
        ),
        f"rule-aware, populations unknown: narrowed, {len(nights)} nights": len(
            unaware_of_groups.narrowed
        ),
        "worst headline error (points)": max(
            abs(shown[k] - truth[k]) * 100
            for k in truth
            if truth[k] == truth[k] and "bound" not in k
        ),
        # As the report states it (the shown share within a point, else bounds that hold).
        "multi-sector share truth / shown": f"{share:.1%} / {shown['multi-sector share']:.1%}",
        "multi-sector share as the report states it": share_text(
            shown["multi-sector share"],
            shown["multi-sector share, lower bound"],
            shown["multi-sector share, upper bound"],
        ),
        "stated bounds hold the truth": "yes"
        if shown["multi-sector share, lower bound"]
        <= share
        <= shown["multi-sector share, upper bound"]
        else "NO",
        "protect CPU s per night (median)": sorted(seconds)[len(seconds) // 2],
        "attack CPU s": attack_s,
        "rule-aware attack CPU s": aware_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hub", type=Path, required=True, help="a hub.duckdb with features")
    parser.add_argument("--nights", type=int, default=10)
    parser.add_argument("--change", type=int, default=2, help="new clients per night")
    parser.add_argument("--max-noise", type=int, default=None, help="default: the hub's")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["greedy", "optimal"],
        choices=["greedy", "optimal"],
        help="complementary suppression of the 'after' columns",
    )
    parser.add_argument(
        "--sticky",
        nargs="+",
        default=["drawn"],
        choices=["drawn", "clear"],
        help="how a count leaving its band is shown: as drawn (the hub's rule), or clear of "
        "the old band (measured, not used)",
    )
    parser.add_argument(
        "--show-narrowed", action="store_true", help="print every narrowed withheld count"
    )
    parser.add_argument(
        "--no-ledger",
        dest="ledger",
        action="store_false",
        help="protect each night alone (no ledger of the earlier nights)",
    )
    args = parser.parse_args()
    before_protect = load_before()
    perturbation = Perturbation(b"disclosure-attack-benchmark-key!")
    if args.max_noise is not None:
        perturbation = Perturbation(perturbation.secret, args.max_noise)
    with tempfile.TemporaryDirectory(prefix="attack-bench-") as tmp:
        copy = Path(tmp) / "hub.duckdb"
        shutil.copyfile(args.hub, copy)
        nights: list[CellSet] = []
        with duckdb.connect(str(copy)) as con:
            ((as_of,),) = con.execute(
                "SELECT max(as_of_date) FROM features.person_features"
            ).fetchall()
            assert isinstance(as_of, date)
            keys = [
                r[0]
                for r in con.execute(
                    "SELECT person_key FROM features.persons ORDER BY 1"
                ).fetchall()
            ]
            random.Random(args.seed).shuffle(keys)
            for night in range(args.nights):
                if night:
                    run_script(
                        con,
                        DROP_PERSONS,
                        {"keys": keys[(night - 1) * args.change : night * args.change]},
                    )
                nights.insert(0, collect(con, as_of).cells)
        latest = f"{as_of.year:04d}-{as_of.month:02d}"
        print(
            f"{args.hub}: {nights[-1].values[('size', ALL_PEOPLE, latest)]:,} people, "
            f"{args.nights} nights, {args.change} new clients a night, noise bound "
            f"{perturbation.max_noise}, threshold {THRESHOLD}"
        )

        def before(cells: CellSet) -> tuple[Release, frozenset[Any]]:
            result = before_protect(without_subset_rows(cells), THRESHOLD)
            # Before, every row with people was listed (withheld ones too): no sparse rows.
            release = Release.of(cells, result.suppressed)
            return replace(release, structural=frozenset(), sparse=frozenset()), result.primary

        def after(method: str, rule: str) -> Callable[[CellSet], tuple[Release, frozenset[Any]]]:
            ledger: list[Release] = []

            def protector(cells: CellSet) -> tuple[Release, frozenset[Any]]:
                # protect() takes the rule from suppression.sticky: the benchmark swaps in the
                # earlier rule there for the "drawn" columns (no such switch in the hub).
                suppression.sticky = functools.partial(  # type: ignore[attr-defined]
                    noise.sticky, clear_of_band=rule == "clear"
                )
                result = protect(
                    cells,
                    THRESHOLD,
                    perturbation,
                    ledger[-args.nights :] if args.ledger else (),
                    args.change,
                    method=method,  # type: ignore[arg-type]
                )
                ledger.append(Release.of(cells, result.suppressed, result.shown, result.max_noise))
                if SHOW_NARROWED:
                    print(f"{method}, {rule}: night {len(ledger)}: {result.ledger_exposed} exposed")
                return ledger[-1], result.primary

            return protector

        rows = [measure("before", nights, latest, before, args.change)]
        rows += [
            measure(f"after, {method}, {rule}", nights, latest, after(method, rule), args.change)
            for rule in args.sticky
            for method in args.methods
        ]
    width = max(len(k) for k in rows[0])
    names = [r["model"] for r in rows]
    print(f"\n| {'measure':<{width}} | {' | '.join(names)} |")
    print(f"| --- |{' ---: |' * len(names)}")
    for key in rows[0]:
        if key == "model":
            continue
        print(f"| {key:<{width}} | {' | '.join(_fmt(key, r[key]) for r in rows)} |")


def _cuts(found: dict[Any, tuple[float, float]]) -> str:
    if not found:
        return "0"
    return f"{len(found):,} ({min(int(high - low) + 1 for low, high in found.values())})"


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1%}" if "share" in key else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


if __name__ == "__main__":
    main()
