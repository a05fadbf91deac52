"""Contract: the partner client's shipped mapping files read every synthetic export cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from partner.mapping import load_mapping
from partner.reader import read_input
from synth import PARTNER_IDS, SynthConfig, generate

MAPPINGS = Path(__file__).resolve().parents[1] / "partner" / "mappings"


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mapped")
    generate(out, residents=2_500, seed=8, progress=False)
    return out


@pytest.mark.parametrize("pid", PARTNER_IDS)
def test_mapping_reads_every_row_and_code(region: Path, pid: str) -> None:
    mapping = load_mapping(MAPPINGS / f"{pid}.yaml")
    raw = read_input(mapping, region / "partners" / pid, pid, SynthConfig().as_of)
    summary_rows = sum(1 for _ in (region / "partners" / pid).glob("*.csv"))
    assert summary_rows == 1 + len(mapping.events)
    assert raw.persons.height > 0 and raw.events.height > 0
    assert raw.event_report["dropped_unknown_record"] == 0
    # Every partner export with a city column maps it as the locality (spec 2.1, bf_addr).
    locality = raw.persons["locality"]
    if pid == "northside_food":
        assert mapping.persons.locality is None and locality.null_count() == locality.len()
    else:
        assert locality.drop_nulls().len() > 0.7 * locality.len()
    assert raw.event_report["consent"]["consent_unmapped"] == 0
    assert raw.event_report["consent"]["part2_consent_unmapped"] == 0
    for name, counts in raw.event_report["files"].items():
        problems = {k: v for k, v in counts.items() if k != "rows" and v}
        assert not problems, (pid, name, problems)
