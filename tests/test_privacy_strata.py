"""The attack benchmark's stratum attacks: certain recoveries and quasi-identifier uniqueness."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import polars as pl
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "strata_attacks.py"
_SPEC = importlib.util.spec_from_file_location("strata_attacks", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
sa = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sa)

# (strata, codes, plaintexts, expected certain recoveries per row)
CASES = [
    # counts 2 and 1 are unique on both sides: everyone recovered
    (["a"] * 3, ["x", "x", "y"], ["P", "P", "Q"], [True, True, True]),
    # tied counts: no certainty
    (["a"] * 2, ["x", "y"], ["P", "Q"], [False, False]),
    # a single plaintext value in the stratum: the stratum, not the encoding, gives it away
    (["a", "a"], ["x", "x"], ["P", "P"], [False, False]),
    # within strata: stratum b has unique counts, stratum a is tied
    (
        ["a", "a", "b", "b", "b"],
        ["x", "y", "z", "z", "w"],
        ["P", "Q", "P", "P", "R"],
        [False, False, True, True, True],
    ),
    # codes that split one value (noise): the guess for the unique count is wrong
    (["a"] * 4, ["x", "x", "y", "z"], ["P", "P", "P", "Q"], [False, False, False, False]),
    # a null code is never recovered and does not count for the frequencies
    (["a"] * 4, ["x", "x", "y", None], ["P", "P", "Q", "R"], [True, True, True, False]),
]


@pytest.mark.parametrize(("strata", "codes", "plain", "expected"), CASES)
def test_certain_recovery(
    strata: list[str], codes: list[str | None], plain: list[str], expected: list[bool]
) -> None:
    df = pl.DataFrame({"s": strata, "c": codes, "p": plain})
    assert sa.certain_recovery(df, "c", "p", "s").tolist() == expected


def test_strata_cover_every_combination_of_clear_fields() -> None:
    assert len(sa.STRATA) == 8
    df = sa.add_strata(
        pl.DataFrame({"birth_year": [1980, None], "zip3": ["021", "021"], "sex": ["F", "M"]})
    )
    assert df["s_year+zip3+sex"].to_list() == ["all|1980|021|F", "all|?|021|M"]


def test_qi_uniqueness_counts_what_was_recovered() -> None:
    df = pl.DataFrame(
        {
            "sex": ["F", "F", "F"],
            "birth_year": [1980, 1980, 1980],
            "zip3": ["021", "021", "021"],
            "p_zip": ["02101", "02102", "02102"],
            "p_dob_ym": ["1980-01", "1980-02", "1980-03"],
            "p_dob": ["1980-01-01", "1980-02-01", "1980-03-01"],
        }
    )
    none = np.zeros(3, dtype=bool)
    zip_first = np.array([True, False, False])
    month_last = np.array([False, False, True])
    assert sa.qi_uniqueness(df, none, none, none)["clear fields alone (sex, ZIP3, birth year)"] == 0
    # ZIP5 singles out row 0; the birth month singles out row 2
    got = sa.qi_uniqueness(df, zip_first, month_last, none)
    assert got["clear + what the encodings gave away"] == pytest.approx(2 / 3)
