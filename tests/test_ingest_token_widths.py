"""Spec 2.2 at ingest: every package of a linkage has the same token widths (one ecosystem size).

A package whose truncated tokens (the phone) have other widths than the current submissions it
will be linked with, or than the steward's ``ecosystem_persons`` in config/governance.yaml, is
refused with a finding that names the partner, the package, the widths seen and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from governance_support import approve_changes

from kernel import clock
from kernel.db import connection
from tests.ingest_support import drop, make_home
from warehouse.governance import governance_path
from warehouse.ingest import ingest_landing

MERCY, HARBOR = "mercy_hospital", "harbor_housing"
DEFAULT = 19  # the spec's default ecosystem (1,000,000 persons), as write_package writes it


@dataclass(frozen=True)
class Case:
    name: str
    announced: int | None  # ecosystem_persons in config/governance.yaml
    before: tuple[tuple[str, int], ...]  # (partner, phone bits) ingested first, in order
    partner: str  # the package under test ...
    bits: int  # ... its phone token's width
    supersedes_own: bool  # ... and whether it replaces its partner's earlier submission
    outcome: str
    text: str = ""


CASES = [
    Case("first_sets_the_widths", None, (), MERCY, 13, False, "ingested"),
    Case("same_widths", None, ((MERCY, DEFAULT),), HARBOR, DEFAULT, False, "ingested"),
    Case(
        "other_partner_differs",
        None,
        ((MERCY, DEFAULT),),
        HARBOR,
        13,
        False,
        "quarantined",
        f"partner {HARBOR}, package {HARBOR}-",
    ),
    # The submission a package supersedes is not linked with it: a sole partner may move.
    Case("supersedes_its_own", None, ((MERCY, DEFAULT),), MERCY, 13, True, "ingested"),
    Case(
        "supersedes_but_another_remains",
        None,
        ((MERCY, DEFAULT), (HARBOR, DEFAULT)),
        MERCY,
        13,
        True,
        "quarantined",
        f"but {HARBOR}'s current submission",
    ),
    # The steward's recorded size wins: the way every partner moves to a new size.
    Case(
        "announced_differs",
        8_192,
        (),
        MERCY,
        DEFAULT,
        False,
        "quarantined",
        "tok_phone 19 bits, but the ecosystem size in config/governance.yaml (8,192 persons) "
        "has tok_phone 13 bits",
    ),
    Case("announced_agrees", 8_192, (), MERCY, 13, False, "ingested"),
    Case("announced_over_staged", 8_192, ((HARBOR, DEFAULT),), MERCY, 13, False, "ingested"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_token_widths_at_ingest(tmp_path: Path, case: Case) -> None:
    home = make_home(tmp_path / "hub")
    now = clock.now()
    first: dict[str, str] = {}
    with connection(home.hub_db) as con:
        for i, (partner, bits) in enumerate(case.before):
            first[partner] = drop(home, partner, salt=f"b{i}", token_bits={"tok_phone": bits}).name
            assert [r.outcome for r in ingest_landing(home, con, now=now)] == ["ingested"]
        if case.announced is not None:
            path = governance_path(home)
            path.write_text(path.read_text() + f"\necosystem_persons: {case.announced}\n")
            approve_changes(home)
        pkg = drop(
            home,
            case.partner,
            salt="under-test",
            token_bits={"tok_phone": case.bits},
            supersedes=first[case.partner] if case.supersedes_own else None,
        )
        (result,) = ingest_landing(home, con, now=now)
    assert result.submission_id == pkg.name
    assert result.outcome == case.outcome, result.message
    if case.outcome == "quarantined":
        (finding,) = [f for f in result.findings if f.blocking]
        assert finding.check == "spec_version" and finding.column == "token_bits"
        assert case.text in finding.message
        assert "re-encode the export" in (finding.fix or "")
