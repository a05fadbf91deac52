"""Spec 2.1 addresses through the real partner client: line 2 and the locality (issue 15).

Two records of one person (same DOB, so the same Bloom noise) are encoded from a CSV through the
shipped riverside mapping; what the hub receives must agree exactly where only line 2 differs,
keep the locality inside ``bf_addr`` (never in clear, never in ``tok_first_addr``), and cost little
Dice when one side has no city.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from contract.spec import PERSON_COLUMNS, bloom_columns
from partner.encode import encode_partner
from partner.keygen import keygen

MAPPING = Path(__file__).parents[1] / "partner" / "mappings" / "riverside_health.yaml"
HEADER = (
    "person_id,given_name,family_name,birth_date,gender,ssn,address_line,city,state,"
    "postal_code,phone,share_with_hie\n"
)


@dataclass(frozen=True)
class Pair:
    """Two address lines and cities of one person, and what the encodings must show."""

    name: str
    line_a: str
    city_a: str
    line_b: str
    city_b: str
    same_token: bool
    dice: tuple[float, float]  # bf_addr Dice lies in [low, high]


PAIRS = [
    Pair("line 2 vs street only", "412 Elm St Apt 4B", "Concord", "412 Elm St", "Concord",
         True, (1.0, 1.0)),
    Pair("unit as #, floor", "412 Elm St #4B 2nd Floor", "Concord", "412 ELM STREET", "Concord",
         True, (1.0, 1.0)),
    Pair("PO box spellings", "P.O. Box 77", "Concord", "PO Box 77", "Concord", True, (1.0, 1.0)),
    Pair("city spelled two ways", "9 Pine Rd", "Saint Johnsbury", "9 Pine Rd", "ST. JOHNSBURY, VT",
         True, (1.0, 1.0)),
    # The locality is evidence inside bf_addr only: absent on one side, tok_first_addr still agrees
    # and the filter keeps most of its bits.
    Pair("city on one side only", "9 Pine Rd", "Concord", "9 Pine Rd", "", True, (0.88, 0.99)),
    Pair("city with a typo", "9 Pine Rd", "Concord", "9 Pine Rd", "Concrod", True, (0.93, 0.999)),
    Pair("another town", "9 Pine Rd", "Concord", "9 Pine Rd", "Bow", True, (0.85, 0.97)),
    Pair("no house number", "9 Pine Rd", "Concord", "Pine Road", "Concord", False, (0.8, 0.95)),
    Pair("another street", "9 Pine Rd", "Concord", "23 Maple Ave", "Concord", False, (0.0, 0.75)),
]  # fmt: skip


def _encode(tmp: Path, rows: list[str], mapping: Path = MAPPING) -> Path:
    raw = tmp / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "persons.csv").write_text(HEADER + "".join(r + "\n" for r in rows))
    (raw / "visits.csv").write_text(
        "visit_id,person_id,visit_class,visit_start,visit_end,principal_dx_category,facility_unit\n"
    )
    (raw / "problem_list.csv").write_text(
        "problem_id,person_id,icd10_code,problem_name,noted_date\n"
    )
    keys = tmp / "keys"
    if not (keys / "shared.secret").exists():
        keygen(keys, "riverside_health", shared_secret=keys / "shared.secret")
    out = tmp / "landing"
    encode_partner(
        "riverside_health", keys / "shared.secret", mapping, raw, out, as_of=date(2026, 6, 30)
    )
    (package,) = sorted(out.glob("*/"), key=lambda p: p.stat().st_mtime)[-1:]
    return package


def _row(rid: str, line: str, city: str) -> str:
    return f'{rid},Ana,Ferreira,1990-11-23,F,,"{line}","{city}",NH,03301,6035559876,true'


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    common = sum(bin(int(x & y)).count("1") for x, y in zip(a, b, strict=True))
    total = sum(bin(int(x)).count("1") for x in (*a, *b))
    return 2 * common / total


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_address_pair(tmp_path: Path, pair: Pair) -> None:
    package = _encode(
        tmp_path, [_row("RS-1", pair.line_a, pair.city_a), _row("RS-2", pair.line_b, pair.city_b)]
    )
    persons = pq.read_table(package / "persons.parquet").to_pydict()
    assert list(persons) == list(PERSON_COLUMNS)  # no locality column, no new token
    same = persons["tok_first_addr"][0] == persons["tok_first_addr"][1]
    assert same == pair.same_token
    words = np.array([persons[c] for c in bloom_columns("addr")], dtype=np.int64).T
    words = words.view(np.uint64)
    dice = _dice(words[0], words[1])
    assert pair.dice[0] <= dice <= pair.dice[1], dice
    raw_bytes = b"".join(p.read_bytes() for p in package.iterdir())
    for city in {pair.city_a, pair.city_b} - {""}:
        assert city.encode() not in raw_bytes and city.upper().encode() not in raw_bytes


def test_locality_is_optional_and_reported(tmp_path: Path) -> None:
    """A mapping without ``locality:`` encodes as a city left empty; the report counts the
    locality's reasons like every other field's (counts only)."""
    rows = [_row("RS-1", "9 Pine Rd", "Concord"), _row("RS-2", "9 Pine Rd", "Unknown")]
    with_city = _encode(tmp_path / "a", rows)
    report = json.loads((with_city / "encoding_report.json").read_text())
    assert report["fields"]["locality"] == {"valid": 1, "placeholder": 1}
    without = tmp_path / "b" / "mapping.yaml"
    without.parent.mkdir()
    without.write_text(MAPPING.read_text().replace("  locality: city\n", ""))
    assert "locality" not in without.read_text()
    no_city = _encode(tmp_path / "b", rows, without)
    report = json.loads((no_city / "encoding_report.json").read_text())
    assert report["fields"]["locality"] == {"valid": 0, "missing": 2}
    a = pq.read_table(with_city / "persons.parquet").to_pydict()
    b = pq.read_table(no_city / "persons.parquet").to_pydict()
    # Another secret per folder, so compare within each: the placeholder city adds no bits.
    addr = bloom_columns("addr")
    assert [b[c][0] for c in addr] == [b[c][1] for c in addr]
    assert [a[c][0] for c in addr] != [a[c][1] for c in addr]
