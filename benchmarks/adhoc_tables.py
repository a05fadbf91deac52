"""The issue's analyst questions through ``carehub marts table``, attacked with the marts.

    .venv/bin/python benchmarks/adhoc_tables.py --hub HOME      (a hub home with published marts)
    .venv/bin/python benchmarks/adhoc_tables.py --persons 3000  (a generated sample hub)

Works on a scratch copy of the hub. Before: what the published marts answer ("frequent ED and
housing need, by ZIP3" from ``segment_counts``, the only table with ZIP3: the ZIP3s whose
every age band x sex cell is withheld, and the share of all marts cells withheld). After: the
same questions asked as ad hoc tables (by ZIP3 with its margins, 3+ ED visits beside the 4+
segment, every segment by ZIP3 since a month, 3+ ED visits by age band), each audited with the
latest marts release and every earlier ad hoc table. Then the attack: LP differencing
(:func:`warehouse.disclosure.attacks.differencing`) over the marts and every ad hoc release
together, counting withheld counts narrowed below the threshold. The yardstick is publishing
the marts themselves in the same run (the ad hoc audit carries the marts' cells).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kernel.home import HubHome
from warehouse.adhoc import table
from warehouse.adhoc.table import audited_with
from warehouse.disclosure.attacks import differencing
from warehouse.disclosure.suppression import DEFAULT_CHANGE, DEFAULT_THRESHOLD
from warehouse.marts import publish_marts

SEGMENT = "frequent_ed_housing_instability"
QUESTIONS = [
    # name, rows, cols, where
    ("fed-housing-by-zip3", "zip3", "", "ed_visits_12m>=4 and hrsn_housing_instability=true"),
    ("ed3-housing-by-zip3", "zip3", "", "ed_visits_12m>=3 and hrsn_housing_instability=true"),
    ("ed3-by-zip3", "zip3", "sex", "ed_visits_12m>=3"),
    ("segments-by-zip3", "zip3", "segment", "month >= '2026-01'"),
    ("ed3-by-age-band", "age_band", "", "ed_visits_12m>=3"),
    # The margin tables of the common questions, in the latest month (the marts' populations).
    ("margins-zip3", "zip3", "segment", ""),
    ("margins-age-band", "age_band", "segment", ""),
]


def marts_before(home: HubHome) -> tuple[int, int, int, int]:
    """ZIP3s where the segment has people (inside the hub) and how many of them have no shown
    row in the marts' segment_counts (its only table with ZIP3; withheld rows are left out);
    marts cells withheld / all (from about)."""
    with duckdb.connect(str(home.marts_db), read_only=True) as con:
        about = dict(con.execute("SELECT key, value FROM about").fetchall())
        shown = {
            z
            for (z,) in con.execute(
                "SELECT DISTINCT zip3 FROM segment_counts WHERE segment = $s AND month = $m "
                "AND people IS NOT NULL",
                {"s": SEGMENT, "m": about["as_of_month"]},
            ).fetchall()
        }
    with duckdb.connect(str(home.hub_db), read_only=True) as con:
        present = {
            z
            for (z,) in con.execute(
                "SELECT DISTINCT p.zip3 FROM segments.membership AS m "
                "JOIN features.person_features AS p USING (person_key) WHERE m.segment = $s",
                {"s": SEGMENT},
            ).fetchall()
        }
    return (
        len(present),
        len(present - shown),
        int(about["suppressed_cells"]),
        int(about["cells"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", type=Path, help="hub home with features, segments, marts")
    parser.add_argument("--persons", type=int, default=3000)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="adhoc-bench-"))
    try:
        if args.hub:
            shutil.copytree(args.hub, scratch / "home")
            home = HubHome(scratch / "home")
        else:
            from test_marts_helpers import sample_hub

            home = sample_hub(scratch, args.persons)
        with duckdb.connect(str(home.hub_db)) as con:
            started = time.perf_counter()
            publish_marts(con, home, DEFAULT_THRESHOLD)
            yardstick = time.perf_counter() - started
            ((persons,),) = con.execute(
                "SELECT count(*) FROM features.person_features WHERE NOT deceased"
            ).fetchall()
        zip3s, withheld_zip3s, marts_withheld, marts_cells = marts_before(home)
        print(f"persons (not deceased): {persons:,}")
        print(f"yardstick: publish_marts {yardstick:.1f} s")
        print(
            f"before (marts): {SEGMENT} by ZIP3 from segment_counts: {withheld_zip3s} of "
            f"{zip3s} ZIP3s fully withheld; marts cells withheld {marts_withheld}/{marts_cells} "
            f"({marts_withheld / marts_cells:.0%})"
        )
        times = []
        with duckdb.connect(str(home.hub_db)) as con:
            for name, rows, cols, where in QUESTIONS:
                started = time.perf_counter()
                result = table(con, home, name, rows=rows, cols=cols, where=where)
                times.append(time.perf_counter() - started)
                inner = [r for r in result.rows if "all" not in {r[d] for d in result.request.by}]
                margins = [r for r in result.rows if r not in inner]
                print(
                    f"after: {name} ({result.request.population}): {result.cells} counts, "
                    f"{result.withheld} withheld ({result.withheld / result.cells:.0%}); "
                    f"inner {sum(r['people'] is None for r in inner)}/{len(inner)} withheld, "
                    f"margins {sum(r['people'] is None for r in margins)}/{len(margins)}; "
                    f"{times[-1]:.1f} s"
                )
                shown = {
                    r[rows]: r["people"]
                    for r in result.rows
                    if all(r[d] == "all" for d in result.request.by if d != rows)
                }
                print(f"  {rows} margin: {json.dumps(shown)}")
                if "segment" in result.request.by:  # the segment, per row
                    mine = [r for r in inner if r["segment"] == SEGMENT]
                    print(
                        f"  {SEGMENT}: {sum(r['people'] is not None for r in mine)} of "
                        f"{len(mine)} {rows} counts shown: "
                        + json.dumps({r[rows]: r["people"] for r in mine})
                    )
            releases = audited_with(con, DEFAULT_THRESHOLD)
        started = time.perf_counter()
        attack = differencing(releases, DEFAULT_CHANGE, DEFAULT_THRESHOLD)
        print(
            f"attack: marts + {len(releases) - 1} ad hoc releases, "
            f"{len(attack.intervals)} withheld counts attacked, {len(attack.narrowed)} narrowed "
            f"below {DEFAULT_THRESHOLD}, {len(attack.exact)} exact "
            f"({time.perf_counter() - started:.1f} s)"
        )
        print(
            f"ad hoc table build: median {statistics.median(times):.1f} s "
            f"({statistics.median(times) / yardstick:.2f} x the marts' publish)"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
