"""The quorum arithmetic and the change in words (any key of the governance, even new ones)."""

from __future__ import annotations

import pytest

from governance.proposals import classify
from governance.quorum import required
from governance.words import describe


@pytest.mark.parametrize(
    ("rule", "voters", "needed"),
    [
        ("majority", 5, 3),
        ("majority", 4, 3),
        ("majority", 1, 1),
        ("two_thirds", 5, 4),
        ("one_third", 5, 2),
        ("one_third", 4, 2),
        ("all", 5, 5),
        (2, 5, 2),
        (9, 5, 5),  # never more than there are voters
    ],
)
def test_required(rule: str | int, voters: int, needed: int) -> None:
    assert required(rule, voters) == needed


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="majority"):
        required("most", 5)


BASE = {
    "version": 3,
    "partners": {
        "mercy": {"sector": "hospital", "active": True, "signing_keys": [{"public_key": "a"}]},
        "harbor": {"sector": "cbo_housing", "active": True, "signing_keys": [{"public_key": "b"}]},
    },
    "agreements": [
        {"partner": "mercy", "segments": ["s1"], "context_flags": ["seen_by_food_cbo_90d"]},
        {"partner": "harbor", "segments": ["s1"], "context_flags": []},
    ],
    "retention": {"landing_days": 30},
    "quorum": {"changes": "majority"},
}


def _with(**changes: object) -> dict:
    import copy

    doc = copy.deepcopy(BASE)
    doc["version"] = 4
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("new", "words", "kind"),
    [
        (
            _with(
                agreements=[
                    {
                        "partner": "mercy",
                        "segments": ["s1"],
                        "context_flags": ["seen_by_food_cbo_90d", "overdose_reported_365d"],
                    },
                    BASE["agreements"][1],
                ]
            ),
            "agreement of mercy.context_flags: adds overdose_reported_365d (an overdose reported",
            "change",
        ),
        (
            _with(retention={"landing_days": 60}),
            "retention.landing_days: 30 becomes 60",
            "change",
        ),
        (
            # A key this code has never heard of (issue 21's subscriptions) is described too.
            _with(subscriptions=[{"partner": "mercy", "alerts": ["ed_visit"]}]),
            "subscriptions: added, [{'partner': 'mercy', 'alerts': ['ed_visit']}]",
            "change",
        ),
        (
            _with(quorum={"changes": "two_thirds"}),
            "quorum: changes need two_thirds (was majority)",
            "change",
        ),
        (
            _with(
                partners={
                    **BASE["partners"],
                    "harbor": {**BASE["partners"]["harbor"], "active": False},
                },
                agreements=[BASE["agreements"][0]],
            ),
            "REVOKES partner harbor",
            "emergency_revocation",
        ),
        (
            _with(
                partners={
                    **BASE["partners"],
                    "harbor": {
                        **BASE["partners"]["harbor"],
                        "signing_keys": [{"public_key": "b"}, {"public_key": "c"}],
                    },
                }
            ),
            "partner harbor: signing keys change (new key c...)",
            "key_rotation",
        ),
    ],
)
def test_change_in_words_and_kind(new: dict, words: str, kind: str) -> None:
    lines = describe(BASE, new)
    assert any(words in line for line in lines), lines
    assert "version 3 becomes 4" in lines
    assert classify(BASE, new).kind == kind


def test_a_revocation_that_also_changes_anything_else_is_a_change() -> None:
    sneaky = _with(
        partners={**BASE["partners"], "harbor": {**BASE["partners"]["harbor"], "active": False}},
        agreements=[BASE["agreements"][0]],
        retention={"landing_days": 1},
    )
    assert classify(BASE, sneaky).kind == "change"
