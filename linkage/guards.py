"""Guard levels whose weights are learned from SSN agreement, not fixed.

Two kinds of pair agree on nearly everything naive Bayes counts, yet are mostly two people:

* twin-like pairs (name levels ``TWIN_PHONE_GUARD_LEVEL``, with the same phone, and
  ``TWIN_GUARD_LEVEL``): same surname and birth date, another first name. Twins, or one person
  whose given name was recorded as another;
* namesakes (DOB level ``NAMESAKE_GUARD_LEVEL``): the same full name, another birth year, often
  at one address. Parent and child of one name (Jr/Sr), or one person with a wrong birth date.

Their other agreements (address, phone, sex) are correlated within a household, so EM cannot
weigh them: their levels stay fixed during EM. Their weights are then learned from the pairs
that carry an SSN on both sides, where an exact SSN says "match" (with probability m of the
exact SSN level) and another says "two people": the guard's weight is moved until the model's
expected matches among those pairs, scored without the SSN, equal the matches their SSNs
show. A pair whose SSNs agree exactly is never at a guard level (the conditions exclude it), so
an agreeing SSN always counts in full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np

from linkage.records import sql
from linkage.splink_model import Level, SplinkModel

TWIN_GUARD_LEVEL = "twin guard: same surname and birth date, other first name"
TWIN_PHONE_GUARD_LEVEL = "twin guard: same surname, birth date and phone, other first name"
NAMESAKE_GUARD_LEVEL = "namesake guard: same full name, other birth year"
SSN_EXACT_LEVEL = "same SSN"
# (comparison, level label, name of the guard in guard_pairs.sql)
GUARDS: tuple[tuple[str, str, str], ...] = (
    ("name", TWIN_PHONE_GUARD_LEVEL, "twin_phone"),
    ("name", TWIN_GUARD_LEVEL, "twin"),
    ("dob", NAMESAKE_GUARD_LEVEL, "namesake"),
)
GUARD_LABELS = tuple(label for _comparison, label, _guard in GUARDS)
# Every pair at a guard level agrees on one of these (twin-like: surname and DOB; namesake: name).
GUARD_BLOCKING_COLUMNS = ("tok_last_dob", "tok_fullname")
# Fewer SSN-labelled pairs than this: the guard keeps its weight (too little to learn from).
MIN_LABELLED_PAIRS = 5
# Half a match and half a non-match of prior on each side, so a few pairs never give 0 or 1.
PRIOR_PAIRS = 0.5
WEIGHT_BOUNDS = (-60.0, 0.0)  # a guard counts against a match, never for it


@dataclass(frozen=True)
class GuardFit:
    """What one guard learned: SSN-labelled pairs, exact-SSN ones, the new weight."""

    guard: str
    labelled_pairs: int
    ssn_agrees: int
    weight: float | None


def gamma_of(model: SplinkModel, comparison: str, label: str) -> int | None:
    """Splink's gamma value of a level (non-null levels count down to 0 for the else level)."""
    for c in model["comparisons"]:
        if c["output_column_name"] != comparison:
            continue
        levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
        for i, level in enumerate(levels):
            if level.get("label_for_charts") == label:
                return len(levels) - 1 - i
    return None


def guard_gammas(model: SplinkModel) -> dict[str, int | None]:
    """The gamma values of the guard levels, as sql/guarded_links.sql binds them (None: the
    model has no such level)."""
    return {
        f"{guard}_gamma": gamma_of(model, comparison, label) for comparison, label, guard in GUARDS
    }


def _level(model: SplinkModel, comparison: str, label: str) -> Level | None:
    for c in model["comparisons"]:
        if c["output_column_name"] == comparison:
            for level in c["comparison_levels"]:
                if level.get("label_for_charts") == label:
                    return level
    return None


def shift_for(rest_weights: np.ndarray, expected_matches: float) -> float:
    """The shift d with sum(sigmoid2(w + d)) = ``expected_matches`` (bisection; base-2 logits)."""
    lo, hi = -80.0, 80.0
    for _ in range(100):
        mid = (lo + hi) / 2
        total = float(np.sum(1.0 / (1.0 + np.exp2(-(rest_weights + mid)))))
        lo, hi = (mid, hi) if total < expected_matches else (lo, mid)
    return (lo + hi) / 2


def calibrate_guards(con: duckdb.DuckDBPyConnection, model: SplinkModel) -> list[GuardFit]:
    """Set each guard level's weight from the SSN-labelled pairs in view ``scored_all`` (every
    candidate pair of a sample, scored by ``model`` with intermediate columns). Changes
    ``model`` in place; returns what each guard learned."""
    ssn_exact = gamma_of(model, "ssn", SSN_EXACT_LEVEL)
    ssn_level = _level(model, "ssn", SSN_EXACT_LEVEL)
    if ssn_exact is None or ssn_level is None or ssn_level.get("m_probability") is None:
        return []
    m_exact = float(ssn_level["m_probability"])
    fits = []
    for comparison, label, guard in GUARDS:
        level, gamma = _level(model, comparison, label), gamma_of(model, comparison, label)
        if level is None or gamma is None:
            continue
        rows = con.execute(
            sql("guard_pairs"),
            {"comparison": comparison, "gamma": gamma, "ssn_exact": ssn_exact},
        ).fetchnumpy()
        rest, agrees = rows["rest_weight"].astype(float), rows["ssn_agrees"].astype(bool)
        n, k = len(rest), int(agrees.sum())
        if n < MIN_LABELLED_PAIRS:
            fits.append(GuardFit(guard, n, k, None))
            continue
        # Matches among them: the exact SSNs, over the chance a match's SSNs agree exactly.
        expected = min((k + PRIOR_PAIRS) / m_exact, n - PRIOR_PAIRS)
        old = math.log2(level["m_probability"] / level["u_probability"])
        new = min(max(old + shift_for(rest, expected), WEIGHT_BOUNDS[0]), WEIGHT_BOUNDS[1])
        level["m_probability"] = level["u_probability"] * 2.0**new
        fits.append(GuardFit(guard, n, k, round(new, 3)))
    return fits
