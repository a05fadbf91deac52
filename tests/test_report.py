"""The ecosystem report: built from the published marts, every number disclosure-controlled."""

from __future__ import annotations

import random
import re
from pathlib import Path

import duckdb
import pytest
from test_marts_helpers import published_sample

from contract.vocabulary import SECTORS
from kernel.db import connection
from kernel.home import HubHome
from warehouse.disclosure import DEFAULT_MAX_NOISE, DEFAULT_THRESHOLD, Perturbation
from warehouse.publish import last_publications
from warehouse.report import build_report, read_report_data
from warehouse.report.build import data_end_note
from warehouse.report.data import (
    Count,
    multi_sector_share,
    share_text,
    shown_multi_sector_share,
)

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[HubHome, Path]:
    marts = published_sample(tmp_path_factory.mktemp("report"), persons=2500)
    home = HubHome(marts.path.parents[1])
    result = build_report(home, run_id="test-run")
    return home, result.html


def test_report_files(report: tuple[HubHome, Path]) -> None:
    home, html = report
    folder = html.parent
    assert folder == home.reports / "ecosystem" and folder.is_symlink()
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "program_evaluation.png",
        "report.html",
        "sector_overlap_upset.png",
        "segment_sizes.png",
        "segment_trends.png",
        "who_is_missing.png",
    ]
    for name in names:
        if name.endswith(".png"):
            data = (folder / name).read_bytes()
            assert data.startswith(PNG) and len(data) > 10_000, name
            assert f'src="{name}"' in html.read_text()


def test_every_count_in_the_report_is_published(report: tuple[HubHome, Path]) -> None:
    home, html = report
    text = html.read_text()
    with duckdb.connect(str(home.marts_db), read_only=True) as con:
        published = {
            int(n)
            for table in ("segment_sizes", "sector_overlap", "program_evaluation", "about")
            for (n,) in con.execute(
                f"SELECT {'value' if table == 'about' else 'people'} FROM {table}"
                + (
                    " WHERE key IN ('cells', 'suppressed_cells', 'threshold')"
                    if table == "about"
                    else " WHERE people IS NOT NULL"
                )
            ).fetchall()
        }
    # Integers shown in table cells ("1,234"), not rates or years.
    shown = {
        int(m.replace(",", "")) for m in re.findall(r'<td class="num">([0-9][0-9,]*)</td>', text)
    }
    people_cells = re.findall(r'<td class="num">([0-9][0-9,]*)</td>', text)
    assert people_cells
    counts = {n for n in shown if n in published}
    rates = shown - counts
    # Whatever is not a published count is a rate per 1,000 from program_evaluation.
    with duckdb.connect(str(home.marts_db), read_only=True) as con:
        allowed_rates = {
            round(abs(v))
            for row in con.execute(
                "SELECT ed_ip_per_1000_before, ed_ip_per_1000_after, change_per_1000, "
                "difference_in_differences_per_1000 FROM program_evaluation"
            ).fetchall()
            for v in row
            if v is not None
        }
    assert rates <= allowed_rates
    assert all(n == 0 or n >= 11 for n in counts)
    assert "withheld" in text


def test_report_reads_only_the_marts(report: tuple[HubHome, Path]) -> None:
    home, _ = report
    data = read_report_data(home.marts_db)
    assert data.everyone is not None
    assert {s.label for s in data.sizes} == {s["segment"] for s in data.segments}
    assert len(data.months) == 12


def test_report_publication_is_recorded(report: tuple[HubHome, Path]) -> None:
    home, _ = report
    with connection(home.hub_db, read_only=True) as con:
        (latest,) = last_publications(con, "report")
    assert latest.run_id == "test-run"
    assert "report.html" in latest.details["files"]


def test_report_needs_published_marts(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="publish the marts"):
        build_report(HubHome(tmp_path / "home").ensure())


def test_report_names_sectors_without_partner_and_the_data_end(
    report: tuple[HubHome, Path],
) -> None:
    home, html = report
    text = " ".join(html.read_text().split())
    about = read_report_data(home.marts_db).about
    assert "No partner in this sector yet: Social-service CBOs." in text
    assert f"The data run to the end of {about['as_of_month']}" in text


def test_data_end_note_says_why_it_is_earlier_than_the_publication() -> None:
    note = data_end_note({"as_of_month": "2026-06", "published_month": "2026-12"})
    assert note.startswith("The data run to the end of 2026-06, published 2026-12: months")
    assert data_end_note({"as_of_month": "2026-12", "published_month": "2026-12"}) == (
        "The data run to the end of 2026-12."
    )


# --- the headline share: bounds that hold ------------------------------------------------------


def _demo_like_combinations(residents: int, seed: int) -> tuple[dict[str, int], int]:
    """Exclusive sector combinations of everyone, shaped like the demo region's: about 1 in 10
    known to no sector, about 1 in 5 to several, spread over many small multi-sector
    combinations (the ones that get withheld)."""
    rng = random.Random(seed)
    combos: dict[str, int] = {"none": int(residents * rng.uniform(0.08, 0.12))}
    for sector in SECTORS:
        combos[sector] = int(residents * rng.uniform(0.06, 0.12))
    multi = int(residents * rng.uniform(0.18, 0.23))
    pairs = [f"{a}+{b}" for i, a in enumerate(SECTORS) for b in SECTORS[i + 1 :]]
    triples = [f"{p}+{c}" for p in pairs[:12] for c in SECTORS[-2:] if c not in p]
    weights = [rng.paretovariate(1.2) for _ in pairs + triples]
    for label, weight in zip(pairs + triples, weights, strict=True):
        combos[label] = round(multi * weight / sum(weights))
    return {k: v for k, v in combos.items() if v > 0}, sum(combos.values())


@pytest.mark.parametrize("residents", [3_000, 20_000])
def test_the_stated_multi_sector_share_holds_the_truth(residents: int) -> None:
    """Shown numbers carry the keyed noise and small combinations are withheld (no row): the
    report's bounds contain the true share for every key tried, and the headline is the shown
    share only when it is within 1 point of the truth. Bounds from the shown numbers alone (no
    noise bound) miss the truth for some keys: the widening is what makes them hold."""
    unwidened_missed = 0
    for seed in range(40):
        truth, everyone = _demo_like_combinations(residents, seed)
        noise = Perturbation(f"report-key-{seed}".encode().ljust(32, b"."), DEFAULT_MAX_NOISE)
        combos = [
            Count(label, noise.shown(("combo", label), n))
            for label, n in truth.items()
            if noise.shown(("combo", label), n) >= DEFAULT_THRESHOLD
        ]
        shown_everyone = noise.shown(("size",), everyone)
        share = sum(n for label, n in truth.items() if "+" in label) / everyone
        low, high = multi_sector_share(combos, shown_everyone, DEFAULT_MAX_NOISE)
        assert low <= share <= high, (seed, low, share, high)
        stated = share_text(shown_multi_sector_share(combos, shown_everyone), low, high)
        if stated.startswith("at least"):
            floor, ceiling = (int(x) / 100 for x in re.findall(r"(\d+)%", stated))
            assert floor <= share <= ceiling, (seed, stated, share)
        else:
            assert abs(int(stated.rstrip("%")) / 100 - share) <= 0.015, (seed, stated, share)
        narrow = multi_sector_share(combos, shown_everyone, 0)
        unwidened_missed += not narrow[0] <= share <= narrow[1]
    assert unwidened_missed > 0
