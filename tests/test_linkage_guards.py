"""Guard levels learned from SSN agreement, and the cluster check on contested guard links."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import duckdb
import numpy as np
import pytest

from linkage.comparisons import settings_creator
from linkage.guards import (
    MIN_LABELLED_PAIRS,
    NAMESAKE_GUARD_LEVEL,
    SSN_EXACT_LEVEL,
    TWIN_GUARD_LEVEL,
    TWIN_PHONE_GUARD_LEVEL,
    calibrate_guards,
    gamma_of,
    guard_gammas,
    shift_for,
)
from linkage.model import with_conditions_of, without_guard_conditions
from linkage.records import sql
from linkage.settings import DEFAULT_TRAINING_BLOCKS, LinkageSettings

GUARD_WEIGHT = -13.0
SSN_M = 0.9


def _level(label: str, m: float, u: float) -> dict[str, Any]:
    return {"label_for_charts": label, "m_probability": m, "u_probability": u}


def _model() -> dict[str, Any]:
    """Name: exact, twin+phone guard, twin guard, else; DOB: namesake, else; SSN: exact, else."""
    null = {"is_null_level": True}
    guard = 0.05 * 2.0**GUARD_WEIGHT
    return {
        "comparisons": [
            {
                "output_column_name": "name",
                "comparison_levels": [
                    null,
                    _level("exact", 0.8, 1e-4),
                    _level(TWIN_PHONE_GUARD_LEVEL, guard, 0.05),
                    _level(TWIN_GUARD_LEVEL, guard, 0.05),
                    _level("else", 0.1, 0.9),
                ],
            },
            {
                "output_column_name": "dob",
                "comparison_levels": [
                    null,
                    _level(NAMESAKE_GUARD_LEVEL, guard, 0.05),
                    _level("else", 0.1, 0.9),
                ],
            },
            {
                "output_column_name": "ssn",
                "comparison_levels": [
                    null,
                    _level(SSN_EXACT_LEVEL, SSN_M, 1e-5),
                    _level("else", 0.01, 0.99),
                ],
            },
        ]
    }


def test_gammas_count_down_from_the_top_level() -> None:
    model = _model()
    assert guard_gammas(model) == {"twin_phone_gamma": 2, "twin_gamma": 1, "namesake_gamma": 1}
    assert gamma_of(model, "ssn", SSN_EXACT_LEVEL) == 1
    assert gamma_of(model, "ssn", "no such level") is None


@pytest.mark.parametrize(
    ("weights", "expected"),
    [([0.0, 0.0, 0.0, 0.0], 2.0), ([-5.0, 3.0, 10.0], 1.0), ([20.0] * 10, 9.5)],
)
def test_shift_meets_the_expected_matches(weights: list[float], expected: float) -> None:
    w = np.array(weights)
    shift = shift_for(w, expected)
    assert float(np.sum(1 / (1 + np.exp2(-(w + shift))))) == pytest.approx(expected, rel=1e-6)


def _scored(con: duckdb.DuckDBPyConnection, rows: list[tuple[int, int, int, float]]) -> None:
    """Table scored_all: gamma_name, gamma_dob, gamma_ssn, rest weight (without the SSN)."""
    con.execute(
        "CREATE OR REPLACE TABLE scored_all (gamma_name INT, gamma_dob INT, gamma_ssn INT, "
        "match_weight DOUBLE, mw_ssn DOUBLE)"
    )
    for g_name, g_dob, g_ssn, rest in rows:
        mw_ssn = {-1: 0.0, 1: math.log2(SSN_M / 1e-5), 0: math.log2(0.01 / 0.99)}[g_ssn]
        con.execute(
            "INSERT INTO scored_all VALUES (?, ?, ?, ?, ?)",
            [g_name, g_dob, g_ssn, rest + mw_ssn, mw_ssn],
        )


def _weight(model: dict[str, Any], comparison: str, label: str) -> float:
    for c in model["comparisons"]:
        for level in c["comparison_levels"]:
            if c["output_column_name"] == comparison and level.get("label_for_charts") == label:
                return math.log2(level["m_probability"] / level["u_probability"])
    raise KeyError(label)


# Twin-like pairs (gamma_name 1) with both SSNs known: agreeing, disagreeing; each pair's weight
# without the SSN is 0 bits with the initial guard. Pairs without an SSN (gamma_ssn -1) teach
# nothing. Expected: the learned guard weight against the initial one.
GUARD_CASES = [
    pytest.param(9, 1, 0, "higher", id="mostly agreeing SSNs: the guard weakens"),
    pytest.param(1, 9, 0, "lower", id="mostly other SSNs: the guard strengthens"),
    pytest.param(0, 10, 50, "lower", id="unlabelled pairs do not count"),
    pytest.param(2, 1, 50, "same", id="too few labelled pairs: kept"),
]


@pytest.mark.parametrize(("agree", "differ", "unlabelled", "direction"), GUARD_CASES)
def test_guard_weight_is_learned_from_ssn_agreement(
    agree: int, differ: int, unlabelled: int, direction: str
) -> None:
    con = duckdb.connect()
    _scored(
        con, [(1, 0, 1, 0.0)] * agree + [(1, 0, 0, 0.0)] * differ + [(1, 0, -1, 0.0)] * unlabelled
    )
    model = _model()
    fits = {f.guard: f for f in calibrate_guards(con, model)}
    learned = _weight(model, "name", TWIN_GUARD_LEVEL)
    assert fits["twin"].labelled_pairs == agree + differ
    assert fits["twin"].ssn_agrees == agree
    if direction == "same":
        assert agree + differ < MIN_LABELLED_PAIRS
        assert fits["twin"].weight is None
        assert learned == pytest.approx(GUARD_WEIGHT)
    else:
        assert (learned > GUARD_WEIGHT) == (direction == "higher")
        assert learned <= 0.0  # a guard never counts for a match
    # The other guards saw no pair: unchanged.
    assert _weight(model, "name", TWIN_PHONE_GUARD_LEVEL) == pytest.approx(GUARD_WEIGHT)
    assert _weight(model, "dob", NAMESAKE_GUARD_LEVEL) == pytest.approx(GUARD_WEIGHT)


def test_learned_guard_matches_the_share_of_agreeing_ssns() -> None:
    """Pairs alike but for the SSN: the learned posterior is the share of agreeing SSNs, over the
    chance that a match's SSNs agree (plus half a pair of prior)."""
    con = duckdb.connect()
    _scored(con, [(1, 0, 1, 0.0)] * 30 + [(1, 0, 0, 0.0)] * 70)
    model = _model()
    calibrate_guards(con, model)
    posterior = 1 / (1 + 2 ** -(_weight(model, "name", TWIN_GUARD_LEVEL) - GUARD_WEIGHT))
    assert posterior * 100 == pytest.approx((30 + 0.5) / SSN_M, rel=1e-4)


# Links above the threshold as (left, right, at a twin guard?); the records left apart.
CLUSTER_CASES = [
    pytest.param(
        [("a1", "a2", False), ("b1", "b2", False), ("a1", "b1", True)],
        {("a1", "b1")},
        id="twins, each confirmed under its own name: the guard link is dropped",
    ),
    pytest.param(
        [("a1", "a2", False), ("a1", "b1", True), ("a2", "b1", True)],
        set(),
        id="a given name recorded once under another: kept",
    ),
    pytest.param(
        [("a1", "b1", True)],
        set(),
        id="a lone guard link: kept",
    ),
    pytest.param(
        [("a1", "a2", False), ("b1", "b2", False), ("a1", "b1", False)],
        set(),
        id="no guard level: kept",
    ),
]


@pytest.mark.parametrize(("links", "dropped"), CLUSTER_CASES)
def test_contested_guard_links_are_dropped(
    links: list[tuple[str, str, bool]], dropped: set[tuple[str, str]]
) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE scored (partner_id_l TEXT, record_pseudonym_l TEXT, partner_id_r TEXT, "
        "record_pseudonym_r TEXT, match_weight DOUBLE, match_probability DOUBLE, "
        "gamma_name INT, gamma_dob INT)"
    )
    for left, right, guard in links:
        con.execute(
            "INSERT INTO scored VALUES ('p', ?, 'p', ?, 5.0, 0.97, ?, 3)",
            [left, right, 7 if guard else 9],
        )
    # A pair below the threshold never counts as a confirmation.
    con.execute("INSERT INTO scored VALUES ('p', 'b2', 'p', 'zz', -5.0, 0.03, 9, 3)")
    con.execute(
        sql("guarded_links"),
        {"threshold": 0.5, "twin_gamma": 7, "twin_phone_gamma": 8, "namesake_gamma": 2},
    )
    kept = set(
        con.execute("SELECT record_pseudonym_l, record_pseudonym_r FROM accepted").fetchall()
    )
    assert kept == {(a, b) for a, b, _ in links} - dropped


# --- EM sees the DOB comparison (model 3) --------------------------------------------------


def _columns_read(model: dict[str, Any], comparison: str) -> set[str]:
    """The input columns a comparison reads, as Splink's EM session finds them."""
    from splink.internals.parse_sql import get_columns_used_from_sql

    found: set[str] = set()
    for c in model["comparisons"]:
        if c["output_column_name"] != comparison:
            continue
        for level in c["comparison_levels"]:
            if level["sql_condition"] == "ELSE":
                continue
            for col in get_columns_used_from_sql(level["sql_condition"], sqlglot_dialect="duckdb"):
                found.add(re.sub(r"_[lr]$", "", col, flags=re.IGNORECASE).lower())
    return found


# (EM block, comparison, estimated in that session): Splink leaves a comparison out of a
# session whose blocking rule reads one of its columns; without the guard conditions the DOB
# comparison joins the session of one full name.
EM_SESSIONS = [
    ("tok_fullname", "dob", True),
    ("tok_fullname", "name", False),
    ("tok_dob_zip5_sex", "dob", False),
    ("tok_dob_zip5_sex", "name", True),
]


@pytest.mark.parametrize(("block", "comparison", "estimated"), EM_SESSIONS)
def test_em_sessions_estimate_the_dob_comparison(
    block: str, comparison: str, estimated: bool
) -> None:
    assert (block,) in {rule.columns for rule in DEFAULT_TRAINING_BLOCKS}
    settings = settings_creator(LinkageSettings()).create_settings_dict("duckdb")
    em_model = without_guard_conditions(settings)  # type: ignore[arg-type]
    assert (block not in _columns_read(em_model, comparison)) == estimated
    # The guards' conditions come back after EM.
    restored = with_conditions_of(copy.deepcopy(em_model), settings)  # type: ignore[arg-type]
    assert restored == settings
