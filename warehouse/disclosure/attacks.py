"""The attack suite: what an adversary can work out from one publication, or from several.

* :func:`attack` - linear programming over every public fact of one publication (every
  relation between its tables, each row meaning at least 1 person, the noise bound of each
  shown count), following relations ``hops`` steps through noisy shown counts: a stronger
  adversary than the publication's own audit, which stops at the first step.
* :func:`differencing` - the same over a sequence of consecutive publications, with the
  adversary also knowing that no count moved by more than ``change`` between two of them
  (a partner re-submitted with ``change`` new clients). A cell absent from a publication held
  no one then.

Both return :class:`AttackResult`; a withheld count is *narrowed* when its interval is narrower
than the threshold. The tests and ``benchmarks/disclosure_attacks.py`` fail on any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from warehouse.disclosure.audit import (
    Box,
    Interval,
    bounds,
    box_of,
    exposed,
    index_rows,
    intervals,
)
from warehouse.disclosure.cells import CellKey, CellSet, Constraint

_CHANGE: CellKey = ("__change__",)


@dataclass(frozen=True)
class Release:
    """What one publication shows.

    Attributes:
        shown: Every cell with a row: its shown number, or None when withheld.
        constraints: The public relations between the cells.
        max_noise: The published noise bound (0: exact counts).
        structural: Cells whose row exists whatever the count (a row says nothing); any other
            row means at least 1 person.
    """

    shown: Mapping[CellKey, int | None]
    constraints: Sequence[Constraint]
    max_noise: int = 0
    structural: frozenset[CellKey] = frozenset()

    @classmethod
    def of(
        cls,
        cells: CellSet,
        suppressed: Iterable[CellKey],
        shown: Mapping[CellKey, int] | None = None,
        max_noise: int = 0,
    ) -> Release:
        """The release of ``cells`` with ``suppressed`` withheld; ``shown`` defaults to the
        true counts (an exact publication)."""
        hidden = set(suppressed)
        numbers = cells.values if shown is None else shown
        view = {c: None if c in hidden else numbers[c] for c in cells.rows()}
        return cls(view, tuple(cells.constraints), max_noise, frozenset(cells.structural))

    @property
    def withheld(self) -> list[CellKey]:
        return [c for c, v in self.shown.items() if v is None]


@dataclass(frozen=True)
class AttackResult:
    """The adversary's interval of every withheld count attacked."""

    intervals: dict[CellKey, Interval]
    threshold: int

    @property
    def narrowed(self) -> list[Interval]:
        """Withheld counts narrower than the threshold, narrowest first."""
        return exposed(self.intervals, self.threshold)

    @property
    def exact(self) -> list[Interval]:
        """Withheld counts recovered exactly."""
        return [iv for iv in self.intervals.values() if iv.exact]


def attack(release: Release, threshold: int, *, hops: int = 2) -> AttackResult:
    """LP bounds of every withheld count of one publication."""
    found = intervals(
        release.constraints,
        release.shown,
        release.max_noise,
        structural=release.structural,
        hops=hops,
    )
    return AttackResult(found, threshold)


def differencing(
    releases: Sequence[Release], change: int, threshold: int, *, hops: int = 2
) -> AttackResult:
    """LP bounds of the withheld counts of consecutive publications, attacked together.

    Cells are keyed ``(i, cell)`` for publication ``i``. Only withheld counts whose
    neighbourhood changed somewhere in the sequence are attacked: where nothing changed, every
    publication shows the same numbers (the noise is keyed on the count), and the sequence tells
    no more than :func:`attack` on one of them.
    """
    constraints: list[Constraint] = []
    boxes: dict[CellKey, Box] = {}
    history: dict[CellKey, list[int | None]] = {}
    for i, release in enumerate(releases):
        for constraint in release.constraints:
            constraints.append(
                Constraint(
                    {(i, c): coef for c, coef in constraint.coefs.items()},
                    constraint.sense,
                    None if constraint.total is None else (i, constraint.total),
                )
            )
        for cell, value in release.shown.items():
            floor = 0 if cell in release.structural else 1
            boxes[i, cell] = box_of(value, release.max_noise, floor)
            history.setdefault(cell, [0] * len(releases))[i] = -1 if value is None else value
    # Consecutive publications: |count now - count before| <= change (absent: 0 people, the
    # default box of :func:`bounds`). ``_CHANGE`` is a constant cell holding ``change``.
    boxes[_CHANGE] = (float(change), float(change))
    for cell in history:
        for i in range(1, len(releases)):
            after, before = (i, cell), (i - 1, cell)
            if after in boxes or before in boxes:
                constraints.append(Constraint({after: 1, before: -1, _CHANGE: -1}, "le"))
                constraints.append(Constraint({before: 1, after: -1, _CHANGE: -1}, "le"))
    changed = {cell for cell, seen in history.items() if len(set(seen)) > 1}
    base = index_rows(releases[-1].constraints) if releases else {}
    touched = set(changed)
    for cell in changed:
        for j in base.get(cell, []):
            touched |= set(releases[-1].constraints[j].coefs)
    targets = [
        (i, cell)
        for i, release in enumerate(releases)
        for cell in release.withheld
        if cell in touched
    ]
    found = bounds(constraints, boxes, targets, hops=hops)
    return AttackResult(found, threshold)
