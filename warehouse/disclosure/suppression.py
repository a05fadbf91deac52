"""One disclosure model for every count that leaves the hub: cell-key noise, threshold, audit.

1. **Perturbation** (:mod:`warehouse.disclosure.noise`): each count is shown as
   ``count + noise``, the noise keyed on the cell (one of the cells of its population) and its
   count and bounded by ``max_noise``; a count still within that bound of the number the
   ledger's last publication showed shows that number again (sticky, one box per count).
2. **Primary suppression**: a count whose *shown* value is below the threshold is withheld.
   Deciding on the shown value, not the true one, is what keeps the rule itself from leaking:
   a cell that crosses the threshold between two publications tells the adversary only that
   its true count is within the noise of the threshold.
3. **Audit and complementary suppression**: the adversary's linear program
   (:mod:`warehouse.disclosure.audit`) bounds every withheld count, with every public fact:
   margins, segment-subset relations, a row meaning at least 1 person, and the noise bound of
   every shown count. For each group of withheld counts with one narrower than the threshold,
   a MILP (:mod:`warehouse.disclosure.complement`) chooses the further counts to withhold that
   widen all of them at the least number of people; where no program solves within its node
   budget, one more count of a margin is withheld (greedy). The audit runs again until nothing
   is exposed. Publication stops with :class:`DisclosureError` if that does not converge.
4. **Ledger**: the publication is attacked together with the earlier ones; what the sequence
   narrows, of any of them, is widened now by withholding the new numbers that narrow it.

The noise does most of the work that complementary suppression did with exact counts: a
margin minus its shown parts is only known to within the sum of their noise bounds, so a
small cell is rarely pinned and few complements are needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from contract.disclosure import DISCLOSURE_THRESHOLD
from warehouse.disclosure.attacks import Release, differencing
from warehouse.disclosure.audit import Box, Interval, components, exposed, index_rows, intervals
from warehouse.disclosure.cells import CellKey, CellSet
from warehouse.disclosure.complement import DEFAULT_NODE_LIMIT, choose, neighbourhood
from warehouse.disclosure.noise import EXACT, Perturbation, sticky

# The contract's threshold (contract/disclosure.py), the default of every release.
DEFAULT_THRESHOLD: Final = DISCLOSURE_THRESHOLD
MAX_AUDIT_ROUNDS: Final = 200
# Rounds of the (slower) audit against the ledger; what stays narrowed after them is reported.
MAX_LEDGER_ROUNDS: Final = 8
# The ledger's adversary knows that no count moved by more than this between two consecutive
# publications (a partner re-submitted with one or two new clients: the case).
DEFAULT_CHANGE: Final = 2
# Branch-and-bound nodes of complementary-suppression MILPs per publication (then greedy): a
# deterministic budget (the same input gives the same publication bit for bit, whatever the
# load), sized to keep publishing the marts at a million records under its 30 s budget.
DEFAULT_MILP_BUDGET: Final = 5000


def disclose(count: int, threshold: int = DEFAULT_THRESHOLD) -> int | str:
    """A single count as it may appear outside the marts (extract manifests, logs, metadata):
    ``"<threshold"`` for 1 .. threshold-1."""
    if 0 < count < threshold:
        return f"<{threshold}"
    return count


class DisclosureError(RuntimeError):
    """Suppression could not protect every cell; nothing may be published."""


@dataclass(frozen=True)
class SuppressionResult:
    """Which cells to withhold.

    Attributes:
        suppressed: Every withheld cell.
        primary: Cells withheld because their shown value is below the threshold.
        threshold: The threshold used.
        shown: The published number of every cell that is not withheld (count + noise).
        max_noise: The noise bound (0: exact counts).
        audit: The adversary's interval of every withheld cell.
        audit_rounds: Audit rounds until no withheld cell was exposed.
        ledger_exposed: Withheld counts still narrower than the threshold when attacked with
            the ledger's publications after ``MAX_LEDGER_ROUNDS`` rounds (0: none; reported to
            stewards, see docs/marts.md).
        milp_nodes: Branch-and-bound nodes the complementary-suppression programs used.
    """

    suppressed: frozenset[CellKey]
    primary: frozenset[CellKey]
    threshold: int
    shown: dict[CellKey, int] = field(default_factory=dict)
    max_noise: int = 0
    audit: dict[CellKey, Interval] = field(default_factory=dict)
    audit_rounds: int = 0
    ledger_exposed: int = 0
    milp_nodes: int = 0

    @property
    def complementary(self) -> frozenset[CellKey]:
        return self.suppressed - self.primary


def protect(
    cells: CellSet,
    threshold: int = DEFAULT_THRESHOLD,
    perturbation: Perturbation = EXACT,
    ledger: Sequence[Release] = (),
    change: int = DEFAULT_CHANGE,
    *,
    method: Literal["optimal", "greedy"] = "optimal",
    milp_budget: int = DEFAULT_MILP_BUDGET,
    shown_before: Mapping[CellKey, int] | None = None,
) -> SuppressionResult:
    """Perturb, withhold small shown counts, and complement until no withheld count is exposed.

    Args:
        cells: Every cell of the publication with the relations between them.
        threshold: Smallest count that may be shown (default 11).
        perturbation: The cell-key noise (default: none, exact counts).
        ledger: What the earlier publications released, oldest first: the audit also attacks
            them together with this one (:func:`warehouse.disclosure.attacks.differencing`),
            and withholds now whatever would narrow an earlier withheld count.
        change: The ledger adversary's bound on how much a count moves between publications.
        method: ``"optimal"``: complements chosen by a MILP per exposed group, fewest people
            (:mod:`warehouse.disclosure.complement`), greedy where no program solves in time;
            ``"greedy"``: one more withheld count per exposed group and round, smallest first.
        milp_budget: Branch-and-bound nodes of MILP solving per publication (each program
            counts at least 1); greedy after that. Nodes, not seconds: deterministic.
        shown_before: Numbers an earlier publication showed for cells of this one (an ad hoc
            table's cells that are the marts' own). Such a cell, and every cell of its
            population, shows that number again: one population, one noise, across
            publications too (this publication's own grouping may pick another key).

    Raises:
        DisclosureError: the audit still finds an exposed cell after the allowed rounds.
    """
    if threshold < 2:
        raise ValueError("the threshold must be at least 2")
    values = cells.values
    # One noise per population: cells holding the same people show the same number.
    same = cells.populations()
    noisy = {c: perturbation.shown(same.get(c, c), values[c]) for c in cells.rows()}
    noisy = sticky(noisy, values, same, [r.shown for r in ledger], perturbation.max_noise)
    if shown_before:
        again = {same.get(c, c): n for c, n in shown_before.items() if c in noisy}
        noisy = {c: again.get(same.get(c, c), n) for c, n in noisy.items()}
    primary = {c for c, shown in noisy.items() if shown < threshold}
    suppressed = set(primary)
    index = index_rows(cells.constraints)
    totals = {c.total for c in cells.constraints if c.total is not None}
    may_be_zero = cells.may_be_zero()
    spent = 0
    rounds = ledger_rounds = ledger_exposed = 0
    cache: dict[tuple[frozenset[CellKey], tuple[Box, ...]], dict[CellKey, Interval]] = {}
    while True:
        view = {c: None if c in suppressed else shown for c, shown in noisy.items()}
        audit = intervals(
            cells.constraints,
            view,
            perturbation.max_noise,
            structural=may_be_zero,
            index=index,
            cache=cache,
        )
        weak = exposed(audit, threshold)
        if not weak and ledger:
            # Attack this publication together with the earlier ones (an LP over the ledger
            # and this publication, every count within its noise and the change between two).
            # Numbers re-shown from another output (``shown_before``) follow that output, not
            # the sticky rule alone: a changed number there proves no band exit.
            late = _attack_sequence(
                cells,
                view,
                perturbation.max_noise,
                ledger,
                change,
                threshold,
                None if shown_before else same,
            )
            ledger_rounds += 1
            # What the sequence narrows, withhold now the counts whose new numbers narrow it,
            # and audit again: until nothing is narrowed, or the rounds are spent (reported).
            # Only a count the sequence leaves possibly small is widened: one it proves to be at
            # least the threshold was publishable anyway, and widening such counts withheld
            # `all_people` and 5,398 people by the tenth night of the 3k demo (RESULTS.md).
            small = [iv for iv in late if iv.lower < threshold]
            if (
                small
                and ledger_rounds <= MAX_LEDGER_ROUNDS
                and _withhold_for_ledger(
                    cells,
                    index,
                    suppressed,
                    small,
                    ledger,
                    noisy,
                    (perturbation.max_noise, change, threshold),
                )
            ):
                rounds += 1
                continue
            ledger_exposed = len(late)
        if not weak:
            break
        rounds += 1
        if rounds > MAX_AUDIT_ROUNDS:
            raise DisclosureError(
                f"{len(weak)} suppressed cell(s) stay narrower than {threshold} after "
                f"{MAX_AUDIT_ROUNDS} rounds; publish coarser tables"
            )
        # One step per group of withheld cells per round: a step changes the bounds of its
        # whole group, so the group's other findings are stale until the next audit.
        order = {interval.cell: n for n, interval in enumerate(weak)}
        for members, _ in components(cells.constraints, suppressed, index):
            targets = sorted((c for c in members if c in order), key=order.__getitem__)
            if not targets:
                continue
            chosen = None
            if method == "optimal" and spent < milp_budget:
                chosen, nodes = choose(
                    cells.constraints,
                    neighbourhood(cells.constraints, index, members, targets, suppressed, noisy),
                    values,
                    noisy,
                    suppressed,
                    threshold=threshold,
                    max_noise=perturbation.max_noise,
                    structural=may_be_zero,
                    totals=totals,
                    previous=ledger[-1].shown if ledger else None,
                    change=change,
                    node_limit=min(DEFAULT_NODE_LIMIT, milp_budget - spent),
                )
                spent += nodes
            if chosen:
                suppressed |= chosen
            else:  # no program, none solved in time, or relations beyond it: greedy step
                _widen(cells, index, suppressed, targets[0])
    shown = {c: v for c, v in noisy.items() if c not in suppressed}
    return SuppressionResult(
        frozenset(suppressed),
        frozenset(primary),
        threshold,
        shown,
        perturbation.max_noise,
        audit,
        rounds,
        ledger_exposed,
        spent,
    )


def _attack_sequence(
    cells: CellSet,
    view: dict[CellKey, int | None],
    max_noise: int,
    ledger: Sequence[Release],
    change: int,
    threshold: int,
    same: Mapping[CellKey, CellKey] | None,
) -> list[Interval]:
    """The withheld counts of the ledger's publications and this one that, attacked together,
    are narrower than the threshold (keyed ``(publication, cell)``). ``same``: tonight's
    populations, for the sticky rule's band exits (those of earlier publications are not kept);
    None: the numbers do not follow the sticky rule alone, so the attack does not read it."""
    current = Release(
        view, cells.constraints, max_noise, frozenset(cells.structural), frozenset(cells.sparse)
    )
    try:
        # The adversary knows the sticky rule (a changed number left its band): so does the
        # audit, with tonight's populations (the ledger keeps none of earlier nights': there
        # band_exits reads only what is sound without them).
        groups: list[Mapping[CellKey, CellKey] | None] = [None] * len(ledger)
        return differencing(
            [*ledger, current],
            change,
            threshold,
            sticky_rule=same is not None,
            populations=[*groups, same],
        ).narrowed
    except ValueError:
        # Infeasible: some count moved by more than ``change`` since the last publication,
        # so the differencing adversary's premise does not hold.
        return []


def _withhold_for_ledger(
    cells: CellSet,
    index: dict[CellKey, list[int]],
    suppressed: set[CellKey],
    late: list[Interval],
    ledger: Sequence[Release],
    noisy: dict[CellKey, int],
    rule: tuple[int, int, int],
) -> bool:
    """Withhold now what makes the sequence narrow a withheld count (``late`` is keyed
    ``(publication, cell)``). False: nothing left to withhold.

    A count withheld earlier and shown now is narrowed by its own number: withheld again (a
    stable pattern). Otherwise the narrowing comes from this publication's fresh numbers (new
    noise draws, each intersecting the adversary's box): per narrowed count, one count of its
    relations with a fresh number is withheld now (inner cells before totals, then the fewest
    people), if its own earlier numbers leave it at least the threshold wide once withheld.
    """
    max_noise, change, threshold = rule
    before = len(suppressed)
    totals = {c.total for c in cells.constraints}

    def new(cell: CellKey) -> bool:
        # A fresh number (a new noise draw), whose old numbers leave it wide once withheld:
        # each earlier publication that showed it bounds it within its noise and the change
        # since, and a count shown at several numbers would be narrowed in turn.
        if cell in suppressed or ledger[-1].shown.get(cell) == noisy[cell]:
            return False
        low, high = float("-inf"), float("inf")
        for age, release in enumerate(reversed(ledger), start=1):
            number = release.shown.get(cell)
            if number is not None:
                low = max(low, number - max_noise - change * age)
                high = min(high, number + max_noise + change * age)
        return high - low >= threshold

    for interval in late:
        cell: CellKey = interval.cell[1]  # type: ignore[index]
        if cell in noisy and cell not in suppressed:
            suppressed.add(cell)
            continue
        reached = {k for i in index.get(cell, []) for k in cells.constraints[i].coefs}
        options = [c for c in reached if c in noisy and new(c)]
        if options:
            suppressed.add(min(options, key=lambda c: (c in totals, cells.values[c], repr(c))))
    return len(suppressed) > before


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
