"""The adversary's view: how tightly can each withheld count be pinned down?

An adversary holds every published count and every public relation between counts (margins,
segment-subset relations, overlaps), and knows that

* a row exists, so a withheld count is at least 1 (a combination with no people has no row);
* a shown count ``p`` carries a bounded noise (:mod:`warehouse.disclosure.noise`), so the true
  count lies in ``[max(1, p - D), p + D]`` (with ``D = 0``: exactly ``p``).

Each withheld count is bounded by linear programming (HiGHS via ``scipy.optimize.linprog``):
minimise and maximise it subject to all of that. The same engine serves the publication's
audit (:func:`intervals`, the relations that touch the withheld counts and the boxes of the
shown counts in them) and the attack suite (:mod:`warehouse.disclosure.attacks`, which follows
the relations ``hops`` steps further through noisy shown counts and across publications).

A withheld count is *exposed* when its interval is narrower than the threshold
(``upper - lower < threshold``); an interval of width 0 means it is recovered exactly.
A single relation, or one withheld count in relations that share no other unknown, is solved in
closed form (interval arithmetic is exact there); everything else by LP.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from warehouse.disclosure.cells import CellKey, Constraint

Box = tuple[float, float | None]


@dataclass(frozen=True)
class Interval:
    """The adversary's bounds on one withheld count (``upper`` None: unbounded)."""

    cell: CellKey
    lower: float
    upper: float | None

    @property
    def width(self) -> float:
        return float("inf") if self.upper is None else self.upper - self.lower

    @property
    def exact(self) -> bool:
        """The count is recovered exactly."""
        return self.width < 0.5


def shown_box(shown: int, max_noise: int, floor: int = 1) -> Box:
    """What a shown count tells the adversary about the true one."""
    return (float(max(floor, shown - max_noise)), float(shown + max_noise))


def box_of(shown: int | None, max_noise: int, floor: int) -> Box:
    """What a row tells: withheld (None), at least ``floor`` (1: rows only where people are);
    shown, within the noise of the shown number."""
    return (float(floor), None) if shown is None else shown_box(shown, max_noise, floor)


def index_rows(constraints: Sequence[Constraint]) -> dict[CellKey, list[int]]:
    """cell -> indexes of the constraints it appears in."""
    index: dict[CellKey, list[int]] = {}
    for i, constraint in enumerate(constraints):
        for cell in constraint.coefs:
            index.setdefault(cell, []).append(i)
    return index


def components(
    constraints: Sequence[Constraint],
    withheld: Iterable[CellKey],
    index: Mapping[CellKey, list[int]] | None = None,
) -> list[tuple[list[CellKey], list[int]]]:
    """Groups of withheld cells linked through constraints, with those constraints."""
    index = index_rows(constraints) if index is None else index
    hidden = set(withheld)
    seen: set[CellKey] = set()
    groups = []
    for start in sorted(hidden, key=repr):
        if start in seen:
            continue
        stack, members, rows = [start], [], set()
        seen.add(start)
        while stack:
            cell = stack.pop()
            members.append(cell)
            for i in index.get(cell, []):
                rows.add(i)
                for other in constraints[i].coefs:
                    if other in hidden and other not in seen:
                        seen.add(other)
                        stack.append(other)
        groups.append((members, sorted(rows)))
    return groups


def bounds(
    constraints: Sequence[Constraint],
    boxes: Mapping[CellKey, Box],
    withheld: Iterable[CellKey],
    *,
    hops: int = 1,
    index: Mapping[CellKey, list[int]] | None = None,
    cache: dict[tuple[frozenset[CellKey], tuple[Box, ...]], dict[CellKey, Interval]] | None = None,
    enough: float | None = None,
) -> dict[CellKey, Interval]:
    """The adversary's interval for every withheld cell.

    Args:
        constraints: The public relations.
        boxes: cell -> (lower, upper) the adversary knows on its own (a cell missing here is 0).
        withheld: The cells to bound.
        hops: 1 uses the relations touching the withheld cells; each further hop adds the
            relations touching the noisy shown cells reached so far (a stronger adversary).
        index: :func:`index_rows` of ``constraints``, if already built.
        cache: Results per group, reused while the group and its boxes are unchanged.
        enough: Only tell whether each interval is narrower than this: a cell that two
            feasible points of an LP already solved hold ``enough`` apart gets the interval of
            those two points (at least that wide) instead of two LPs of its own.
    """
    index = index_rows(constraints) if index is None else index
    result: dict[CellKey, Interval] = {}
    for members, rows in components(constraints, withheld, index):
        rows = _expand(constraints, boxes, index, rows, hops)
        cells = sorted({c for i in rows for c in constraints[i].coefs}, key=repr)
        key = (frozenset(members), tuple(boxes.get(c, (0.0, 0.0)) for c in cells))
        if cache is not None and key in cache:
            result.update(cache[key])
            continue
        solved = _solve(constraints, boxes, members, rows, enough)
        if cache is not None:
            cache[key] = solved
        result.update(solved)
    return result


def _expand(
    constraints: Sequence[Constraint],
    boxes: Mapping[CellKey, Box],
    index: Mapping[CellKey, list[int]],
    rows: list[int],
    hops: int,
) -> list[int]:
    found = set(rows)
    frontier = set(rows)
    for _ in range(hops - 1):
        noisy = {
            c
            for i in frontier
            for c in constraints[i].coefs
            if c in boxes and boxes[c][0] != boxes[c][1]
        }
        frontier = {j for c in noisy for j in index.get(c, [])} - found
        if not frontier:
            break
        found |= frontier
    return sorted(found)


def _solve(
    constraints: Sequence[Constraint],
    boxes: Mapping[CellKey, Box],
    members: list[CellKey],
    rows: list[int],
    enough: float | None = None,
) -> dict[CellKey, Interval]:
    def box(cell: CellKey) -> Box:
        return boxes.get(cell, (0.0, 0.0))

    if len(rows) == 1 or (len(members) == 1 and _disjoint(constraints, members[0], rows)):
        return {m: _by_rows(constraints, box, m, rows) for m in members}
    return _by_lp(constraints, box, members, rows, enough)


def _disjoint(constraints: Sequence[Constraint], cell: CellKey, rows: list[int]) -> bool:
    """No cell other than ``cell`` appears in two of ``rows`` (each row bounds it alone)."""
    seen: set[CellKey] = set()
    for i in rows:
        others = set(constraints[i].coefs) - {cell}
        if seen & others:
            return False
        seen |= others
    return True


def _by_rows(
    constraints: Sequence[Constraint], box: Callable[[CellKey], Box], cell: CellKey, rows: list[int]
) -> Interval:
    """Interval arithmetic, row by row, intersected (exact for independent rows)."""
    lower, upper = box(cell)
    for i in rows:
        constraint = constraints[i]
        a = constraint.coefs[cell]
        # a * cell = -rest, rest = sum of the other terms within their boxes.
        low_rest, high_rest = 0.0, 0.0
        for other, coef in constraint.coefs.items():
            if other == cell:
                continue
            lo, hi = box(other)
            hi_f = float("inf") if hi is None else hi
            terms = (coef * lo, coef * hi_f)
            low_rest += min(terms)
            high_rest += max(terms)
        values = sorted((-high_rest / a, -low_rest / a))
        if constraint.sense == "eq":
            lower = max(lower, values[0])
            upper = values[1] if upper is None else min(upper, values[1])
        elif a > 0:  # a * cell <= -rest: an upper bound.
            cap = -low_rest / a
            upper = cap if upper is None else min(upper, cap)
        else:
            lower = max(lower, -low_rest / a)
    finite = upper is not None and upper != float("inf")
    return Interval(cell, float(lower), float(upper) if finite and upper is not None else None)


def _by_lp(
    constraints: Sequence[Constraint],
    box: Callable[[CellKey], Box],
    members: list[CellKey],
    rows: list[int],
    enough: float | None = None,
) -> dict[CellKey, Interval]:
    """Two LPs per member on one HiGHS model (only the objective changes between them).

    With ``enough``, every LP's optimal point also bounds the other members from inside: a
    member seen at values ``enough`` apart is wide enough and needs no LP of its own (most
    withheld counts of a sequence attack are; this is what keeps the ledger audit cheap).
    """
    # highspy loads a native library: only pay it in the process that audits.
    import highspy

    infinity = highspy.kHighsInf
    variables = sorted(
        {c for i in rows for c in constraints[i].coefs if box(c)[0] != box(c)[1]}, key=repr
    )
    column = {cell: j for j, cell in enumerate(variables)}
    lows = np.array([box(c)[0] for c in variables], dtype=float)
    highs = np.array([infinity if box(c)[1] is None else box(c)[1] for c in variables])
    starts: list[int] = []
    indexes: list[int] = []
    coefs: list[float] = []
    row_low: list[float] = []
    row_high: list[float] = []
    for i in rows:
        constraint = constraints[i]
        starts.append(len(indexes))
        constant = 0.0
        for cell, coef in constraint.coefs.items():
            if cell in column:
                indexes.append(column[cell])
                coefs.append(float(coef))
            else:
                constant += coef * box(cell)[0]
        row_high.append(-constant)
        row_low.append(-constant if constraint.sense == "eq" else -infinity)
    model = highs_model(list(lows), list(highs), starts, indexes, coefs, row_low, row_high)
    every = np.arange(len(variables), dtype=np.int32)
    seen_low = np.full(len(variables), np.inf)
    seen_high = np.full(len(variables), -np.inf)
    out = {}
    for cell in members:
        j = column[cell]
        if enough is not None and seen_high[j] - seen_low[j] >= enough:
            out[cell] = Interval(cell, float(seen_low[j]), float(seen_high[j]))
            continue
        objective = np.zeros(len(variables))
        objective[column[cell]] = 1.0
        model.changeColsCost(len(variables), every, objective)
        found: list[float | None] = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            model.changeObjectiveSense(sense)
            model.run()
            status = model.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                raise ValueError("the published cells are inconsistent: the audit LP is infeasible")
            optimal = status == highspy.HighsModelStatus.kOptimal
            found.append(model.getInfo().objective_function_value if optimal else None)
            if optimal and enough is not None:
                point = np.asarray(model.getSolution().col_value)
                np.minimum(seen_low, point, out=seen_low)
                np.maximum(seen_high, point, out=seen_high)
        lower = box(cell)[0] if found[0] is None else float(found[0])
        out[cell] = Interval(cell, lower, found[1])
    return out


_BANNER_LOCK = threading.Lock()
_banner_swallowed = False


def _new_highs() -> Any:
    """A HiGHS instance. HiGHS prints its licence banner from C++ to the process's stdout on
    the first instance, before any option can silence it; that banner would land in the
    steward's console and the demo's output, so the first instance is made with file
    descriptor 1 pointed at /dev/null."""
    # highspy loads a native library: only pay it in the process that audits.
    import highspy

    global _banner_swallowed
    with _BANNER_LOCK:
        if _banner_swallowed:
            return highspy.Highs()  # type: ignore[no-untyped-call]  # highspy has no stubs
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            model = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _banner_swallowed = True
        return model


def highs_model(
    lows: Sequence[float],
    highs: Sequence[float],
    starts: Sequence[int],
    indexes: Sequence[int],
    coefs: Sequence[float],
    row_low: Sequence[float],
    row_high: Sequence[float],
) -> Any:
    """A silent HiGHS model with columns in ``[lows, highs]`` and rows given row-wise (CSR:
    row ``r`` holds ``coefs[starts[r]:starts[r + 1]]`` at columns ``indexes[...]``)."""
    model = _new_highs()
    model.silent()
    model.addVars(len(lows), np.array(lows, dtype=float), np.array(highs, dtype=float))
    model.addRows(
        len(row_low),
        np.array(row_low, dtype=float),
        np.array(row_high, dtype=float),
        len(indexes),
        np.array(starts, dtype=np.int32),
        np.array(indexes, dtype=np.int32),
        np.array(coefs, dtype=float),
    )
    return model


def intervals(
    constraints: Sequence[Constraint],
    shown: Mapping[CellKey, int | None],
    max_noise: int,
    *,
    structural: Collection[CellKey] = (),
    hops: int = 1,
    index: Mapping[CellKey, list[int]] | None = None,
    cache: dict[tuple[frozenset[CellKey], tuple[Box, ...]], dict[CellKey, Interval]] | None = None,
) -> dict[CellKey, Interval]:
    """Bounds of every withheld cell of one publication (``shown``: value, or None withheld;
    ``structural``: cells whose row exists whatever the count, see :class:`CellSet`)."""
    boxes = {
        cell: box_of(value, max_noise, 0 if cell in structural else 1)
        for cell, value in shown.items()
    }
    withheld = [cell for cell, value in shown.items() if value is None]
    return bounds(constraints, boxes, withheld, hops=hops, index=index, cache=cache)


def exposed(found: Mapping[CellKey, Interval], threshold: int) -> list[Interval]:
    """The intervals narrower than ``threshold``, narrowest first."""
    return sorted(
        (iv for iv in found.values() if iv.width < threshold), key=lambda iv: (iv.width, repr(iv))
    )
