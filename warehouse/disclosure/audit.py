"""The adversary's view: how tightly can each suppressed cell be pinned down?

Given every published cell and every relation between cells, an adversary bounds each
suppressed cell by linear programming: minimise and maximise it subject to the relations, the
published values and non-negativity. The audit solves those programs with HiGHS
(``scipy.optimize.linprog``) per connected group of suppressed cells.

The adversary model is the one of the issue and of cell-suppression practice (tau-ARGUS): the
published tables, every linear relation between them, and counts being non-negative. It leaves
out knowledge of the suppression rule itself: whoever knows the rule knows that a small cell is
1 to threshold-1, whatever is published.

A suppressed cell is *exposed* when its feasible interval is narrower than the threshold
(``upper - lower < threshold``); an interval of width 0 means the cell is recovered exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from warehouse.disclosure.cells import CellKey, CellSet


@dataclass(frozen=True)
class Interval:
    """The adversary's bounds on one suppressed cell (``upper`` None: unbounded)."""

    cell: CellKey
    lower: float
    upper: float | None

    @property
    def width(self) -> float:
        return float("inf") if self.upper is None else self.upper - self.lower

    @property
    def exact(self) -> bool:
        """The cell is recovered exactly."""
        return self.width < 0.5


def components(cells: CellSet, suppressed: set[CellKey]) -> list[tuple[list[CellKey], list[int]]]:
    """Groups of suppressed cells linked through constraints, with those constraints."""
    index = cells.by_cell()
    seen: set[CellKey] = set()
    groups = []
    for start in sorted(suppressed, key=repr):
        if start in seen:
            continue
        stack, members, rows = [start], [], set()
        seen.add(start)
        while stack:
            cell = stack.pop()
            members.append(cell)
            for i in index.get(cell, []):
                rows.add(i)
                for other in cells.constraints[i].coefs:
                    if other in suppressed and other not in seen:
                        seen.add(other)
                        stack.append(other)
        groups.append((members, sorted(rows)))
    return groups


def intervals(
    cells: CellSet,
    suppressed: set[CellKey],
    only: Iterable[CellKey] | None = None,
    *,
    skip_single_margins: bool = False,
    cache: dict[frozenset[CellKey], dict[CellKey, Interval]] | None = None,
) -> dict[CellKey, Interval]:
    """LP bounds of each suppressed cell (or of ``only`` those) given everything published.

    Args:
        cells: The cells and their relations.
        suppressed: The withheld cells (the LP variables).
        only: Bound only these cells.
        skip_single_margins: Skip groups held by one margin alone: the greedy rule of
            :mod:`warehouse.disclosure.suppression` already guarantees their width.
        cache: Results per group of withheld cells, reused while a group is unchanged (the
            bounds of a group depend only on its members and the published values around it).
    """
    wanted = set(suppressed if only is None else only) & suppressed
    result: dict[CellKey, Interval] = {}
    for members, rows in components(cells, suppressed):
        targets = [m for m in members if m in wanted]
        if not targets:
            continue
        if skip_single_margins and len(rows) == 1 and cells.constraints[rows[0]].sense == "eq":
            continue
        key = frozenset(members)
        if cache is not None and key in cache and all(t in cache[key] for t in targets):
            result.update({t: cache[key][t] for t in targets})
            continue
        solved = _solve(cells, suppressed, members, rows, targets)
        if cache is not None:
            cache[key] = solved
        result.update(solved)
    return result


def _solve(
    cells: CellSet,
    suppressed: set[CellKey],
    members: list[CellKey],
    rows: list[int],
    targets: list[CellKey],
) -> dict[CellKey, Interval]:
    # scipy.optimize costs seconds to import: only pay it in the process that audits.
    from scipy.optimize import linprog

    column = {cell: j for j, cell in enumerate(members)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for i in rows:
        constraint = cells.constraints[i]
        row = np.zeros(len(members))
        constant = 0.0
        for cell, coef in constraint.coefs.items():
            if cell in suppressed:
                row[column[cell]] += coef
            else:
                constant += coef * cells.values[cell]
        if constraint.sense == "eq":
            a_eq.append(row)
            b_eq.append(-constant)
        else:
            a_ub.append(row)
            b_ub.append(-constant)
    kwargs = {
        "A_eq": np.array(a_eq) if a_eq else None,
        "b_eq": np.array(b_eq) if b_eq else None,
        "A_ub": np.array(a_ub) if a_ub else None,
        "b_ub": np.array(b_ub) if b_ub else None,
        "bounds": [(0, None)] * len(members),
        "method": "highs",
    }
    out = {}
    for cell in targets:
        objective = np.zeros(len(members))
        objective[column[cell]] = 1.0
        low = linprog(objective, **kwargs)
        high = linprog(-objective, **kwargs)
        if low.status == 2 or high.status == 2:
            raise ValueError("the published cells are inconsistent: the audit LP is infeasible")
        lower = float(low.fun) if low.status == 0 else 0.0
        upper = float(-high.fun) if high.status == 0 else None
        out[cell] = Interval(cell, lower, upper)
    return out


def exposed(
    cells: CellSet, suppressed: set[CellKey], threshold: int, *, skip_single_margins: bool = False
) -> list[Interval]:
    """Suppressed cells whose LP interval is narrower than ``threshold``."""
    found = intervals(cells, suppressed, skip_single_margins=skip_single_margins)
    return [iv for iv in found.values() if iv.width < threshold]
