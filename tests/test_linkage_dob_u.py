"""The u of the DOB level "one digit off", measured among namesakes (model.correct_close_dob_u)."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pytest

from linkage.comparisons import DOB_CLOSE_LEVEL, EXACT_NAME_LEVEL, settings_creator
from linkage.guards import SSN_EXACT_LEVEL, gamma_of
from linkage.model import correct_close_dob_u
from linkage.settings import LinkageSettings

SAMPLED_U = 2.5e-5
PRIOR = 100.0


def _model() -> dict[str, Any]:
    model: dict[str, Any] = settings_creator(LinkageSettings()).create_settings_dict("duckdb")
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("label_for_charts") == DOB_CLOSE_LEVEL:
                level["u_probability"] = SAMPLED_U
    return model


def _dob_close_u(model: dict[str, Any]) -> float:
    (dob,) = [c for c in model["comparisons"] if c["output_column_name"] == "dob"]
    (level,) = [
        lv for lv in dob["comparison_levels"] if lv.get("label_for_charts") == DOB_CLOSE_LEVEL
    ]
    return float(level["u_probability"])


# (pairs as (name level, SSN level, DOB level, count), expected u): only pairs of one full name
# that their SSNs show to be two people count; `PRIOR` pairs at the sampled u are added.
CASES = [
    pytest.param([], SAMPLED_U, id="no namesakes: the sampled u"),
    pytest.param(
        [("exact", "else", "close", 50), ("exact", "else", "else", 850)],
        (50 + PRIOR * SAMPLED_U) / (900 + PRIOR),
        id="namesakes: 50 of 900 one digit off",
    ),
    pytest.param(
        [
            ("exact", "same", "close", 400),
            ("exact", "null", "close", 400),
            ("else", "else", "close", 400),
            ("exact", "else", "null", 400),
            ("exact", "else", "else", 100),
        ],
        (0 + PRIOR * SAMPLED_U) / (100 + PRIOR),
        id="agreeing or missing SSN, other name, missing DOB: not counted",
    ),
]


@pytest.mark.parametrize(("pairs", "expected"), CASES)
def test_close_dob_u_is_its_rate_among_namesakes(
    pairs: list[tuple[str, str, str, int]], expected: float
) -> None:
    model = _model()
    gammas = {
        "name": {"exact": gamma_of(model, "name", EXACT_NAME_LEVEL), "else": 0},  # type: ignore[arg-type]
        "ssn": {"same": gamma_of(model, "ssn", SSN_EXACT_LEVEL), "else": 0, "null": -1},  # type: ignore[arg-type]
        "dob": {"close": gamma_of(model, "dob", DOB_CLOSE_LEVEL), "else": 0, "null": -1},  # type: ignore[arg-type]
    }
    # The scored pairs as training leaves them: a view named ``namesakes`` (here an Arrow table).
    rows = [(name, ssn, dob) for name, ssn, dob, count in pairs for _ in range(count)]
    namesakes = pa.table(
        {
            f"gamma_{c}": pa.array([gammas[c][r[i]] for r in rows], pa.int32())
            for i, c in enumerate(("name", "ssn", "dob"))
        }
    )
    con = duckdb.connect()
    con.register("namesakes", namesakes)
    corrected = correct_close_dob_u(con, model, PRIOR)  # type: ignore[arg-type]
    assert _dob_close_u(corrected) == pytest.approx(expected)  # type: ignore[arg-type]
