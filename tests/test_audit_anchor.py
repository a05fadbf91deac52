"""Issue 17 #13: the audit head is anchored outside the hub.

Cutting the last entries off the log and rewriting ``audit.head`` to match is caught by
``carehub audit verify`` without ``--expect-head`` (the extracts in the outbox, signed copies of
the head, must be accounted for), and by the partner, whose ledger keeps every head it saw.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_extracts_helpers import build, make_hub
from typer.testing import CliRunner

from carehub.cli import app
from partner.open import OpenError, _check_anchor, last_audit_anchor
from warehouse import audit


def _cut(home_log: Path, head: Path, keep: int) -> None:
    lines = home_log.read_text().splitlines(keepends=True)[:keep]
    home_log.write_text("".join(lines))
    last = json.loads(lines[-1])
    head.write_text(json.dumps({"seq": last["seq"], "hash": last["hash"]}))


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_truncation_with_a_rewritten_head_is_caught_without_expect_head(
    tmp_path: Path, cut: int
) -> None:
    hub = make_hub(tmp_path)
    build(hub)
    assert audit.verify(hub.home).ok
    log, head = audit.log_path(hub.home), audit.head_path(hub.home)
    entries = len(log.read_text().splitlines())
    _cut(log, head, entries - cut)
    result = audit.verify(hub.home)
    assert not result.ok
    assert any("is in the outbox but its" in p or "no longer holds" in p for p in result.problems)
    shown = CliRunner().invoke(app, ["audit", "verify", "--home", str(hub.home.root)])
    assert shown.exit_code == 1


@pytest.mark.parametrize(
    ("seen", "new", "refused"),
    [
        ({"seq": 10, "hash": "a" * 64}, {"seq": 12, "hash": "b" * 64}, False),
        ({"seq": 10, "hash": "a" * 64}, {"seq": 9, "hash": "b" * 64}, True),
        ({"seq": 10, "hash": "a" * 64}, {"seq": 10, "hash": "c" * 64}, True),
        (None, {"seq": 1, "hash": "b" * 64}, False),
    ],
)
def test_partner_ledger_keeps_the_head_and_refuses_a_rewound_log(
    tmp_path: Path, seen: dict | None, new: dict, refused: bool
) -> None:
    ledger = tmp_path / "opened_extracts.jsonl"
    if seen:
        ledger.write_text(json.dumps({"extract_id": "x", "opened_at": "t", "audit_anchor": seen}))
    assert last_audit_anchor(ledger) == seen
    manifest = {"extract_id": "y", "audit_anchor": new}
    if refused:
        with pytest.raises(OpenError) as error:
            _check_anchor(tmp_path / "y.extract.json", manifest, ledger)
        assert error.value.code == "audit_rewound"
    else:
        _check_anchor(tmp_path / "y.extract.json", manifest, ledger)
    shown = CliRunner().invoke(app, ["partner", "audit-head", "--ledger", str(ledger)])
    assert shown.exit_code == (0 if seen else 1)
    if seen:
        assert seen["hash"] in shown.output
