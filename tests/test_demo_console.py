"""The demo's console, piped at 80 columns: progress, verbatim reasons, nothing cut off."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from carehub.demo import Demo, encoding_table
from carehub.demo_progress import step
from carehub.demo_summary import deceased_note
from tests.ingest_support import drop, drop_smuggled_name, make_home


def _piped() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=80, force_terminal=False, color_system=None), out


def test_a_piped_step_says_what_runs_and_how_long() -> None:
    console, out = _piped()
    with step(console, "privacy scan [hub]") as note:
        note("1/3 files")  # within the first seconds: no note line yet
    lines = out.getvalue().splitlines()
    assert lines[0] == "... privacy scan [hub]"
    assert lines[-1].startswith("    privacy scan [hub]: done in ")
    assert len(lines) == 2


def test_ingest_section_shows_each_run_and_the_reason_verbatim(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    drop(home, "mercy_hospital", n=12)
    drop_smuggled_name(home, "northside_food", n=12)
    console, out = _piped()
    demo = Demo(residents=10, seed=1, home=home.root, partners=tmp_path / "p", console=console)
    demo.ingest()
    text = out.getvalue()
    reason = next(home.quarantine.rglob("reason.txt")).read_text().strip()
    assert "[schema_and_types]" in reason and reason in text  # markup swallowed nothing
    assert "1/2 " in text and "2/2 " in text  # one line per finished run
    assert "ingest: one Dagster run per submission: done in" in text
    assert sorted(str(r.outcome) for r in demo.result.ingest_runs) == ["ingested", "quarantined"]
    table = [line for line in text.splitlines() if "│" in line or "┃" in line]
    assert table and all(len(line) <= 80 for line in table)
    assert "…" not in "".join(table)  # no column cut off


def test_deceased_note_explains_the_gap() -> None:
    assert deceased_note(9631, 85, 9546) == (
        "all_people (9,546) counts the living: 9,631 linked persons, of whom 85 have a "
        "reported death"
    )
    assert deceased_note(100, 1, 98).endswith("(+1 not explained by deaths)")
    assert deceased_note(100, 1, 97, noise=3).endswith("up to ±3 of noise: +2 here)")
    assert deceased_note(100, 1, 90, noise=3).endswith("(+9 not explained by deaths)")


def test_encoding_table_fits_80_columns_with_the_longest_partner_id() -> None:
    console, out = _piped()
    table = encoding_table()
    table.add_row("county_public_health", "200,000", "400,000", *["99,999"] * 5)
    console.print(table)
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any("county_public_health" in line and "400,000" in line for line in lines)
    assert "…" not in out.getvalue()
