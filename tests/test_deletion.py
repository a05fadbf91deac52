"""Deletion requests: no trace of the forgotten pseudonyms in any hub layer or later extract."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from test_extracts_helpers import NOW, Hub, build, decrypt, make_hub, pseudonym
from typer.testing import CliRunner

from carehub.cli import app
from carehub.privacy_scan import scan_tree
from warehouse import audit
from warehouse.deletion import DeletionError, delete_pseudonyms, read_pseudonym_file

# Reads the clock: also runs at +1, +5 and +30 years (tests/conftest.py).
pytestmark = pytest.mark.time_sensitive

FORGET = ("h-shared", "h-nocons", "h-part2yes")


def _forget() -> list[str]:
    return [pseudonym("harbor_housing", r) for r in FORGET]


def _salt_other_layers(hub: Hub) -> None:
    """Put the pseudonyms where a careless part might have left them too.

    The ``quality`` tables stand for tables a future part adds: no hub schema file has them
    (no production code creates a ``quality`` schema), and deletion must find them through the
    catalog. They are the only DDL that tests/test_no_test_ddl.py allows in this file.
    """
    target = pseudonym("harbor_housing", "h-shared")
    con = hub.connect()
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS quality")
        con.execute("CREATE TABLE quality.findings (submission_id VARCHAR, details JSON)")
        con.execute(
            "INSERT INTO quality.findings VALUES ('s1', ?)",
            [json.dumps({"duplicate_of": target, "rows": [3]})],
        )
        con.execute("CREATE TABLE quality.row_flags (record_pseudonym VARCHAR, flag VARCHAR)")
        con.execute("INSERT INTO quality.row_flags VALUES (?, 'dup'), ('x', 'ok')", [target])
    finally:
        con.close()
    docs = hub.home.quality / "data_docs" / "validations"
    docs.mkdir(parents=True)
    (docs / "result.html").write_text(f"<li>unexpected: {target}</li><li>other</li>")
    broken = hub.home.quarantine / "harbor_housing" / "harbor_housing-20261103T000000Z-0000000c"
    broken.mkdir(parents=True)
    (broken / "events.parquet").write_bytes(b"PAR1 truncated " + target.encode())
    (broken / "reason.txt").write_text("events.parquet: the file is truncated; re-export it")


@pytest.fixture(scope="module")
def deleted(tmp_path_factory: pytest.TempPathFactory):
    hub = make_hub(tmp_path_factory.mktemp("deletion"))
    # Read now: a later build moves these files into the outbox's version history.
    before = {partner: decrypt(hub, info)[1] for partner, info in build(hub).items()}
    _salt_other_layers(hub)
    needles = [("pseudonym", p) for p in _forget()]
    hits_before = scan_tree(hub.home.root, needles)
    report = delete_pseudonyms(hub.home, "harbor_housing", _forget())
    return hub, before, report, hits_before


def test_pseudonyms_were_present_before(deleted) -> None:
    _, _, _, hits_before = deleted
    places = {str(h.path) for h in hits_before}
    assert any(p.endswith("hub.duckdb") for p in places)
    assert any("archive" in p for p in places) and any("quarantine" in p for p in places)
    assert any(p.endswith("result.html") for p in places)


def test_no_trace_in_any_hub_layer(deleted) -> None:
    hub, _, report, _ = deleted
    hits = scan_tree(hub.home.root, [("pseudonym", p) for p in _forget()])
    assert hits == []
    assert report.residual == []


def test_report_counts(deleted) -> None:
    _, _, report, _ = deleted
    assert report.requested == 3 and report.records_found == 3
    for table in ("staging.persons", "staging.events", "linkage.person_records", "linkage.links"):
        assert report.rows_deleted[table] > 0
    assert report.rows_deleted["quality.row_flags"] == 1
    assert report.cells_redacted == {"quality.findings.details": 1}
    assert report.files_rewritten >= 3  # persons + events archived, quarantined persons
    assert report.files_removed == 1  # the truncated quarantined file
    assert report.text_files_redacted == 1
    assert report.persons_removed == 0  # every forgotten record's person has another record


def test_other_records_and_partners_are_untouched(deleted) -> None:
    hub, _, _, _ = deleted
    con = duckdb.connect(str(hub.home.hub_db), read_only=True)
    try:
        kept = {
            r[0] for r in con.execute("SELECT record_pseudonym FROM staging.persons").fetchall()
        }
        json_ok = con.execute("SELECT json_valid(details) FROM quality.findings").fetchone()
        remaining_flags = con.execute("SELECT count(*) FROM quality.row_flags").fetchone()
        views = con.execute("SELECT count(*) FROM staging.current_persons").fetchone()
    finally:
        con.close()
    assert pseudonym("harbor_housing", "h-part2no") in kept
    assert pseudonym("mercy_hospital", "m-shared") in kept
    assert json_ok == (True,) and remaining_flags == (1,)
    assert views is not None and views[0] == len(kept)  # views survive the compaction
    manifest = json.loads(
        next((hub.home.archive / "harbor_housing").glob("*/manifest.json")).read_text()
    )
    assert manifest["files"]["persons.parquet"]["rows"] == 1
    assert {r["file"] for r in manifest["redactions"]} == {"persons.parquet", "events.parquet"}


def test_the_audit_log_records_the_count_only(deleted) -> None:
    hub, _, _, _ = deleted
    assert audit.verify(hub.home).ok
    entry = [e for e in audit.entries(hub.home) if e.action == "deletion"][-1]
    assert entry.details["partner"] == "harbor_housing"
    assert entry.details["requested"] == 3 and entry.details["records_purged"] == 3
    text = audit.log_path(hub.home).read_text()
    assert not any(p in text for p in _forget())


def test_later_extracts_reflect_the_deletion(deleted) -> None:
    hub, before, _, _ = deleted
    assert pseudonym("harbor_housing", "h-shared") in json.dumps(before["harbor_housing"])
    after = build(hub, NOW.replace(hour=13))
    _, harbor = decrypt(hub, after["harbor_housing"])
    assert not set(_forget()) & {r["record_pseudonym"] for r in harbor["records"]}
    # Mercy's client is no longer "seen by a housing CBO": that came from the deleted record.
    _, mercy = decrypt(hub, after["mercy_hospital"])
    rows = {r["record_pseudonym"]: r for r in mercy["records"]}
    shared = pseudonym("mercy_hospital", "m-shared")
    assert shared not in rows or not rows[shared]["flags"]["seen_by_housing_cbo_90d"]


def test_a_person_left_without_records_is_removed_everywhere(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    report = delete_pseudonyms(
        hub.home, "mercy_hospital", [pseudonym("mercy_hospital", "m-many-00")], compact=False
    )
    assert report.persons_removed == 1
    con = duckdb.connect(str(hub.home.hub_db), read_only=True)
    try:
        for table in ("linkage.persons", "features.person_features", "segments.membership"):
            n = con.execute(f"SELECT count(*) FROM {table} WHERE person_key = 'Pmany00'").fetchone()
            assert n == (0,), table
        other = con.execute(
            "SELECT count(*) FROM segments.membership WHERE person_key = 'Pmany01'"
        ).fetchone()
    finally:
        con.close()
    assert other == (1,)


def test_request_for_unknown_pseudonyms_purges_nothing_but_is_audited(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    report = delete_pseudonyms(hub.home, "harbor_housing", ["e" * 64], compact=False)
    assert report.records_found == 0 and report.total_rows_deleted == 0
    assert audit.entries(hub.home)[-1].details["requested"] == 1


def test_another_partners_pseudonym_is_not_deleted(tmp_path: Path) -> None:
    """A partner can only have its own records forgotten."""
    hub = make_hub(tmp_path, archive=False)
    report = delete_pseudonyms(
        hub.home, "harbor_housing", [pseudonym("mercy_hospital", "m-shared")], compact=False
    )
    assert report.records_found == 0
    assert "staging.persons" not in report.rows_deleted


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a" * 64 + "\nnot-a-pseudonym\n", "line 2 is not a record pseudonym"),
        ("# only a comment\n", "lists no pseudonyms"),
        ("record_pseudonym\n" + "A" * 64 + "\nJohn Smith\n", "line 3 is not a record pseudonym"),
    ],
)
def test_bad_request_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "forget.txt"
    path.write_text(content)
    with pytest.raises(DeletionError, match=message) as info:
        read_pseudonym_file(path)
    assert "John" not in str(info.value) and "not-a-pseudonym" not in str(info.value)


def test_request_file_reads_header_comments_and_case(tmp_path: Path) -> None:
    path = tmp_path / "forget.csv"
    path.write_text("record_pseudonym\n# from the partner\n" + "AB" * 32 + "\n\n")
    assert read_pseudonym_file(path) == ["ab" * 32]


def test_unregistered_partner_is_refused(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    with pytest.raises(DeletionError, match="not registered"):
        delete_pseudonyms(hub.home, "nobody_here", ["a" * 64])


def test_cli_delete(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    request = tmp_path / "forget.txt"
    request.write_text("\n".join(_forget()) + "\n")
    result = CliRunner().invoke(
        app,
        [
            "hub",
            "delete",
            "--partner",
            "harbor_housing",
            "--file",
            str(request),
            "--home",
            str(hub.home.root),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "3 pseudonym(s) requested, 3 record(s) of harbor_housing held and purged" in result.output
    )
    assert not any(p in result.output for p in _forget())
    bad = CliRunner().invoke(
        app,
        [
            "hub",
            "delete",
            "--partner",
            "nobody_here",
            "--file",
            str(request),
            "--home",
            str(hub.home.root),
        ],
    )
    assert bad.exit_code == 2 and "not registered" in bad.output


def _snapshot(hub: Hub, partner: str) -> dict[str, list[tuple]]:
    """Every staging and linkage row of ``partner``, sorted (to compare before and after)."""
    con = duckdb.connect(str(hub.home.hub_db), read_only=True)
    try:
        return {
            table: sorted(
                con.execute(
                    f"SELECT * FROM {table} WHERE partner_id = $p",  # fixed table names
                    {"p": partner},
                ).fetchall(),
                key=str,
            )
            for table in ("staging.persons", "staging.events", "linkage.person_records")
        }
    finally:
        con.close()


def test_deletion_is_scoped_to_the_named_partner_with_a_dry_run_first(tmp_path: Path) -> None:
    """Issue 17 #3: partner B holds the very pseudonyms partner A asks to delete."""
    hub = make_hub(tmp_path, archive=False)
    con = hub.connect()
    try:
        # Copy mercy's pseudonyms into harbor's rows too (a collision, or a hostile request).
        mercy = [
            r[0]
            for r in con.execute(
                "SELECT record_pseudonym FROM staging.persons WHERE partner_id = 'mercy_hospital'"
            ).fetchall()
        ]
        con.execute(
            "INSERT INTO staging.persons BY NAME SELECT * REPLACE ('harbor_housing' AS partner_id) "
            "FROM staging.persons WHERE partner_id = 'mercy_hospital'"
        )
    finally:
        con.close()
    before = _snapshot(hub, "harbor_housing")
    mercy_before = _snapshot(hub, "mercy_hospital")

    dry = delete_pseudonyms(hub.home, "harbor_housing", mercy, dry_run=True)
    assert dry.dry_run and dry.requested == len(mercy)
    assert dry.records_found == len(mercy) and dry.shared_with_others == len(mercy)
    assert dry.rows_deleted["staging.persons"] == len(mercy)
    assert _snapshot(hub, "harbor_housing") == before  # a dry run changes nothing
    assert [e.action for e in audit.entries(hub.home)].count("deletion") == 0

    # Mercy asks to forget them: only mercy's rows go; harbor's copies stay, unredacted.
    report = delete_pseudonyms(hub.home, "mercy_hospital", mercy, compact=False)
    assert report.shared_with_others == len(mercy)
    assert _snapshot(hub, "harbor_housing") == before
    after = _snapshot(hub, "mercy_hospital")
    assert after["staging.persons"] == [] and mercy_before["staging.persons"]
    con = duckdb.connect(str(hub.home.hub_db), read_only=True)
    try:
        redacted = con.execute(
            "SELECT count(*) FROM staging.persons WHERE contains(record_pseudonym, '[deleted]')"
        ).fetchone()
    finally:
        con.close()
    assert redacted == (0,)


def test_cli_dry_run_shows_counts_and_changes_nothing(tmp_path: Path) -> None:
    hub = make_hub(tmp_path, archive=False)
    request = tmp_path / "forget.txt"
    request.write_text("\n".join(_forget()) + "\n")
    before = _snapshot(hub, "harbor_housing")
    result = CliRunner().invoke(
        app,
        ["hub", "delete", "--home", str(hub.home.root), "--partner", "harbor_housing",
         "--file", str(request), "--dry-run"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 record(s) of harbor_housing held and would be purged (dry run" in result.output
    assert "staging.persons" in result.output
    assert _snapshot(hub, "harbor_housing") == before
