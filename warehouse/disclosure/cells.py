"""Published counts as cells linked by the linear relations an adversary knows.

Every count that a publication shows is a *cell*. The same population may appear in several
tables (a segment's size is the total of its age x sex x ZIP3 table, a row of the trends
table, and the total of its sector-overlap table): such rows share one cell key, so the relations
of all tables are protected together. Relations are linear constraints over cells:

* ``total = sum(parts)`` for every margin (:meth:`CellSet.add_total`);
* ``a <= b`` and other inequalities an adversary can infer (:meth:`CellSet.add_le`), such as
  an overlap of two segments being no larger than either segment.

A *structural* cell has a row whatever its count (its table lists every combination of its
categories), so its row tells nothing. A *sparse* cell has a row only when its count is shown
(a withheld one is left out of its table, not listed as withheld), so neither its row nor the
lack of one tells anything: as far as an adversary knows, a withheld sparse count may be 0, in
this publication and in any other (that is what keeps a combination that gains or loses one or
two people between publications from being pinned to them). Any other cell of value 0 has no
row (known to be 0), and its row means at least 1 person.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

CellKey = Hashable


@dataclass(frozen=True)
class Constraint:
    """``sum(coef * cell) (= | <=) 0`` over cells.

    Attributes:
        coefs: cell -> coefficient.
        sense: ``"eq"`` or ``"le"``.
        total: For a margin ``total = sum(parts)``, the total cell (else None).
    """

    coefs: Mapping[CellKey, int]
    sense: Literal["eq", "le"]
    total: CellKey | None = None

    @property
    def parts(self) -> list[CellKey]:
        """The cells other than the total."""
        return [c for c in self.coefs if c != self.total]


@dataclass
class CellSet:
    """Cells with their true values and the constraints linking them."""

    values: dict[CellKey, int] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    structural: set[CellKey] = field(default_factory=set)
    sparse: set[CellKey] = field(default_factory=set)

    def may_be_zero(self) -> frozenset[CellKey]:
        """Cells that the adversary cannot tell apart from 0 when withheld (floor 0, not 1)."""
        return frozenset(self.structural | self.sparse)

    def rows(self) -> list[CellKey]:
        """The cells that have a row."""
        return [c for c, v in self.values.items() if v > 0 or c in self.structural]

    def add(self, key: CellKey, value: int) -> CellKey:
        """Add a cell (or check that a shared cell has the same value everywhere)."""
        value = int(value)
        if value < 0:
            raise ValueError(f"cell {key!r}: a count cannot be negative")
        known = self.values.setdefault(key, value)
        if known != value:
            raise ValueError(
                f"cell {key!r} appears in two tables with different counts ({known} and "
                f"{value}); the tables are inconsistent"
            )
        return key

    def add_total(self, total: CellKey, parts: Iterable[CellKey]) -> None:
        """Record the margin ``total = sum(parts)`` (the cells must be added first)."""
        parts = [p for p in parts if p != total]
        if total not in self.values or any(p not in self.values for p in parts):
            raise KeyError("add the cells of a margin before the margin itself")
        observed = sum(self.values[p] for p in parts)
        if observed != self.values[total]:
            raise ValueError(
                f"margin {total!r}: the parts sum to {observed}, not {self.values[total]}"
            )
        coefs: dict[CellKey, int] = {total: 1}
        for part in parts:
            coefs[part] = coefs.get(part, 0) - 1
        self.constraints.append(Constraint(coefs, "eq", total))

    def add_le(self, coefs: Mapping[CellKey, int]) -> None:
        """Record ``sum(coef * cell) <= 0`` (e.g. ``{overlap: 1, segment: -1}``)."""
        if any(c not in self.values for c in coefs):
            raise KeyError("add the cells of an inequality before the inequality itself")
        self.constraints.append(Constraint(dict(coefs), "le"))

    def by_cell(self) -> dict[CellKey, list[int]]:
        """cell -> indexes of the constraints it appears in."""
        index: dict[CellKey, list[int]] = {}
        for i, constraint in enumerate(self.constraints):
            for cell in constraint.coefs:
                index.setdefault(cell, []).append(i)
        return index

    def populations(self) -> dict[CellKey, CellKey]:
        """cell -> one cell of the same people (the least by ``repr`` of its class).

        A part of a margin, or the smaller side of ``a <= b`` between two cells, is a subset of
        the other's people; holding as many people, it holds the same ones. So do two margin
        totals over the same non-empty parts (a segment's size, and its people not reached by
        a sector that reaches none of them: both the sum of the same sector combinations).
        Such cells get the same noise (the cell-key method keys the noise on the people a count
        holds): two independent noise draws of one population would narrow it to their
        intersection.
        """
        parent: dict[CellKey, CellKey] = {}

        def find(cell: CellKey) -> CellKey:
            while parent.get(cell, cell) != cell:
                cell = parent[cell]
            return cell

        def union(one: CellKey, other: CellKey) -> None:
            a, b = sorted((find(one), find(other)), key=repr)
            if a != b:
                parent[b] = a

        over: dict[frozenset[CellKey], CellKey] = {}
        for constraint in self.constraints:
            coefs = constraint.coefs
            total = constraint.total
            if constraint.sense == "eq" and total is not None:
                pairs = [(total, part) for part in constraint.parts]
                filled = frozenset(p for p in constraint.parts if self.values[p] > 0)
                if filled and self.values[total] > 0:
                    union(over.setdefault(filled, total), total)
            elif len(coefs) == 2 and sorted(coefs.values()) == [-1, 1]:
                small, big = sorted(coefs, key=coefs.__getitem__)
                pairs = [(big, small)]
            else:
                continue
            for big, small in pairs:
                if self.values[big] == self.values[small] > 0:
                    union(big, small)
        return {cell: find(cell) for cell in parent}
