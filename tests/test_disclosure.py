"""Disclosure control: Safe Harbor, suppression, and an adversary attacking the published marts.

The attack tests play an analyst who holds every published table of ``marts.duckdb`` and knows
how the tables relate (they are documented). The adversary code here is written independently
of ``warehouse.disclosure``: it rebuilds the linear relations from the published rows alone and
tries to recover each withheld count, first by exact subtraction (repeated until nothing more
falls out), then by linear-programming bounds over all relations of all tables and
non-negativity (the adversary model of cell suppression; knowing the rule itself, anyone knows a
small cell is 1 to 10 whatever is published).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from schema_support import create_marts_schema, insert_rows
from scipy.optimize import linprog
from test_marts_helpers import published_sample

from warehouse.disclosure import (
    CellSet,
    DisclosureError,
    age_band,
    generalise_zip3,
    intervals,
    month_label,
    protect,
)
from warehouse.vocabulary import SECTORS


@pytest.mark.parametrize(
    ("zip3", "expected"),
    [("030", "030"), ("038", "038"), ("036", "000"), ("999", "000"), (None, "000")],
)
def test_zip3_generalisation(zip3: str | None, expected: str) -> None:
    assert generalise_zip3(zip3) == expected


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0-17"),
        (17, "0-17"),
        (18, "18-34"),
        (49, "35-49"),
        (64, "50-64"),
        (65, "65-89"),
        (89, "65-89"),
        (90, "90+"),
        (104, "90+"),
        (None, "unknown"),
    ],
)
def test_age_bands(age: int | None, band: str) -> None:
    assert age_band(age) == band


def test_dates_are_generalised_to_months() -> None:
    assert month_label(date(2026, 3, 9)) == "2026-03"


# --- the suppression engine on small tables ---------------------------------------------------


def _two_way(rows: int, cols: int, seed: int) -> tuple[CellSet, dict[Hashable, int]]:
    rng = random.Random(seed)
    values = {
        (r, c): rng.choice([0, 1, 2, 4, 7, 10, 12, 25, 60])
        for r in range(rows)
        for c in range(cols)
    }
    cells = CellSet()
    for (r, c), v in values.items():
        cells.add(("x", r, c), v)
    for r in range(rows):
        cells.add(("row", r), sum(values[r, c] for c in range(cols)))
        cells.add_total(("row", r), [("x", r, c) for c in range(cols)])
    for c in range(cols):
        cells.add(("col", c), sum(values[r, c] for r in range(rows)))
        cells.add_total(("col", c), [("x", r, c) for r in range(rows)])
    cells.add(("all",), sum(values.values()))
    cells.add_total(("all",), [("row", r) for r in range(rows)])
    cells.add_total(("all",), [("col", c) for c in range(cols)])
    return cells, dict(cells.values)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("threshold", [5, 11])
def test_two_way_tables_are_protected(seed: int, threshold: int) -> None:
    cells, values = _two_way(5, 6, seed)
    result = protect(cells, threshold)
    assert {c for c, v in values.items() if 0 < v < threshold} == set(result.primary)
    assert result.primary <= result.suppressed
    bounds = intervals(cells, set(result.suppressed))
    assert all(iv.width >= threshold for iv in bounds.values()), bounds
    # A cell published alone in a margin would be derivable: never happens.
    for constraint in cells.constraints:
        hidden = [c for c in constraint.coefs if c in result.suppressed]
        assert len(hidden) != 1


def test_one_small_cell_gets_a_complement() -> None:
    cells = CellSet()
    for name, value in (("a", 3), ("b", 40), ("c", 15), ("d", 0)):
        cells.add(name, value)
    cells.add("total", 58)
    cells.add_total("total", ["a", "b", "c", "d"])
    result = protect(cells, 11)
    assert result.primary == {"a"}
    assert result.suppressed == {"a", "c"}  # the smallest non-zero other part; zero is no cover


def test_complements_add_up_to_a_wide_enough_interval() -> None:
    cells = CellSet()
    for name, value in (("a", 2), ("b", 1), ("c", 5), ("d", 6), ("e", 300)):
        cells.add(name, value)
    cells.add("total", 314)
    cells.add_total("total", ["a", "b", "c", "d", "e"])
    result = protect(cells, 11)
    # 2 + 1 = 3 < 11: add 5 (8), then 6 (14): each withheld part lies anywhere in 0..14.
    assert result.suppressed == {"a", "b", "c", "d"}


def test_a_margin_of_small_parts_only_withholds_its_total() -> None:
    cells = CellSet()
    for name, value in (("a", 2), ("b", 3), ("c", 4)):
        cells.add(name, value)
    cells.add("total", 9)
    cells.add_total("total", ["a", "b", "c"])
    assert protect(cells, 11).suppressed == {"a", "b", "c", "total"}


def test_inconsistent_tables_are_refused() -> None:
    cells = CellSet()
    cells.add("a", 3)
    cells.add("total", 5)
    with pytest.raises(ValueError, match="sum to 3, not 5"):
        cells.add_total("total", ["a"])
    with pytest.raises(ValueError, match="different counts"):
        cells.add("a", 4)


def test_threshold_must_be_sensible() -> None:
    with pytest.raises(ValueError):
        protect(CellSet(), 1)
    assert issubclass(DisclosureError, RuntimeError)


# --- the adversary -------------------------------------------------------------------------


class Adversary:
    """Linear relations between published counts, rebuilt from the published tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.known: dict[Hashable, int] = {}
        self.unknown: set[Hashable] = set()
        self.equalities: list[dict[Hashable, int]] = []  # sum(coef * cell) == 0
        self.inequalities: list[dict[Hashable, int]] = []  # sum(coef * cell) <= 0
        self._read(con)

    def _cell(self, key: Hashable, people: int | None) -> Hashable:
        if people is None:
            self.unknown.add(key)
        else:
            self.known[key] = int(people)
        return key

    def _sum(self, total: Hashable, parts: list[Hashable]) -> None:
        coefs: dict[Hashable, int] = defaultdict(int)
        coefs[total] += 1
        for part in parts:
            coefs[part] -= 1
        self.equalities.append(dict(coefs))

    def _read(self, con: duckdb.DuckDBPyConnection) -> None:
        ((latest,),) = con.execute("SELECT max(month) FROM segment_trends").fetchall()
        blocks: dict[tuple[str, str], list[Hashable]] = defaultdict(list)
        for seg, month, a, s, z, people in con.execute(
            "SELECT segment, month, age_band, sex, zip3, people FROM segment_counts"
        ).fetchall():
            blocks[seg, month].append(self._cell(("count", seg, month, a, s, z), people))
        for seg, month, people in con.execute(
            "SELECT segment, month, people FROM segment_trends"
        ).fetchall():
            self._sum(self._cell(("trend", seg, month), people), blocks.pop((seg, month), []))
        assert not blocks, "every block of segment_counts has its trend row"
        for seg, people in con.execute("SELECT segment, people FROM segment_sizes").fetchall():
            self._sum(self._cell(("size", seg), people), [("trend", seg, latest)])
        combos: dict[str, list[tuple[str, Hashable]]] = defaultdict(list)
        for seg, combo, people in con.execute(
            "SELECT segment, sector_combination, people FROM sector_overlap"
        ).fetchall():
            combos[seg].append((combo, self._cell(("combo", seg, combo), people)))
        for seg, entries in combos.items():
            self._sum(("size", seg), [k for _, k in entries])
        reach = {
            (seg, sector, reached): self._cell(("reach", seg, sector, reached), people)
            for seg, sector, reached, people in con.execute(
                "SELECT segment, sector, reached, people FROM sector_reach"
            ).fetchall()
        }
        for seg, entries in combos.items():
            for sector in SECTORS:
                for reached in (True, False):
                    parts = [k for c, k in entries if (sector in c.split("+")) == reached]
                    key = reach.get((seg, sector, reached))
                    if key is None:
                        # No row: the adversary knows the count is 0.
                        for part in parts:
                            self.equalities.append({part: 1})
                    else:
                        self._sum(key, parts)
        for a, b, people in con.execute(
            "SELECT segment_a, segment_b, people FROM segment_overlap"
        ).fetchall():
            pair = self._cell(("pair", a, b), people)
            self.inequalities += [
                {pair: 1, ("size", a): -1},
                {pair: 1, ("size", b): -1},
                {("size", a): 1, ("size", b): 1, ("size", "all_people"): -1, pair: -1},
            ]
        for program, cohort, people in con.execute(
            "SELECT program, cohort, people FROM program_evaluation"
        ).fetchall():
            self._cell(("evaluation", program, cohort), people)

    def subtract(self) -> dict[Hashable, int]:
        """Exact subtraction, repeated: any relation with one unknown left reveals it."""
        solved: dict[Hashable, int] = {}
        values = dict(self.known)
        changed = True
        while changed:
            changed = False
            for relation in self.equalities:
                missing = [c for c in relation if c not in values]
                if len(missing) == 1:
                    cell = missing[0]
                    rest = sum(coef * values[c] for c, coef in relation.items() if c != cell)
                    values[cell] = -rest // relation[cell]
                    solved[cell] = values[cell]
                    changed = True
        return solved

    def bounds(self) -> dict[Hashable, tuple[float, float | None]]:
        """LP bounds of every withheld count, per connected group of withheld counts."""
        relations = [(r, "eq") for r in self.equalities] + [(r, "le") for r in self.inequalities]
        touching: dict[Hashable, list[int]] = defaultdict(list)
        for i, (relation, _) in enumerate(relations):
            for cell in relation:
                if cell in self.unknown:
                    touching[cell].append(i)
        result: dict[Hashable, tuple[float, float | None]] = {}
        seen: set[Hashable] = set()
        for start in sorted(self.unknown, key=repr):
            if start in seen:
                continue
            group, rows, stack = [], set(), [start]
            seen.add(start)
            while stack:
                cell = stack.pop()
                group.append(cell)
                for i in touching[cell]:
                    rows.add(i)
                    for other in relations[i][0]:
                        if other in self.unknown and other not in seen:
                            seen.add(other)
                            stack.append(other)
            result.update(self._solve(group, [relations[i] for i in sorted(rows)]))
        return result

    def _solve(
        self, group: list[Hashable], relations: list[tuple[dict[Hashable, int], str]]
    ) -> dict[Hashable, tuple[float, float | None]]:
        column = {cell: j for j, cell in enumerate(group)}
        a_eq, b_eq, a_ub, b_ub = [], [], [], []
        for relation, sense in relations:
            row = np.zeros(len(group))
            constant = 0.0
            for cell, coef in relation.items():
                if cell in column:
                    row[column[cell]] += coef
                else:
                    constant += coef * self.known[cell]
            (a_eq if sense == "eq" else a_ub).append(row)
            (b_eq if sense == "eq" else b_ub).append(-constant)
        # Counts are non-negative: bounds [0, inf).
        options = {
            "A_eq": np.array(a_eq) if a_eq else None,
            "b_eq": np.array(b_eq) if b_eq else None,
            "A_ub": np.array(a_ub) if a_ub else None,
            "b_ub": np.array(b_ub) if b_ub else None,
            "bounds": [(0, None)] * len(group),
            "method": "highs",
        }
        # One equality with unit coefficients is symmetric in its unknowns: one LP serves all.
        symmetric = (
            len(relations) == 1
            and relations[0][1] == "eq"
            and all(abs(relations[0][0].get(c, 0)) == 1 for c in group)
        )
        targets = group[:1] if symmetric else group
        out: dict[Hashable, tuple[float, float | None]] = {}
        for cell in targets:
            objective = np.zeros(len(group))
            objective[column[cell]] = 1
            low = linprog(objective, **options)
            high = linprog(-objective, **options)
            assert low.status in (0, 3) and high.status in (0, 3), "published tables disagree"
            out[cell] = (
                low.fun if low.status == 0 else 0.0,
                -high.fun if high.status == 0 else None,
            )
        if symmetric:
            out = dict.fromkeys(group, out[group[0]])
        return out


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = published_sample(tmp_path_factory.mktemp("attack"), persons=2500)
    assert result.suppressed_cells > 0 and result.complementary_suppressed > 0
    return result.path


def test_adversary_cannot_subtract_any_withheld_count(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        adversary = Adversary(con)
    assert len(adversary.unknown) > 100
    recovered = adversary.subtract()
    assert not (set(recovered) & adversary.unknown)


def test_adversary_lp_bounds_are_at_least_the_threshold_wide(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        adversary = Adversary(con)
        ((threshold,),) = con.execute(
            "SELECT CAST(value AS INTEGER) FROM about WHERE key = 'threshold'"
        ).fetchall()
    bounds = adversary.bounds()
    assert set(bounds) == adversary.unknown
    narrow = {
        cell: (low, high)
        for cell, (low, high) in bounds.items()
        if high is not None and high - low < threshold
    }
    assert not narrow
    exact = [cell for cell, (low, high) in bounds.items() if high is not None and high - low < 0.5]
    assert not exact


def test_the_adversary_would_notice_a_weak_publication(tmp_path: Path) -> None:
    # Control: publish the same marts with complementary suppression undone for one margin,
    # and the adversary recovers the cell, so the attack above is a real test.
    with duckdb.connect(str(tmp_path / "m.duckdb")) as con:
        create_marts_schema(con)
        insert_rows(
            con,
            "segment_trends",
            [{"segment": "s", "month": "2026-10", "people": 40, "suppressed": False}],
        )
        insert_rows(
            con,
            "segment_counts",
            [
                {"segment": "s", "month": "2026-10", "sex": "F", "zip3": "030", **cell}
                for cell in (
                    {"age_band": "0-17", "people": None, "suppressed": True},
                    {"age_band": "18-34", "people": 35, "suppressed": False},
                )
            ],
        )
        adversary = Adversary(con)
    assert adversary.subtract() == {("count", "s", "2026-10", "0-17", "F", "030"): 5}
