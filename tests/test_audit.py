"""The hash-chained audit log: any single-byte change, deletion or reordering fails verify."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carehub.cli import app
from kernel.home import HubHome
from kernel.signing import canonical
from warehouse import audit

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

N_ENTRIES = 6


def _fill(home: HubHome) -> None:
    for i in range(N_ENTRIES):
        audit.append(
            home,
            "extract_built" if i % 2 == 0 else "extract_delivered",
            {
                "partner": ["mercy_hospital", "harbor_housing"][i % 2],
                "counts": {"records": 10 * i, "by_segment": {"camden_high_utilizers": i}},
                "purpose": "Care coordination (übergreifend)",
                "governance_version": "3+abc",
            },
            now=datetime(2026, 11, 20, 12, i, tzinfo=UTC),
        )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    home = HubHome(tmp_path_factory.mktemp("audit") / "home").ensure()
    _fill(home)
    return audit.log_path(home).read_bytes()


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    home = HubHome(tmp_path / "home").ensure()
    _fill(home)
    return home


def test_fresh_log_verifies_and_chains(home: HubHome) -> None:
    result = audit.verify(home)
    assert result.ok, result.problems
    assert result.entries == N_ENTRIES
    entries = audit.entries(home)
    assert [e.seq for e in entries] == list(range(1, N_ENTRIES + 1))
    assert entries[0].prev == audit.GENESIS
    assert all(b.prev == a.hash for a, b in itertools.pairwise(entries))
    assert audit.read_head(home) == {"seq": N_ENTRIES, "hash": entries[-1].hash}
    assert result.head == entries[-1].hash


def test_empty_log_verifies(tmp_path: Path) -> None:
    result = audit.verify(HubHome(tmp_path).ensure())
    assert result.ok and result.entries == 0


def _offsets(size: int) -> list[int]:
    # Every 7th byte plus the edges: covers keys, values, hashes, separators and newlines.
    return sorted({0, 1, size - 2, size - 1, *range(0, size, 7)})


def test_single_byte_changes_at_every_sampled_offset_fail_verify(
    pristine: bytes, tmp_path: Path
) -> None:
    home = HubHome(tmp_path / "flip").ensure()
    head = json.loads(json.dumps({"seq": N_ENTRIES}))
    lines = pristine.split(b"\n")
    head["hash"] = json.loads(lines[N_ENTRIES - 1])["hash"]
    audit.head_path(home).write_text(json.dumps(head))
    offsets = _offsets(len(pristine))
    assert len(offsets) > 100
    survivors = []
    for offset in offsets:
        for mask in (0x01, 0x80):
            mutated = bytearray(pristine)
            mutated[offset] ^= mask
            audit.log_path(home).write_bytes(bytes(mutated))
            if audit.verify(home).ok:
                survivors.append((offset, mask))
    audit.log_path(home).write_bytes(pristine)
    assert audit.verify(home).ok, "the untouched copy must verify"
    assert survivors == []


@pytest.mark.parametrize("offset_fraction", [0.0, 0.13, 0.29, 0.5, 0.71, 0.93, 0.999])
def test_single_byte_change_fails_through_the_cli(home: HubHome, offset_fraction: float) -> None:
    path = audit.log_path(home)
    data = bytearray(path.read_bytes())
    offset = int(offset_fraction * (len(data) - 1))
    data[offset] = (data[offset] + 1) % 256
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(app, ["audit", "verify", "--home", str(home.root)])
    assert result.exit_code == 1
    assert "NOT intact" in result.output


def _rewrite(home: HubHome, lines: list[bytes]) -> None:
    audit.log_path(home).write_bytes(b"".join(line + b"\n" for line in lines))


def _lines(home: HubHome) -> list[bytes]:
    return audit.log_path(home).read_bytes().rstrip(b"\n").split(b"\n")


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda ls: ls[:2] + ls[3:], "sequence number"),
        (lambda ls: ls[1:], "sequence number"),
        (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], "sequence number"),
        (lambda ls: ls[:-1], "records entry"),
        (lambda ls: [*ls, ls[-1]], "sequence number"),
        (lambda ls: [ls[0], b"", *ls[1:]], "not valid JSON"),
        (lambda ls: [ls[0], ls[1].replace(b'"seq":2', b'"seq": 2'), *ls[2:]], "canonical"),
        (lambda ls: [ls[0].replace(b"mercy_hospital", b"other_partner1"), *ls[1:]], "hash"),
    ],
    ids=[
        "deleted-middle",
        "deleted-first",
        "reordered",
        "truncated-tail",
        "duplicated-last",
        "blank-line-inserted",
        "whitespace-only-edit",
        "edited-value",
    ],
)
def test_structural_tampering_is_detected(home: HubHome, tamper, expected: str) -> None:
    _rewrite(home, tamper(_lines(home)))
    result = audit.verify(home)
    assert not result.ok
    assert expected in " ".join(result.problems)


def test_consistent_rewrite_of_a_renumbered_chain_is_caught_by_the_head(home: HubHome) -> None:
    """An attacker who rebuilds a valid shorter chain still disagrees with the anchored head."""
    anchor = audit.verify(home).head
    entries = audit.entries(home)[:3]
    lines = []
    prev = audit.GENESIS
    for e in entries:
        body = {
            "seq": e.seq,
            "time": e.time,
            "action": e.action,
            "details": e.details,
            "prev": prev,
        }
        body["hash"] = audit._entry_hash(body)
        prev = body["hash"]
        lines.append(canonical(body))
    _rewrite(home, lines)
    audit._write_head(home, 3, prev)  # even with the head file rewritten too
    assert audit.verify(home).ok
    result = audit.verify(home, expect_head=anchor)
    assert not result.ok and "anchored head" in result.problems[0]


def test_append_refuses_to_extend_a_broken_tail(home: HubHome) -> None:
    path = audit.log_path(home)
    path.write_bytes(path.read_bytes()[:-20] + b"\n")
    with pytest.raises(RuntimeError, match="carehub audit verify"):
        audit.append(home, "extract_built", {"partner": "x"})


def test_show_lists_entries_by_partner(home: HubHome) -> None:
    result = CliRunner().invoke(
        app, ["audit", "show", "--home", str(home.root), "--partner", "harbor_housing"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("harbor_housing") == N_ENTRIES // 2
    assert "mercy_hospital" not in result.output
    ok = CliRunner().invoke(app, ["audit", "verify", "--home", str(home.root)])
    assert ok.exit_code == 0 and f"{N_ENTRIES} entries" in ok.output
