"""The hub's side of the plaintext-identifier detector (``encoding/plaintext.py``).

The detector is shared with the partner client; what only the hub knows is which columns its
passed Great Expectations rules already vouch for, so that the detector need not read them again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contract.manifest import FileName
from encoding.plaintext import GROUPS
from quality.rules import Rule


def verified_columns(passed: Iterable[Rule]) -> frozenset[tuple[FileName, str]]:
    """``(file, column)`` of the text columns whose format the passed rules already guarantee.

    A passed ``match_regex`` rule with the column's own format pattern, or a passed ``in_set``
    rule whose allowed values all have that format, means no value of the column is off-format
    (nulls are neither checked by the rule nor counted by the detector).

    Args:
        passed: Rules whose GX expectation succeeded for this submission.
    """
    formats = {(g.file, c): g.format for g in GROUPS if g.anchored for c in g.columns}
    verified: set[tuple[FileName, str]] = set()
    for rule in passed:
        pattern = formats.get((rule.file, rule.column))
        if pattern is None:
            continue
        if (rule.kind == "match_regex" and rule.regex == pattern) or (
            rule.kind == "in_set"
            and rule.values
            and all(re.fullmatch(pattern, value) for value in rule.values)
        ):
            verified.add((rule.file, rule.column))
    return frozenset(verified)
