"""Quorum rules and the electorate, read from governance YAML as plain data.

The rules live in the governance itself (``quorum:``), so changing them is a change like any
other and needs the quorum in force before it. Rules are a word or a count:

* ``majority``: more than half of the voting partners (3 of 5);
* ``two_thirds``: at least two thirds (4 of 5);
* ``one_third``: at least one third (2 of 5), meant for emergency revocation;
* ``all``: every voting partner;
* an integer ``n``: n partners (never more than there are voters).

Voters are the active partners with at least one registered signing key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

RULE_WORDS: Final = ("majority", "two_thirds", "one_third", "all")
DEFAULT_RULES: Final[dict[str, Any]] = {
    "changes": "majority",
    "emergency_revocation": "one_third",
    "proposal_valid_days": 30,
}


def required(rule: str | int, voters: int) -> int:
    """How many approvals ``rule`` needs among ``voters`` partners (at least 1).

    Raises:
        ValueError: an unknown rule word.
    """
    if isinstance(rule, bool):
        raise ValueError(f"quorum rule {rule!r} is neither a count nor one of {RULE_WORDS}")
    if isinstance(rule, int):
        need = rule
    elif rule == "majority":
        need = voters // 2 + 1
    elif rule == "two_thirds":
        need = math.ceil(2 * voters / 3)
    elif rule == "one_third":
        need = math.ceil(voters / 3)
    elif rule == "all":
        need = voters
    else:
        raise ValueError(f"quorum rule {rule!r} is neither a count nor one of {RULE_WORDS}")
    return max(1, min(need, voters)) if voters else 1


def describe_rule(rule: str | int) -> str:
    """A rule in words, e.g. ``a majority``."""
    words = {
        "majority": "a majority",
        "two_thirds": "two thirds",
        "one_third": "one third",
        "all": "every voting partner",
    }
    return words.get(str(rule), f"{rule} partner(s)")


def rules_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The ``quorum:`` section of a governance document, with defaults filled in."""
    section = document.get("quorum") or {}
    return {**DEFAULT_RULES, **(section if isinstance(section, Mapping) else {})}


def voters(document: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Voting partners of a governance document: partner id -> its signing-key entries."""
    partners = document.get("partners") or {}
    return {
        str(pid): list(body.get("signing_keys") or [])
        for pid, body in partners.items()
        if isinstance(body, Mapping) and body.get("active", True) and body.get("signing_keys")
    }
