"""Loading: supersede, corrected re-submission, one transaction, drift, no identifier kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from carehub.privacy_scan import scan_tree
from kernel import clock
from kernel.db import connection
from kernel.home import HubHome
from pipelines.defs.ingest.notices import announce
from tests.ingest_support import drop, make_home, staging_counts
from warehouse.ingest import ingest_landing, ingest_submission
from warehouse.ingest.package import Package, stage_tables
from warehouse.staging import (
    SubmissionRecord,
    SupersedeError,
    ensure_schema,
    load_submission,
    table_counts,
)

CANARY_NAME = "Quillonby Marchetti"
CANARY_PHONE = "(617) 555-0142"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> HubHome:
    return make_home(tmp_path_factory.mktemp("load") / "home")


def test_supersede_is_explicit_and_audible(home: HubHome) -> None:
    first = drop(home, "mercy_hospital", salt="v1")
    with connection(home.hub_db) as con:
        assert ingest_submission(home, con, first.name).outcome == "ingested"
        second = drop(home, "mercy_hospital", salt="v1", n=40, supersedes=first.name)
        result = ingest_submission(home, con, second.name)
        assert result.outcome == "ingested" and result.superseded == first.name
        announce(home, result)  # what the ingest asset does with every outcome
        states = dict(
            con.execute(
                "SELECT submission_id, state FROM staging.submissions WHERE partner_id = $p",
                {"p": "mercy_hospital"},
            ).fetchall()
        )
        assert states == {first.name: "superseded", second.name: "ingested"}
        by = con.execute(
            "SELECT superseded_by FROM staging.submissions WHERE submission_id = $s",
            {"s": first.name},
        ).fetchone()
        assert by == (second.name,)
        current = con.execute(
            "SELECT count(*), count(DISTINCT submission_id) FROM staging.current_persons "
            "WHERE partner_id = 'mercy_hospital'"
        ).fetchone()
        assert current == (40, 1)
        # Superseding an already superseded submission is refused.
        third = drop(home, "mercy_hospital", salt="v3", supersedes=first.name)
        refused = ingest_submission(home, con, third.name)
        assert refused.outcome == "quarantined"
        assert any("already superseded" in f.message for f in refused.findings)
    log = (home.logs / "carehub.log").read_text()
    assert f"{first.name} from mercy_hospital is SUPERSEDED by {second.name}" in log


def test_status_lists_submissions_by_state(home: HubHome) -> None:
    from typer.testing import CliRunner

    from carehub.cli import app

    waiting = home.landing / "harbor_housing" / "harbor_housing-20261126T000000Z-0badf00d"
    waiting.mkdir(parents=True)
    out = CliRunner().invoke(app, ["status", "--home", str(home.root), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["ingested"] and data["superseded"] and data["quarantined"]
    pending = {row["submission_id"]: row for row in data["pending"]}
    assert "still being written" in pending[waiting.name]["detail"]
    quarantined = data["quarantined"][0]
    assert quarantined["detail"] and quarantined["location"].startswith("quarantine/")
    table = CliRunner().invoke(app, ["status", "--home", str(home.root)], terminal_width=200)
    assert table.exit_code == 0 and "Submissions" in table.output and "pending" in table.output
    sheet = CliRunner().invoke(app, ["status", "--home", str(home.root), "--csv"])
    assert sheet.exit_code == 0 and sheet.output.startswith("group,state,partner_id")
    assert "quarantined" in sheet.output
    assert not any(
        cell.startswith(("=", "+", "-", "@"))
        for line in sheet.output.splitlines()
        for cell in line.split(",")
    )
    waiting.rmdir()


def test_corrected_resubmission_goes_through(home: HubHome) -> None:
    broken = drop(
        home, "northside_food", salt="fix", mutate=lambda p, e: e[0].update(event_type="visit")
    )
    with connection(home.hub_db) as con:
        before = staging_counts(con, "northside_food") if _staged(con) else (0, 0, 0)
        assert ingest_submission(home, con, broken.name).outcome == "quarantined"
        # A re-run of the decided submission (a retry) reports the decision, changes nothing.
        again = ingest_submission(home, con, broken.name)
        assert again.outcome == "quarantined" and again.message.startswith("already decided")
        fixed = drop(home, "northside_food", salt="fix")
        assert ingest_submission(home, con, fixed.name).outcome == "ingested"
        assert staging_counts(con, "northside_food") == (
            before[0] + 1,
            before[1] + 30,
            before[2] + 30,
        )
        # Running again finds nothing to do and changes nothing.
        assert ingest_landing(home, con) == []
        assert staging_counts(con, "northside_food") == (
            before[0] + 1,
            before[1] + 30,
            before[2] + 30,
        )


@pytest.mark.parametrize("where", ["archive", "quarantine"])
def test_kept_packages_are_owner_only(home: HubHome, where: str) -> None:
    # After the loads above, both trees hold packages: folders 0700, files 0600 (the reasons
    # written into a quarantined package too), nothing else.
    root = getattr(home, where)
    paths = [root, *root.rglob("*")]
    assert any(p.is_file() for p in paths)
    modes = {p.stat().st_mode & 0o777 for p in paths if p.is_dir()}
    assert modes == {0o700}
    assert {p.stat().st_mode & 0o777 for p in paths if p.is_file()} == {0o600}


def test_load_is_one_transaction(home: HubHome) -> None:
    pkg = drop(home, "harbor_housing", salt="tx")
    with connection(home.hub_db) as con:
        ensure_schema(con)
        before = table_counts(con)
        package = Package(path=pkg, partner_id="harbor_housing", submission_id=pkg.name)
        stage_tables(con, package)
        record = SubmissionRecord(
            submission_id=pkg.name,
            partner_id="harbor_housing",
            received_at=clock.now(),
            created_at=None,
            supersedes="harbor_housing-20200101T000000Z-00000000",  # never ingested
            persons_rows=30,
            events_rows=30,
            key_fingerprint="00",
            spec_version="1.0",
            manifest_sha256="f" * 64,
            manifest={},
        )
        # Rows are inserted first, then the supersede mark fails: everything is rolled back.
        with pytest.raises(SupersedeError):
            load_submission(
                con, record, profile=[], checks=[], ingested_at=clock.now(), location="x"
            )
        assert table_counts(con) == before


def test_drift_warns_against_partner_history(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    with connection(home.hub_db) as con:
        for i in range(2):
            drop(home, "harbor_housing", salt=f"h{i}", n=30)
            (first,) = ingest_landing(home, con)
            assert first.outcome == "ingested" and not first.findings, first.findings
        drop(home, "harbor_housing", salt="big", n=400, mutate=_lose_dob)
        (big,) = ingest_landing(home, con)
    assert big.outcome == "ingested"  # drift warns, it does not block
    drift = {(f.column, f.severity) for f in big.findings if f.check == "drift"}
    assert (None, "warning") in drift  # volume
    assert ("tok_first_dob", "warning") in drift and ("tok_dob_zip5_sex", "warning") in drift
    assert "drift warning" in big.message


def test_no_identifier_reaches_hub_storage(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")
    drop(home, "mercy_hospital", mutate=lambda p, e: p[2].update(tok_fullname=CANARY_NAME))
    drop(home, "harbor_housing", mutate=lambda p, e: e[3].update(program=f"call {CANARY_PHONE}"))
    drop(home, "northside_food")
    with connection(home.hub_db) as con:
        outcomes = sorted(r.outcome for r in ingest_landing(home, con))
    assert outcomes == ["ingested", "quarantined", "quarantined"]
    from quality import build_data_docs

    build_data_docs(home.quality, quarantine=home.quarantine, archive=home.archive)
    hits = scan_tree(home.root, [("name", CANARY_NAME), ("phone", CANARY_PHONE)])
    assert hits == []


def _lose_dob(persons: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    for row in persons:
        row.update(tok_name_dob=None, tok_first_dob=None, tok_last_dob=None, tok_dob_zip5_sex=None)


def _staged(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'staging'"
    ).fetchone()
    return bool(row and row[0])
