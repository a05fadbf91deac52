"""The analysts' marts.duckdb: contents, leak test, dictionary, atomic publication, CLI."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import duckdb
import pytest
import sqlglot
from test_marts_helpers import AS_OF, MART_TABLES, published_sample, sample_hub
from typer.testing import CliRunner

from carehub.cli import app
from kernel import clock
from kernel.db import connection
from warehouse import dictionary
from warehouse.disclosure import DisclosureError
from warehouse.marts import publish_marts, scan_for_leaks, summary_lines
from warehouse.marts.publish import MartsResult
from warehouse.publish import last_publications
from warehouse.segments import load_segments

DOCS = Path(__file__).parents[1] / "docs" / "marts.md"
TABLES = MART_TABLES


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> MartsResult:
    return published_sample(tmp_path_factory.mktemp("marts"), persons=2500)


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND database_name = current_database() ORDER BY ALL"
    ).fetchall()


def test_tables_and_result(marts: MartsResult) -> None:
    with duckdb.connect(str(marts.path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        ((months,),) = con.execute("SELECT count(DISTINCT month) FROM segment_trends").fetchall()
        about = dict(con.execute("SELECT key, value FROM about").fetchall())
    assert tables == TABLES
    assert months == 12
    assert about["as_of_month"] == "2026-10"
    assert about["threshold"] == "11"
    assert about["version"] == marts.version
    assert marts.as_of == AS_OF
    assert set(load_segments().names) <= set(marts.segment_sizes)
    assert marts.segment_sizes["all_people"] is not None
    assert marts.sector_overlap[0][1] is not None
    assert marts.suppressed_cells == marts.primary_suppressed + marts.complementary_suppressed


def test_leak_scan_finds_nothing_personal(marts: MartsResult) -> None:
    with duckdb.connect(str(marts.path), read_only=True) as con:
        assert scan_for_leaks(con, 11) == []


def test_no_identifier_column_value_or_small_count(marts: MartsResult) -> None:
    # Independent of the library scan: every column name and every text value, by regex.
    identifier = re.compile(r"[0-9a-f]{32}|P[0-9a-f]{16}")
    with duckdb.connect(str(marts.path), read_only=True) as con:
        for table, column, data_type in _columns(con):
            assert not re.search(r"person_key|pseudonym|^tok_|^bf_|record|event_id", column)
            assert data_type not in ("BLOB", "BIT")
            values = con.sql(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall()
            for (value,) in values:
                if isinstance(value, str):
                    assert not identifier.search(value), f"{table}.{column}"
            if column == "people":
                ((small,),) = con.sql(
                    f'SELECT count(*) FROM "{table}" WHERE people < 11'
                ).fetchall()
                ((mismatch,),) = con.sql(
                    f'SELECT count(*) FROM "{table}" WHERE (people IS NULL) <> suppressed'
                ).fetchall()
                assert small == 0 and mismatch == 0, table


def test_no_person_level_rows(marts: MartsResult) -> None:
    # The largest table has far fewer rows than people, and no table has a row per person.
    with duckdb.connect(str(marts.path), read_only=True) as con:
        ((rows,),) = con.execute("SELECT count(*) FROM segment_counts").fetchall()
        ((everyone,),) = con.execute(
            "SELECT people FROM segment_sizes WHERE segment = 'all_people'"
        ).fetchall()
        months = {r[0] for r in con.execute("SELECT DISTINCT month FROM segment_counts").fetchall()}
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)  # nothing finer than a month
    assert rows < everyone * len(months)


def test_margins_are_consistent_where_published(marts: MartsResult) -> None:
    with duckdb.connect(str(marts.path), read_only=True) as con:
        bad = con.execute(
            """
            SELECT t.segment, t.month FROM segment_trends t
            JOIN segment_counts c USING (segment, month)
            WHERE t.people IS NOT NULL
            GROUP BY t.segment, t.month, t.people
            HAVING sum(c.people) > t.people + $noise * (count(*) + 1)
            """,
            # Listed parts (withheld ones have no row) never exceed their total beyond noise.
            {
                "noise": int(
                    dict(con.execute("SELECT key, value FROM about").fetchall())["max_noise"]
                )
            },
        ).fetchall()
        ((listed_withheld,),) = con.execute(
            "SELECT count(*) FROM segment_counts WHERE suppressed OR people IS NULL"
        ).fetchall()
        sizes = con.execute(
            """
            SELECT s.segment FROM segment_sizes s
            JOIN segment_trends t ON t.segment = s.segment AND t.month = s.month
            WHERE s.people IS DISTINCT FROM t.people
            """
        ).fetchall()
    assert bad == [] and sizes == [] and listed_withheld == 0


def test_every_table_and_column_is_documented(marts: MartsResult) -> None:
    with duckdb.connect(str(marts.path), read_only=True) as con:
        entries = dictionary.read_dictionary(con)
        ((rows,),) = con.execute("SELECT count(*) FROM dictionary").fetchall()
        columns = _columns(con)
    assert dictionary.undocumented(entries) == []
    assert {e.table for e in entries} == TABLES
    assert rows == len(entries) == len(columns) + len(TABLES)
    markdown = (marts.path.parent / "dictionary.md").read_text()
    html = (marts.path.parent / "dictionary.html").read_text()
    for table, column, _ in columns:
        assert f"`{column}`" in markdown and column in html, f"{table}.{column}"


def test_docs_dictionary_matches_the_schema(marts: MartsResult) -> None:
    text = DOCS.read_text()
    with duckdb.connect(str(marts.path), read_only=True) as con:
        for table, column, _ in _columns(con):
            assert f"`{table}`" in text, table
            assert f"`{column}`" in text, f"{table}.{column}"


def _example_queries() -> list[str]:
    text = DOCS.read_text()
    section = text.split("## Example queries", 1)[1]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def test_example_queries_run_on_the_marts(marts: MartsResult) -> None:
    queries = _example_queries()
    assert len(queries) >= 6
    with duckdb.connect(str(marts.path), read_only=True) as con:
        for sql in queries:
            assert sqlglot.parse_one(sql, read="duckdb") is not None
            rows = con.sql(sql).fetchall()
            assert rows, sql


def test_publication_is_recorded_and_read_only(marts: MartsResult) -> None:
    home = marts.path.parents[1]
    with connection(home / "warehouse" / "hub.duckdb", read_only=True) as con:
        (latest,) = last_publications(con, "marts")
    assert latest.version == marts.version
    assert latest.details["tables"]["segment_counts"] == marts.tables["segment_counts"]
    assert not marts.path.stat().st_mode & stat.S_IWUSR


def test_failed_publication_keeps_the_last_good_mart(tmp_path: Path) -> None:
    home = sample_hub(tmp_path, persons=800)
    with duckdb.connect(str(home.hub_db)) as con:
        first = publish_marts(con, home)
        # Sabotage: a segment whose name looks like a person key must never be published.
        con.execute(
            "INSERT INTO segments.definitions VALUES ('p0000000000000001x', '1', 'd', 'o', "
            "'TRUE', 'TRUE', NULL, $d, $at)",
            {"d": AS_OF, "at": clock.now()},
        )
        con.execute(
            "UPDATE segments.definitions SET description = 'P0123456789abcdef' "
            "WHERE segment = 'camden_high_utilizers'"
        )
        with pytest.raises(DisclosureError, match="looks like a person key"):
            publish_marts(con, home)
        (latest,) = last_publications(con, "marts")
    assert latest.version == first.version
    with duckdb.connect(str(home.marts_db), read_only=True) as con:
        about = dict(con.execute("SELECT key, value FROM about").fetchall())
    assert about["version"] == first.version
    assert [p.name for p in home.marts.iterdir() if p.name.endswith(".building")] == []


def test_threshold_is_configurable(tmp_path: Path) -> None:
    home = sample_hub(tmp_path, persons=800)
    with duckdb.connect(str(home.hub_db)) as con:
        low = publish_marts(con, home, threshold=5)
        with duckdb.connect(str(home.marts_db), read_only=True) as marts:
            ((small,),) = marts.execute(
                "SELECT count(*) FROM segment_counts WHERE people BETWEEN 5 AND 10"
            ).fetchall()
            assert scan_for_leaks(marts, 5) == []
        default = publish_marts(con, home)
    assert small > 0
    assert low.threshold == 5 and default.threshold == 11
    assert low.suppressed_cells < default.suppressed_cells


def test_cli_prints_path_and_runs_a_query(marts: MartsResult) -> None:
    home = str(marts.path.parents[1])
    runner = CliRunner()
    result = runner.invoke(app, ["marts", "--home", home, "--path"])
    assert result.exit_code == 0 and result.output.strip() == str(marts.path)
    result = runner.invoke(
        app, ["marts", "--home", home, "--sql", "SELECT count(*) AS n FROM segment_sizes"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["marts", "--home", home, "--sql", "DROP TABLE about"])
    assert result.exit_code == 1
    assert "read-only" in result.output.lower() or "read only" in result.output.lower()
    result = runner.invoke(app, ["marts", "--home", home, "--dictionary"])
    assert result.exit_code == 0 and "## `segment_counts`" in result.output


def test_cli_explains_a_missing_mart(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["marts", "--home", str(tmp_path / "nohome")])
    assert result.exit_code == 2
    assert "publish the marts first" in result.output


def test_summary_lines_show_published_values_only(marts: MartsResult) -> None:
    lines = summary_lines(marts)
    text = "\n".join(lines)
    assert "segment sizes:" in text and "cross-sector overlap" in text
    for segment in load_segments().names:
        assert segment in text
    counts = [
        line.split()[1]
        for line in lines
        if line.startswith("  ") and not line.lstrip().startswith("...")
    ]
    assert counts
    for count in counts:
        if count != "withheld":
            n = int(count.replace(",", ""))
            assert n == 0 or n >= marts.threshold
