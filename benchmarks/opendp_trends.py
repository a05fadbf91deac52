"""Differential privacy (OpenDP) against the cell-key noise on the trend table (issue 16).

    uv run --no-sync --with opendp python benchmarks/opendp_trends.py --hub H/warehouse/hub.duckdb

OpenDP is not a dependency of carehub (it was measured, not adopted: see benchmarks/RESULTS.md);
``uv run --with opendp`` brings it for this script only.

The trend table (``segment_trends``: every segment x month) is published as (a) the hub's
cell-key noise (bounded by 4, the threshold on the shown number) and (b) OpenDP's discrete
Laplace mechanism on the same counts, at scales chosen for comparable protection:

* **same spread**: the scale whose noise is within +-4 nine times in ten (the cell-key box is
  +-4 always);
* **epsilon 1 per release**: a person is in up to 12 months of ``all_people`` (and of each of
  their segments), so the table's L1 sensitivity is at least 12; scale 12 / epsilon is a lower
  bound on what person-level epsilon 1 needs.

Printed per model: mean and 95th-percentile absolute error of the trend counts, the share of
non-zero trend counts withheld (shown under 11), the person-level epsilon per release and over
ten nightly releases (fresh noise each night, basic composition; the cell-key noise is the
same every night while a count stays within its band, and has no epsilon: it is bounded), and
how wide an unchanged count stays after an adversary averages ten nights (the 90% interval of
the mean of ten draws; cell-key: its one box, upper - lower = 8, whatever the nights).
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from warehouse.disclosure import Perturbation
from warehouse.marts.tables import collect

THRESHOLD = 11
NIGHTS = 10
SENSITIVITY = 12  # months of all_people alone: a lower bound of a person's L1 contribution


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hub", type=Path, required=True)
    parser.add_argument("--draws", type=int, default=20, help="OpenDP releases per scale")
    args = parser.parse_args()
    import opendp.prelude as dp  # only with `uv run --with opendp`

    dp.enable_features("contrib")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "hub.duckdb"
        shutil.copyfile(args.hub, copy)
        with duckdb.connect(str(copy)) as con:
            ((as_of,),) = con.execute(
                "SELECT max(as_of_date) FROM features.person_features"
            ).fetchall()
            assert isinstance(as_of, date)
            cells = collect(con, as_of).cells
    trend = {k: v for k, v in cells.values.items() if k[0] == "size" and v > 0}
    keys = sorted(trend, key=repr)
    values = [trend[k] for k in keys]
    print(
        f"{args.hub}: {len(keys)} non-zero trend counts, median {sorted(values)[len(values) // 2]}"
    )
    noise = Perturbation(b"disclosure-attack-benchmark-key!")
    rows = [_row("cell-key, bound 4", values, [[noise.shown(k, trend[k]) for k in keys]], None)]
    for name, scale in (
        ("OpenDP, same spread", _scale_within(4, 0.9)),
        ("OpenDP, epsilon 1 per release", SENSITIVITY / 1.0),
    ):
        mechanism = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
        )
        draws = [mechanism(values) for _ in range(args.draws)]
        rows.append(_row(f"{name} (scale {scale:.2f})", values, draws, mechanism.map(SENSITIVITY)))
        rows[-1]["averaged over 10 nights, 90% width"] = _averaged_width(scale)
    print()
    print(
        "| model | mean abs error | 95th pct abs error | withheld (shown < 11) | "
        "epsilon per release | epsilon over 10 nights | unchanged count, width after 10 nights |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        eps = row["epsilon"]
        print(
            f"| {row['model']} | {row['mae']:.2f} | {row['p95']:.0f} | {row['withheld']:.1%} | "
            f"{'none (bounded)' if eps is None else f'{eps:.2f}'} | "
            f"{'none' if eps is None else f'{NIGHTS * eps:.1f}'} | "
            f"{row.get('averaged over 10 nights, 90% width', 8):.1f} |"
        )


def _row(
    model: str, values: list[int], draws: list[list[int]], epsilon: float | None
) -> dict[str, Any]:
    errors = sorted(abs(s - v) for draw in draws for s, v in zip(draw, values, strict=True))
    shown = [s for draw in draws for s in draw]
    return {
        "model": model,
        "mae": sum(errors) / len(errors),
        "p95": errors[int(0.95 * (len(errors) - 1))],
        "withheld": sum(1 for s in shown if s < THRESHOLD) / len(shown),
        "epsilon": epsilon,
    }


def _scale_within(bound: int, share: float) -> float:
    """The discrete Laplace scale whose noise is within +-bound with probability ``share``."""
    low, high = 0.01, 50.0
    for _ in range(60):
        scale = (low + high) / 2
        q = math.exp(-1 / scale)
        outside = 2 * q ** (bound + 1) / (1 + q)
        low, high = (scale, high) if outside < 1 - share else (low, scale)
    return (low + high) / 2


def _averaged_width(scale: float, trials: int = 20000) -> float:
    """90% interval width of the mean of ten discrete Laplace draws (by simulation)."""
    rng = random.Random(16)
    q = math.exp(-1 / scale)

    def geometric() -> int:
        return int(math.log(1.0 - rng.random()) / math.log(q))

    def draw() -> int:  # the difference of two geometrics is discrete Laplace
        return geometric() - geometric()

    means = sorted(sum(draw() for _ in range(NIGHTS)) / NIGHTS for _ in range(trials))
    return means[int(0.95 * trials)] - means[int(0.05 * trials)]


if __name__ == "__main__":
    main()
