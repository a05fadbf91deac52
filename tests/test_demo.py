"""The demo at tiny scale, end to end, and the canary scan over the whole hub home after it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import DemoRegion
from rich.console import Console

from carehub.demo import BROKEN_PARTNER, Demo, DemoResult
from carehub.demo_summary import care_team_rows
from carehub.demo_support import identifier_needles
from carehub.privacy_scan import scan_tree
from kernel.db import connection
from kernel.home import HubHome
from tests.html_support import external_urls


@pytest.fixture(scope="module")
def demo_run(demo_region: DemoRegion) -> tuple[DemoResult, str]:
    return demo_region.result, demo_region.console_text


def test_demo_ingests_good_batches_and_quarantines_the_broken_one(demo_run) -> None:
    result, _ = demo_run
    assert all(run.success for run in result.ingest_runs)  # a quarantine is no crash
    by_partition = {run.partition_key: run.outcome for run in result.ingest_runs}
    assert by_partition.pop(result.broken_submission) == "quarantined"
    assert list(by_partition.values()) == ["ingested"] * 5
    reasons = list((result.home.quarantine / BROKEN_PARTNER).glob("*/reason.json"))
    assert len(reasons) == 1
    assert "first_name" in reasons[0].read_text()


def test_demo_links_well_and_publishes_everything(demo_run) -> None:
    result, text = demo_run
    assert result.linkage_quality["f1"] > 0.95
    assert result.home.marts_db.is_file()
    assert result.opened, "every partner with an agreement opens an extract"
    for opened in result.opened.values():
        assert care_team_rows(Path(opened.out)) == opened.rows
    for heading in ("Segment sizes", "Cross-sector overlap", "Extracts opened", "carehub ui"):
        assert heading in text
    # Sections 6 and 7 say what they did; the summary explains all_people vs persons.
    for line in ("records into", "published marts", "extracts signed by hub key", "report "):
        assert line in text
    assert "counts the living" in text and "not explained by deaths" not in text
    assert "ingest: one Dagster run per submission: done in" in text


def test_no_identifier_anywhere_in_the_hub_home(demo_run) -> None:
    result, _ = demo_run
    needles = identifier_needles(result.partners_dir)
    assert {kind for kind, _ in needles} >= {"name", "dob", "ssn", "phone", "address", "secret"}
    assert scan_tree(result.home.root, needles) == []
    assert result.privacy_hits == []


def test_no_page_in_the_hub_home_links_outside(demo_run) -> None:
    """Every HTML page the demo's hub wrote: Data Docs, linkage charts, marts dictionary,
    report. None holds a URL outside the allow-list of tests/html_support.py."""
    result, _ = demo_run
    pages = {str(p.relative_to(result.home.root)) for p in result.home.root.rglob("*.html")}
    assert any(p.startswith("models/charts/") for p in pages)
    assert any(p.startswith("quality/data_docs/") for p in pages)
    assert external_urls(result.home.root) == {}


def test_the_scan_would_see_a_leak(demo_run) -> None:
    # The partner tree holds every identifier: the same scan must light up there.
    result, _ = demo_run
    raw = result.partners_dir / "mercy_hospital" / "raw"
    hits = scan_tree(raw, identifier_needles(result.partners_dir))
    assert {h.needle_kind for h in hits} >= {"name", "dob", "ssn", "phone", "address", "record_id"}


def test_each_extract_lists_only_its_recipients_records(demo_run) -> None:
    result, _ = demo_run
    owners: dict[str, str] = {}
    for partner_id, opened in result.opened.items():
        for pseudonym in opened.pseudonyms:
            assert owners.setdefault(pseudonym, partner_id) == partner_id


# --- reproducibility (issue 19) ------------------------------------------------------------


def _linked(home: HubHome) -> tuple[set[tuple[str, ...]], list[tuple[object, ...]]]:
    """Persons as sets of records (person keys are random by design) and every link with its
    weight, from the hub's linkage tables."""
    with connection(home.hub_db, read_only=True) as con:
        persons = con.execute(
            "SELECT list(partner_id || '/' || record_pseudonym) FROM linkage.person_records "
            "GROUP BY person_key"
        ).fetchall()
        links = con.execute(
            "SELECT partner_id_l, record_pseudonym_l, partner_id_r, record_pseudonym_r, "
            "match_weight FROM linkage.links ORDER BY ALL"
        ).fetchall()
    return {tuple(sorted(records)) for (records,) in persons}, links


def _segment_sizes(home: HubHome) -> list[tuple[object, ...]]:
    with connection(home.marts_db, read_only=True) as con:
        return con.execute(
            "SELECT segment, people, suppressed FROM segment_sizes ORDER BY ALL"
        ).fetchall()


@pytest.mark.slow
def test_the_same_seeds_give_the_same_persons_bit_for_bit(
    demo_region: DemoRegion, tmp_path: Path
) -> None:
    """A second demo of the same region (--seed) under the same keys (--key-seed): the same
    persons, the same links with the same weights, the same published segment sizes. The
    session's demo ran minutes earlier, so a dependence on the clock would show too."""
    again = Demo(
        residents=demo_region.residents,
        seed=demo_region.seed,
        key_seed=demo_region.seed,
        home=tmp_path / "home",
        partners=tmp_path / "partners",
        console=Console(quiet=True),
    ).run()
    first_persons, first_links = _linked(demo_region.result.home)
    persons, links = _linked(again.home)
    assert len(first_links) > 0 and len(first_persons) < demo_region.residents
    assert persons == first_persons
    assert links == first_links
    assert _segment_sizes(again.home) == _segment_sizes(demo_region.result.home)


def test_demo_ends_with_a_cbo_opening_its_care_alerts(demo_run) -> None:
    result, text = demo_run
    alerts = result.alerts
    assert alerts.ingest.outcome == "ingested" and alerts.alerts_run.success
    assert alerts.metadata["alert_files"] >= 1
    assert alerts.opened.items > 0 and not alerts.opened.failed
    assert "10. Real-time care alerts" in text and "opens its inbox" in text
    # Only the CBO's own clients, by its own record ids.
    with (alerts.out / "alerts.csv").open() as handle:
        ids = {row["record_id"] for row in csv.DictReader(handle)}
    with result.encoded["harbor_housing"].crosswalk.open() as handle:
        own = {row["record_id"] for row in csv.DictReader(handle)}
    assert ids and ids <= own
