"""The u of the name levels (issue 21): the levels that hold the first name and DOB have a set
u, and a name level random sampling never met keeps a bound instead of Splink's default."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from splink import SettingsCreator

from linkage.comparisons import settings_creator
from linkage.model import bound_unobserved_u
from linkage.settings import LinkageSettings, NameSettings
from linkage.splink_model import SplinkModel, from_splink, to_splink

NICKNAME, MARRIED = "nickname, surname similar", "first name and DOB, other surname"


def _name_levels(settings: LinkageSettings) -> dict[str, Any]:
    saved = from_splink(settings_creator(settings).get_settings("duckdb").as_dict())
    name = next(c for c in saved["comparisons"] if c["output_column_name"] == "name")
    return {level.get("label_for_charts", ""): level for level in name["comparison_levels"]}


# first-name agreement, near-surname agreement -> u of the nickname and married-name levels
SET_U_CASES = [
    (0.01, 0.005, 5e-5, 0.01),
    (0.004, 0.001, 4e-6, 0.004),
]


@pytest.mark.parametrize(("first", "near", "nickname_u", "married_u"), SET_U_CASES)
def test_the_levels_that_hold_the_dob_have_a_set_u(
    first: float, near: float, nickname_u: float, married_u: float
) -> None:
    settings = LinkageSettings(
        names=NameSettings(first_name_agreement=first, surname_near_agreement=near)
    )
    levels = _name_levels(settings)
    for label, u in ((NICKNAME, nickname_u), (MARRIED, married_u)):
        assert levels[label]["u_probability"] == pytest.approx(u)
        assert levels[label]["fix_u_probability"] is True


def _model(levels: dict[str, list[dict[str, Any]]]) -> SplinkModel:
    return from_splink(
        {
            "probability_two_random_records_match": 1e-4,
            "comparisons": [
                {"output_column_name": name, "comparison_levels": lv} for name, lv in levels.items()
            ],
        }
    )


# comparison, level as sampled -> its u after the bound (1e6 pairs sampled)
UNOBSERVED_CASES = [
    ("name", {"label_for_charts": "both partly similar", "m_probability": 0.02}, 1e-6),
    (
        "name",
        {"label_for_charts": "both similar", "m_probability": 0.1, "u_probability": 3e-5},
        3e-5,
    ),
    ("name", {"label_for_charts": "null", "is_null_level": True}, None),
    ("contact", {"label_for_charts": "same address and phone", "m_probability": 0.6}, None),
]


@pytest.mark.parametrize(("comparison", "level", "expected"), UNOBSERVED_CASES)
def test_an_unobserved_name_level_gets_the_bound(
    comparison: str, level: dict[str, Any], expected: float | None
) -> None:
    model = bound_unobserved_u(_model({comparison: [dict(level)]}), 1e6)
    got = model["comparisons"][0]["comparison_levels"][0].get("u_probability")
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_splink_reads_an_unset_u_as_its_default_by_position() -> None:
    """Why the bound: a level saved without u (Splink's "not observed") comes back with the
    default u of its position, here +3 bits for the first of three levels, whatever the data."""
    levels = [
        {"sql_condition": "a_l = a_r", "label_for_charts": "rare", "m_probability": 0.02},
        {
            "sql_condition": "b_l = b_r",
            "label_for_charts": "b",
            "m_probability": 0.3,
            "u_probability": 0.1,
        },
        {
            "sql_condition": "ELSE",
            "label_for_charts": "else",
            "m_probability": 0.68,
            "u_probability": 0.9,
        },
    ]
    model = _model({"name": levels})
    model["link_type"] = "dedupe_only"

    def weight(saved: SplinkModel) -> float:
        settings = SettingsCreator.from_path_or_dict(to_splink(saved)).get_settings("duckdb")
        level = settings.comparisons[0].comparison_levels[0]
        return math.log2(level.m_probability / level.u_probability)

    unbounded = weight(json.loads(json.dumps(model)))
    bounded = weight(bound_unobserved_u(json.loads(json.dumps(model)), 1e6))
    assert unbounded < 5
    assert bounded == pytest.approx(math.log2(0.02 / 1e-6))
