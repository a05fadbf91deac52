"""Cell-key perturbation: the same count of the same cell always gets the same noise.

After the ABS/ONS cell-key method, each published count is shown as ``count + noise`` with the
noise an integer in ``[-max_noise, max_noise]`` drawn from a keyed pseudo-random function of
the cell and its count (HMAC-SHA256 under a secret only the hub holds):

* **Consistent.** Re-publishing a cell whose count did not change gives the very same number,
  so comparing two publications shows nothing where nothing changed.
* **Sticky while the count stays in its band** (:func:`sticky`). A count whose true value is
  still within ``max_noise`` of the number last published shows that number again; only a count
  that has left that band gets its fresh keyed number. A partner re-submitting with a few new
  clients therefore mostly changes no number at all, and where one changes, the difference of
  two publications is not the change itself. Each distinct number of a count is one more box
  for a differencing adversary to intersect: a fresh draw at every change left withheld counts
  narrowed over ten nights (benchmarks/RESULTS.md, issue 16). The rule is public, so a
  number that changes tells that its count just left the band (docs/marts.md, for stewards).
* **Keyed on the count and the population, not on the persons.** The ABS keys the noise on the
  set of contributing records; the hub keys it on ``(cell, count)``, which needs no
  person-level key in the aggregation queries and is at least as consistent: a cell whose
  people changed but whose count did not keeps its number (nothing is learnt), and a count
  that leaves its band gets the number keyed on its new count. Cells that provably hold the
  same people (:meth:`CellSet.populations`) are keyed on one of them, so one population is
  never shown with two independent noises.

The noise is bounded, so the adversary's linear program still bounds every cell: a published
``p`` means a true count in ``[p - max_noise, p + max_noise]``. The audit
(:mod:`warehouse.disclosure.audit`) uses exactly those bounds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from warehouse.disclosure.cells import CellKey

# Chosen by measurement and by the ledger (benchmarks/RESULTS.md, issue 16): a count shown in one
# publication and withheld in the next (or the reverse) is known to within 2 x (noise + change);
# with 4 and a change of 2 that is 12 values, at least the threshold of 11, so crossing the
# threshold narrows nothing on its own (3 gave 10, and the ledger audit then cascaded).
DEFAULT_MAX_NOISE: Final = 4
SECRET_BYTES: Final = 32


@dataclass(frozen=True)
class Perturbation:
    """Keyed, bounded noise for published counts.

    Attributes:
        secret: The hub's perturbation key (never published; ``load_or_create_secret``).
        max_noise: Largest absolute noise; 0 publishes exact counts.
    """

    secret: bytes
    max_noise: int = DEFAULT_MAX_NOISE

    def __post_init__(self) -> None:
        if self.max_noise < 0:
            raise ValueError("max_noise cannot be negative")
        if self.max_noise and len(self.secret) < 16:
            raise ValueError("the perturbation secret must be at least 16 bytes")

    def noise(self, cell: CellKey, count: int) -> int:
        """The noise of ``cell`` holding ``count`` people (uniform on ``[-D, D]``)."""
        if self.max_noise == 0 or count == 0:
            return 0
        digest = hmac.new(self.secret, f"{cell!r}\x1f{count}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") % (2 * self.max_noise + 1) - self.max_noise

    def shown(self, cell: CellKey, count: int) -> int:
        """The count as published (before the threshold decides whether it is shown)."""
        return count + self.noise(cell, count)


EXACT: Final = Perturbation(b"", 0)


def load_or_create_secret(path: Path) -> bytes:
    """The hub's perturbation key at ``path``, created (0600) on first use.

    Keeping it is what keeps publications consistent: a new key redraws every noise once, which
    gives a differencing adversary one extra draw per cell (rotate only with a new period).
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.tmp")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(SECRET_BYTES))
    os.replace(aside, path)
    return path.read_bytes()


def sticky(
    fresh: Mapping[CellKey, int],
    values: Mapping[CellKey, int],
    same: Mapping[CellKey, CellKey],
    earlier: Sequence[Mapping[CellKey, int | None]],
    max_noise: int,
    *,
    clear_of_band: bool = False,
) -> dict[CellKey, int]:
    """Publish again an earlier number while the true count stays within the noise of it.

    ``fresh`` is each cell's cell-key number tonight, ``earlier`` what earlier publications
    showed, oldest first (None: withheld), ``same`` the cells of one population
    (:meth:`CellSet.populations`). A cell whose latest shown number ``p`` still satisfies
    ``|count - p| <= max_noise`` shows ``p`` again; only a count that has left that band gets
    its fresh draw. Why: every distinct number of one count is one more noise box, and a
    differencing adversary intersects them (with the change between nights) until a count later
    withheld is pinned; on the 3k demo over ten nights, 16 withheld counts were narrowed so
    (benchmarks/RESULTS.md, issue 16). A count that moves by one or two people mostly keeps its
    number, which tells even less about who joined than a fresh draw. The cells of one
    population keep one number: the most recently shown of theirs (then the least by ``repr``).

    The rule is public, so a changed number tells that the count left the band of the old one
    (``|count - p| > D``), which cuts the new box ``[q - D, q + D]`` to ``q - p`` values; with
    the change between nights bounded, an exit is at the band's edge, pinned to 2 values
    (:func:`warehouse.disclosure.attacks.band_exits`). The ledger audit knows the rule
    (:func:`warehouse.disclosure.suppression.protect`), so what that narrows is withheld now.

    ``clear_of_band`` (measured, not used; benchmarks/RESULTS.md, issue 16): a count that leaves
    its band is shown at a number whose whole box misses the old band (its fresh number moved to
    at least ``p + 2D + 1`` or at most ``p - 2D - 1``, still within ``D`` of the count), so the
    rule itself tells nothing the box does not. It does not hide the exit from an adversary who
    bounds the change between nights (the previous box and the change pin the count to the edge
    all the same), and on the 3k demo over ten nights it left 2 withheld counts narrowed
    (at least 14) where the numbers as drawn left none.
    """
    if not max_noise or not earlier:
        return dict(fresh)
    latest: dict[CellKey, tuple[int, int]] = {}
    for age, release in enumerate(reversed(earlier)):
        for cell, number in release.items():
            if number is not None and cell in fresh and cell not in latest:
                latest[cell] = (age, number)
    kept: dict[CellKey, tuple[int, str, int]] = {}
    left: dict[CellKey, list[int]] = {}
    for cell, (age, number) in latest.items():
        group = same.get(cell, cell)
        if abs(values[cell] - number) <= max_noise:
            choice = (age, repr(cell), number)
            if group not in kept or choice < kept[group]:
                kept[group] = choice
        else:
            left.setdefault(group, []).append(number)
    out = {}
    for cell, number in fresh.items():
        group = same.get(cell, cell)
        if group in kept:
            out[cell] = kept[group][2]
        elif clear_of_band and group in left:
            out[cell] = _clear(number, values[cell], left[group], max_noise)
        else:
            out[cell] = number
    return out


def _clear(number: int, count: int, old: Sequence[int], max_noise: int) -> int:
    """``number`` moved the least so that its noise box misses the band of every ``old``
    number (each more than ``max_noise`` from ``count``). Where one count of a population left
    bands on both sides too close together for any box to miss both (old numbers of two cells
    of one population, less than ``4D + 2`` apart), the fresh number stays."""
    low = max([count - max_noise] + [p + 2 * max_noise + 1 for p in old if p < count])
    high = min([count + max_noise] + [p - 2 * max_noise - 1 for p in old if p > count])
    if low > high:
        return number
    return min(max(number, low), high)
