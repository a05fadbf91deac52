"""Optimal complementary suppression: withhold the fewest people that leave no count exposed.

After τ-ARGUS's optimal method (Fischetti and Salazar-González): for a group of withheld counts
that the audit found exposed, one mixed-integer program (HiGHS via ``highspy``) chooses which
further counts to withhold, minimising the **people** withheld (not the number of cells).

The adversary's interval of an exposed count ``p`` is at least ``threshold`` wide exactly when
two tables of counts exist that both satisfy every public fact (the relations, each shown count
within its noise, each row at least 1 person) and differ by at least ``threshold`` on ``p``. The
program holds, for each exposed ``p``, two such tables ``x_hi`` and ``x_lo`` as continuous
variables, and a binary ``y_c`` per candidate count ``c``: shown (``y_c = 0``) keeps ``x_c``
within the noise box of its shown value; withheld (``y_c = 1``) lets it go from its floor to
``threshold`` above that box. Capping a withheld count's freedom at ``threshold`` is
conservative (the real adversary knows less), and it keeps the relaxation tight.

Candidates are the shown counts of the relations that touch the group; the program sees those
relations and the ones touching each candidate (a candidate once withheld is bounded by them).
Relations further out are not in the program, so the caller audits again and repeats; when a
program finds no solution within its node limit, :func:`choose` returns None and the caller falls
back to the greedy widening. Limits are counted in nodes, so the outcome is deterministic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from warehouse.disclosure.audit import Box, box_of, highs_model
from warehouse.disclosure.cells import CellKey, Constraint

# Per program, in branch-and-bound nodes (HiGHS's ``mip_max_nodes``): the best solution found
# by then is used. A count of nodes, not seconds, so the same input gives the same publication
# whatever the machine's load.
DEFAULT_NODE_LIMIT: Final = 200
# Per program, in seconds: only a safety net against a pathological program (when it bites, the
# publication is no longer reproducible bit for bit; the node limits bite long before).
SAFETY_TIME_LIMIT: Final = 60.0
# A withheld cell is preferred over another of the same people when it is not a margin total
# (a withheld total hides a whole row or column from analysts), then when it is one cell.
_CELL_COST: Final = 0.5
_TOTAL_COST: Final = 2.0
_SHOWN_BEFORE: Final = 100.0


@dataclass(frozen=True)
class Problem:
    """One group's complementary-suppression program.

    Attributes:
        targets: The exposed withheld counts of the group.
        rows: Indexes of the relations in the program.
        candidates: Shown counts that may be withheld.
    """

    targets: list[CellKey]
    rows: list[int]
    candidates: list[CellKey]


def neighbourhood(
    constraints: Sequence[Constraint],
    index: Mapping[CellKey, list[int]],
    members: Collection[CellKey],
    targets: list[CellKey],
    suppressed: Collection[CellKey],
    shown: Mapping[CellKey, int],
) -> Problem:
    """The relations and candidate counts of the program for one group of withheld counts."""
    first = sorted({i for cell in members for i in index.get(cell, [])})
    candidates = sorted(
        {
            cell
            for i in first
            for cell in constraints[i].coefs
            if cell not in suppressed and cell in shown
        },
        key=repr,
    )
    rows = sorted(set(first) | {i for cell in candidates for i in index.get(cell, [])})
    return Problem(targets, rows, candidates)


def choose(
    constraints: Sequence[Constraint],
    problem: Problem,
    values: Mapping[CellKey, int],
    shown: Mapping[CellKey, int],
    suppressed: Collection[CellKey],
    *,
    threshold: int,
    max_noise: int,
    structural: Collection[CellKey] = (),
    totals: Collection[CellKey] = (),
    previous: Mapping[CellKey, int | None] | None = None,
    change: int = 0,
    node_limit: int = DEFAULT_NODE_LIMIT,
    time_limit: float = SAFETY_TIME_LIMIT,
) -> tuple[set[CellKey] | None, int]:
    """The counts to withhold so every target is at least ``threshold`` wide, fewest people.

    Args:
        constraints: Every public relation.
        problem: The group's targets, relations and candidates (:func:`neighbourhood`).
        values: True counts (the cost of withholding a count is its people).
        shown: Shown number of every count with a row (count + noise).
        suppressed: Counts withheld already.
        threshold: The narrowest interval allowed.
        max_noise: The noise bound of shown counts.
        structural: Counts whose row exists whatever the count (floor 0, not 1).
        totals: Margin totals (withheld last).
        previous: The last publication's shown numbers (None: withheld). A count it withheld
            costs little to withhold again; one it showed costs many times its people (from a
            number shown last time, a count withheld now is known to within the noise and the
            change, narrower than the threshold): a stable pattern across publications.
            The program also knows what the last publication showed: a count shown then is
            within ``max_noise + change`` of that number now.
        change: How much a count may move between two publications.
        node_limit: Branch-and-bound nodes for this program (deterministic).
        time_limit: Wall-clock safety net for this program, in seconds.

    Returns:
        The counts to withhold (possibly none), or None: no solution found within the limits;
        and the nodes the program used (at least 1: the budget of a publication counts them).
    """
    # highspy loads a native library (about 1 s): only a suppression that needs the MILP pays it.
    import highspy

    inf = highspy.kHighsInf
    cells = sorted({c for i in problem.rows for c in constraints[i].coefs}, key=repr)
    column = {cell: j for j, cell in enumerate(cells)}
    candidate_of = {cell: k for k, cell in enumerate(problem.candidates)}
    n_y, n_x = len(problem.candidates), len(cells)
    blocks = [(target, side) for target in problem.targets for side in (1, -1)]

    def floor(cell: CellKey) -> float:
        return 0.0 if cell in structural else 1.0

    def box(cell: CellKey) -> Box:
        if cell in suppressed:
            low, high = floor(cell), None
        elif cell in shown:
            low, high = box_of(shown[cell], max_noise, int(floor(cell)))
        else:
            return (0.0, 0.0)  # no row: nobody
        return within_history(cell, low, high)

    def within_history(cell: CellKey, low: float, high: float | None) -> Box:
        before = None if previous is None else previous.get(cell)
        if before is None:
            return (low, high)
        # Shown last time: within its noise and the change of that number, whatever now.
        reach = max_noise + change
        narrowed = max(low, float(before - reach))
        top = float(before + reach) if high is None else min(high, float(before + reach))
        # Disjoint: the count moved further than ``change`` (the adversary's assumption fails).
        return (low, high) if narrowed > top else (narrowed, top)

    lows: list[float] = [0.0] * n_y
    highs: list[float] = [1.0] * n_y

    def cost(cell: CellKey) -> float:
        base = values[cell] + (_TOTAL_COST if cell in totals else _CELL_COST)
        if previous is None or cell not in previous:
            return base
        return _CELL_COST if previous[cell] is None else _SHOWN_BEFORE * base

    costs: list[float] = [cost(c) for c in problem.candidates]
    for _ in blocks:
        for cell in cells:
            low, high = box(cell)
            if cell in candidate_of:
                low, high = within_history(cell, floor(cell), (high or 0.0) + threshold)
            lows.append(low)
            highs.append(inf if high is None else high)
            costs.append(0.0)
    starts: list[int] = []
    indexes: list[int] = []
    coefs: list[float] = []
    row_low: list[float] = []
    row_high: list[float] = []

    def add_row(terms: list[tuple[int, float]], low: float, high: float) -> None:
        starts.append(len(indexes))
        for j, coef in terms:
            indexes.append(j)
            coefs.append(coef)
        row_low.append(low)
        row_high.append(high)

    for b, (target, side) in enumerate(blocks):
        offset = n_y + b * n_x
        for i in problem.rows:
            constraint = constraints[i]
            terms = [(offset + column[c], float(k)) for c, k in constraint.coefs.items()]
            add_row(terms, 0.0 if constraint.sense == "eq" else -inf, 0.0)
        for cell, k in candidate_of.items():
            low, high = box(cell)
            x = offset + column[cell]
            # Shown (y = 0): within the noise box; withheld (y = 1): floor .. box + threshold.
            add_row([(x, 1.0), (k, -float(threshold))], -inf, high or 0.0)
            add_row([(x, 1.0), (k, low - floor(cell))], low, inf)
        if side == -1:
            upper = offset - n_x + column[target]
            add_row([(upper, 1.0), (offset + column[target], -1.0)], float(threshold), inf)
    n = n_y + len(blocks) * n_x
    model = highs_model(lows, highs, starts, indexes, coefs, row_low, row_high)
    model.setOptionValue("mip_max_nodes", max(1, int(node_limit)))
    model.setOptionValue("time_limit", float(time_limit))
    model.setOptionValue("mip_rel_gap", 0.0)
    model.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(costs))
    if n_y:
        model.changeColsIntegrality(
            n_y,
            np.arange(n_y, dtype=np.int32),
            np.array([highspy.HighsVarType.kInteger] * n_y),
        )
    model.run()
    status = model.getModelStatus()
    info = model.getInfo()
    nodes = max(1, int(info.mip_node_count))
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status != highspy.HighsModelStatus.kOptimal and not feasible:
        return None, nodes
    solution = model.getSolution().col_value
    return {cell for cell, k in candidate_of.items() if solution[k] > 0.5}, nodes
