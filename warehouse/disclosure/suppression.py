"""Small-cell suppression with complementary suppression, verified by an LP audit.

1. **Primary suppression**: every cell from 1 to ``threshold - 1`` is suppressed (CMS cell-size
   policy: threshold 11). Zero cells are published as absent.
2. **Complementary suppression** (greedy, per margin): in every margin ``total = sum(parts)``
   whose total is published, the suppressed parts must be at least two and must sum to at least
   ``threshold``, so that each of them can lie anywhere in an interval at least ``threshold``
   wide (from 0 to their sum). Otherwise the smallest published non-zero part is
   suppressed too (and, when no part is left, the total). A suppressed total needs at least one
   suppressed part, or it could be re-added from its parts. This repeats across all margins of
   all tables until nothing changes.
3. **Audit** (:mod:`warehouse.disclosure.audit`): linear programming over every relation of
   every table bounds each suppressed cell. A cell whose interval is narrower than the
   threshold gets a further complementary suppression in one of its relations, and the loop
   runs again. Publication stops with :class:`DisclosureError` if that does not converge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from warehouse.disclosure.audit import Interval, components, intervals
from warehouse.disclosure.cells import CellKey, CellSet, Constraint

DEFAULT_THRESHOLD: Final = 11
MAX_AUDIT_ROUNDS: Final = 200


class DisclosureError(RuntimeError):
    """Suppression could not protect every cell; nothing may be published."""


@dataclass(frozen=True)
class SuppressionResult:
    """Which cells to withhold.

    Attributes:
        suppressed: Every withheld cell.
        primary: Cells withheld for being small (1 .. threshold-1).
        threshold: The threshold used.
        audit: The audit intervals of the suppressed cells that were audited by LP.
        audit_rounds: LP audit rounds until no cell was exposed.
    """

    suppressed: frozenset[CellKey]
    primary: frozenset[CellKey]
    threshold: int
    audit: dict[CellKey, Interval] = field(default_factory=dict)
    audit_rounds: int = 0

    @property
    def complementary(self) -> frozenset[CellKey]:
        return self.suppressed - self.primary


def protect(cells: CellSet, threshold: int = DEFAULT_THRESHOLD) -> SuppressionResult:
    """Choose primary and complementary suppressions so that no withheld cell is exposed.

    Args:
        cells: Every cell of the publication with the relations between them.
        threshold: Smallest count that may be shown (default 11).

    Raises:
        DisclosureError: the audit still finds an exposed cell after the allowed rounds.
    """
    if threshold < 2:
        raise ValueError("the threshold must be at least 2")
    primary = {c for c, v in cells.values.items() if 0 < v < threshold}
    suppressed = set(primary)
    index = cells.by_cell()
    rounds = 0
    cache: dict[frozenset[CellKey], dict[CellKey, Interval]] = {}
    _complete_margins(cells, suppressed, threshold)
    while True:
        audit = intervals(cells, suppressed, skip_single_margins=True, cache=cache)
        weak = sorted(
            (iv for iv in audit.values() if iv.width < threshold), key=lambda iv: iv.width
        )
        if not weak:
            break
        rounds += 1
        if rounds > MAX_AUDIT_ROUNDS:
            raise DisclosureError(
                f"{len(weak)} suppressed cell(s) stay narrower than {threshold} after "
                f"{MAX_AUDIT_ROUNDS} rounds; publish coarser tables"
            )
        # One widening per group of withheld cells per round, narrowest first: a widening
        # changes the bounds of its whole group, so the group's other findings are stale.
        group_of = {
            cell: i
            for i, (members, _) in enumerate(components(cells, suppressed))
            for cell in members
        }
        widened: set[int] = set()
        for interval in weak:
            group = group_of[interval.cell]
            if group not in widened:
                widened.add(group)
                _widen(cells, index, suppressed, interval.cell)
        _complete_margins(cells, suppressed, threshold)
    return SuppressionResult(frozenset(suppressed), frozenset(primary), threshold, audit, rounds)


def _complete_margins(cells: CellSet, suppressed: set[CellKey], threshold: int) -> None:
    changed = True
    while changed:
        changed = False
        for constraint in cells.constraints:
            if constraint.sense == "eq" and constraint.total is not None:
                changed |= _complete(cells, constraint, suppressed, threshold)


def _complete(
    cells: CellSet, constraint: Constraint, suppressed: set[CellKey], threshold: int
) -> bool:
    values = cells.values
    total = constraint.total
    parts = [p for p in constraint.parts if values[p] > 0]
    hidden = [p for p in parts if p in suppressed]
    open_parts = sorted(
        (p for p in parts if p not in suppressed), key=lambda p: (values[p], repr(p))
    )
    changed = False
    if total in suppressed:
        if parts and not hidden:
            suppressed.add(open_parts[0])
            changed = True
        return changed
    if not hidden:
        return False
    k, hidden_sum = len(hidden), sum(values[p] for p in hidden)
    while k < 2 or hidden_sum < threshold:
        if not open_parts:
            suppressed.add(total)
            return True
        part = open_parts.pop(0)
        suppressed.add(part)
        k, hidden_sum = k + 1, hidden_sum + values[part]
        changed = True
    return changed


def _widen(
    cells: CellSet, index: dict[CellKey, list[int]], suppressed: set[CellKey], cell: CellKey
) -> None:
    """Suppress one more published cell to widen the interval of the exposed ``cell``.

    The cell is pinned by the margins (equalities) it is in, so the new suppression comes from
    one of them: the margin hiding the fewest cells first (it pins hardest), inner cells before
    totals (a withheld total hides more from analysts), then the smallest count. Only when no
    margin of the cell has a published cell left does the search move one relation further out.
    """
    totals = {c.total for c in cells.constraints}
    values = cells.values

    def best_in(rows: list[int]) -> CellKey | None:
        options = []
        for i in rows:
            constraint = cells.constraints[i]
            hidden = sum(1 for k in constraint.coefs if k in suppressed)
            for other in constraint.coefs:
                if other not in suppressed and values[other] > 0:
                    options.append((hidden, other in totals, values[other], repr(other), other))
        return min(options)[-1] if options else None

    for sense in ("eq", "le"):
        seen = {cell}
        frontier = {cell}
        while frontier:
            rows = sorted(
                {
                    i
                    for current in frontier
                    for i in index.get(current, [])
                    if cells.constraints[i].sense == sense
                }
            )
            choice = best_in(rows)
            if choice is not None:
                suppressed.add(choice)
                return
            reached = {k for i in rows for k in cells.constraints[i].coefs} - seen
            seen |= reached
            frontier = reached
    raise DisclosureError(
        f"cell {cell!r} cannot be protected: every cell related to it is already withheld"
    )
