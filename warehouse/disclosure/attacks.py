"""The attack suite: what an adversary can work out from one publication, or from several.

* :func:`attack` - linear programming over every public fact of one publication (every
  relation between its tables, each row meaning at least 1 person, the noise bound of each
  shown count), following relations ``hops`` steps through noisy shown counts: a stronger
  adversary than the publication's own audit, which stops at the first step.
* :func:`differencing` - the same over a sequence of consecutive publications, with the
  adversary also knowing that no count moved by more than ``change`` between two of them
  (a partner re-submitted with ``change`` new clients). A cell absent from a publication held
  no one then. With ``sticky_rule``, the adversary also knows the public rule of sticky
  publication (:func:`warehouse.disclosure.noise.sticky`): a count shown at a number other than
  the last one shown for it (or for a cell of its population) has left that number's band, so
  it is more than the noise bound away from it (:func:`band_exits`).

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
        sparse: Cells listed only when shown (:class:`CellSet`): withheld, or absent from
            another publication, such a count may be 0 as far as the adversary knows.
        structural: Cells whose row exists whatever the count (a row says nothing); any other
            row means at least 1 person.
    """

    shown: Mapping[CellKey, int | None]
    constraints: Sequence[Constraint]
    max_noise: int = 0
    structural: frozenset[CellKey] = frozenset()
    sparse: frozenset[CellKey] = frozenset()

    @property
    def may_be_zero(self) -> frozenset[CellKey]:
        return self.structural | self.sparse

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
        return cls(
            view,
            tuple(cells.constraints),
            max_noise,
            frozenset(cells.structural),
            frozenset(cells.sparse),
        )

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
        structural=release.may_be_zero,
        hops=hops,
    )
    return AttackResult(found, threshold)


def differencing(
    releases: Sequence[Release],
    change: int,
    threshold: int,
    *,
    hops: int = 2,
    sticky_rule: bool = False,
    populations: Sequence[Mapping[CellKey, CellKey] | None] | None = None,
) -> AttackResult:
    """LP bounds of the withheld counts of consecutive publications, attacked together.

    Cells are keyed ``(i, cell)`` for publication ``i``. Only withheld counts whose
    neighbourhood changed somewhere in the sequence are attacked: where nothing changed, every
    publication shows the same numbers (the noise is keyed on the count), and the sequence tells
    no more than :func:`attack` on one of them. A narrowed interval is exact; one at least the
    threshold wide may be an inner one (two feasible points that far apart settle it).

    ``sticky_rule``: the adversary knows the sticky rule and applies :func:`band_exits` (with
    ``populations``, each release's cell -> a cell of the same people, as the hub grouped them;
    None: the grouping unknown).
    """
    constraints: list[Constraint] = []
    boxes: dict[CellKey, Box] = {}
    history: dict[CellKey, list[int | None]] = {}
    unlisted = _unlisted_parts(releases)
    for i, release in enumerate(releases):
        for constraint in release.constraints:
            coefs: dict[CellKey, int] = {(i, c): k for c, k in constraint.coefs.items()}
            for cell, coef in unlisted.get((i, id(constraint)), {}).items():
                coefs[i, cell] = coef
            constraints.append(
                Constraint(
                    coefs,
                    constraint.sense,
                    None if constraint.total is None else (i, constraint.total),
                )
            )
        zero = release.may_be_zero
        for cell, value in release.shown.items():
            floor = 0 if cell in zero else 1
            boxes[i, cell] = box_of(value, release.max_noise, floor)
            history.setdefault(cell, [0] * len(releases))[i] = -1 if value is None else value
    if sticky_rule:
        for key, (low, high) in band_exits(releases, populations).items():
            lower, upper = boxes[key]
            boxes[key] = (max(lower, low), high if upper is None else min(upper, high))
    # A sparse count absent from a publication may have been withheld there (no row either
    # way): unknown, not 0. Any other absent count is 0 (the default box of :func:`bounds`).
    sparse = frozenset().union(*(r.sparse for r in releases))
    for cell in sparse & history.keys():
        for i in range(len(releases)):
            boxes.setdefault((i, cell), (0.0, None))
    # Consecutive publications: |count now - count before| <= change. ``_CHANGE`` is a
    # constant cell holding ``change``.
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
    found = bounds(constraints, boxes, targets, hops=hops, enough=threshold)
    return AttackResult(found, threshold)


def band_exits(
    releases: Sequence[Release],
    populations: Sequence[Mapping[CellKey, CellKey] | None] | None = None,
) -> dict[tuple[int, CellKey], tuple[float, float]]:
    """What the public sticky rule adds to the noise box of each shown count, keyed
    ``(publication, cell)``.

    Under :func:`warehouse.disclosure.noise.sticky`, a count within the noise bound ``D`` of the
    last number shown for it (or for a cell of its population) shows that number again. So a
    count shown at ``q`` that differs from every such last number ``p`` left each of their bands:
    ``|count - p| > D``. With ``|count - q| <= D`` that is one-sided: above the band when
    ``q > p`` (``count >= p + D + 1``), below it when ``q < p``. After a change to ``q = p + 1``
    the count is exactly ``p + D + 1``. The box returned is ``[q - D, q + D]`` cut by every such
    fact (only where a fact cuts it).

    ``populations``: per release, cell -> the cell of its population (:meth:`CellSet.
    populations`: the adversary told the hub's grouping, the strongest). None (for all, or for
    one release): the grouping is unknown (the hub's own audit knows only tonight's: the ledger
    keeps no populations). Then a changed number may
    still be one kept from another cell of the population, which is the last number of a cell
    linked to this one by relations that can join one population (a margin's total and part,
    two totals sharing a part, the two sides of ``a <= b``) through cells showing the same
    number or withheld tonight (a population shows one number): such a number tells nothing;
    any other is a band exit from the cell's own last number. This is sound: it never credits
    the adversary with a fact that is false.
    """
    out: dict[tuple[int, CellKey], tuple[float, float]] = {}
    latest: dict[CellKey, int] = {}
    links: dict[int, dict[CellKey, set[CellKey]]] = {}
    for i, release in enumerate(releases):
        noise = release.max_noise
        grouping = populations[i] if populations is not None else None
        same: Mapping[CellKey, CellKey] = grouping if grouping is not None else {}
        members: dict[CellKey, list[CellKey]] = {}
        for cell in release.shown:
            members.setdefault(same.get(cell, cell), []).append(cell)
        for cell, q in release.shown.items():
            if q is None or not noise:
                continue
            before = [latest[m] for m in members[same.get(cell, cell)] if m in latest]
            if not before or q in before:
                continue  # first shown, or kept: the box says it all
            if grouping is None:
                if id(release.constraints) not in links:
                    links[id(release.constraints)] = _population_links(release.constraints)
                graph = links[id(release.constraints)]
                if q in _maybe_kept(cell, q, release.shown, graph, latest):
                    continue
            low, high = float(q - noise), float(q + noise)
            for p in before:
                if q > p:
                    low = max(low, float(p + noise + 1))
                else:
                    high = min(high, float(p - noise - 1))
            if (low, high) != (q - noise, q + noise):
                out[i, cell] = (low, high)
        for cell, q in release.shown.items():
            if q is not None:
                latest[cell] = q
    return out


def _population_links(constraints: Sequence[Constraint]) -> dict[CellKey, set[CellKey]]:
    """Pairs of cells that may hold the same people (:meth:`CellSet.populations` joins cells
    only along these), both ways."""
    links: dict[CellKey, set[CellKey]] = {}

    def link(one: CellKey, other: CellKey) -> None:
        links.setdefault(one, set()).add(other)
        links.setdefault(other, set()).add(one)

    totals_of: dict[CellKey, list[CellKey]] = {}
    for constraint in constraints:
        coefs = constraint.coefs
        if constraint.sense == "eq" and constraint.total is not None:
            for part in constraint.parts:
                link(constraint.total, part)
                totals_of.setdefault(part, []).append(constraint.total)
        elif len(coefs) == 2 and sorted(coefs.values()) == [-1, 1]:
            one, other = coefs
            link(one, other)
    for totals in totals_of.values():
        for one in totals:
            for other in totals:
                if one != other:
                    link(one, other)
    return links


def _maybe_kept(
    cell: CellKey,
    number: int,
    shown: Mapping[CellKey, int | None],
    links: Mapping[CellKey, set[CellKey]],
    latest: Mapping[CellKey, int],
) -> set[int]:
    """The last numbers of the cells that may be of ``cell``'s population tonight: reached
    through links over cells showing ``number`` or withheld."""
    seen, stack = {cell}, [cell]
    found: set[int] = set()
    while stack:
        current = stack.pop()
        if current != cell and current in latest:
            found.add(latest[current])
        for other in links.get(current, ()):
            if other not in seen and other in shown and shown[other] in (number, None):
                seen.add(other)
                stack.append(other)
    return found


def _unlisted_parts(releases: Sequence[Release]) -> dict[tuple[int, int], dict[CellKey, int]]:
    """Sparse parts a publication's margins may hold without listing them.

    A sparse count with no row in publication ``i`` (nobody, or withheld) is still a part of
    its margins there, as far as the adversary knows: ``total = listed parts + unlisted ones``
    (unless it is structural too: then its table is not in ``i``).
    Where another publication lists it in a margin of the same total, the matching margin of
    ``i`` (same total, sharing a part, or the only one of that total) gets it as an unknown.
    Keyed ``(publication, id(constraint))``.
    """
    seen: dict[tuple[CellKey, CellKey], tuple[int, frozenset[CellKey]]] = {}
    for release in releases:
        for constraint in release.constraints:
            if constraint.sense != "eq" or constraint.total is None:
                continue
            parts = frozenset(constraint.parts)
            # A part that is also structural has a row wherever its table is published: a
            # release without its row does not publish that table (ad hoc tables of other
            # breakdowns, warehouse.adhoc), so it is no hidden part of that release's margins.
            for part in parts & (release.sparse - release.structural):
                seen.setdefault((constraint.total, part), (constraint.coefs[part], parts))
    if not seen:
        return {}
    by_total: dict[CellKey, list[tuple[CellKey, int, frozenset[CellKey]]]] = {}
    for (total, part), (coef, siblings) in seen.items():
        by_total.setdefault(total, []).append((part, coef, siblings))
    out: dict[tuple[int, int], dict[CellKey, int]] = {}
    for i, release in enumerate(releases):
        margins: dict[CellKey, list[Constraint]] = {}
        for constraint in release.constraints:
            if constraint.sense == "eq" and constraint.total in by_total:
                margins.setdefault(constraint.total, []).append(constraint)
        for total, options in margins.items():
            for part, coef, siblings in by_total[total]:
                if part in release.shown:
                    continue
                match = [c for c in options if siblings & set(c.parts)]
                if not match and len(options) == 1:
                    match = options
                for constraint in match[:1]:
                    out.setdefault((i, id(constraint)), {})[part] = coef
    return out
