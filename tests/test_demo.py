"""The demo at tiny scale, end to end, and the canary scan over the whole hub home after it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import DemoRegion

from carehub.demo import BROKEN_PARTNER, DemoResult
from carehub.demo_summary import care_team_rows
from carehub.demo_support import identifier_needles
from carehub.privacy_scan import scan_tree


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
