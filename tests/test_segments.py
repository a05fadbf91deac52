"""Segment rules (sqlglot allow-list), segments.yaml loading, and membership."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_features import PEOPLE
from test_marts_helpers import AS_OF, load_people, person_key

from kernel.home import HubHome
from warehouse.features import build_features
from warehouse.segments import (
    STARTER,
    SegmentConfigError,
    SegmentRuleError,
    compute_membership,
    ensure_segments_file,
    hits_query,
    load_segments,
    membership_problems,
    parse_segments,
    rule_columns,
    validate_rule,
)


@pytest.mark.parametrize(
    ("rule", "canonical"),
    [
        (
            "inpatient_admissions_6m >= 2 AND chronic_condition_count >= 2",
            "inpatient_admissions_6m >= 2 AND chronic_condition_count >= 2",
        ),
        (
            "ed_visits_12m >= 4 and hrsn_housing_instability",
            "ed_visits_12m >= 4 AND hrsn_housing_instability",
        ),
        ("overdose_flag AND NOT bh_services_12m", "overdose_flag AND NOT bh_services_12m"),
        ("hrsn_food_insecurity", "hrsn_food_insecurity"),
        ("(has_diabetes OR has_ckd) AND age >= 65", "(has_diabetes OR has_ckd) AND age >= 65"),
        ("age_band IN ('65-89', '90+')", "age_band IN ('65-89', '90+')"),
        ("coalesce(age, 0) BETWEEN 18 AND 64", "COALESCE(age, 0) BETWEEN 18 AND 64"),
        (
            "greatest(ed_visits_12m, inpatient_admissions_12m * 2) > 3",
            "GREATEST(ed_visits_12m, inpatient_admissions_12m * 2) > 3",
        ),
        ("zip3 <> '000' AND sex = 'F'", "zip3 <> '000' AND sex = 'F'"),
        ("age IS NULL", "age IS NULL"),
        (
            "ed_visits_12m + inpatient_admissions_12m >= 4",
            "ed_visits_12m + inpatient_admissions_12m >= 4",
        ),
        ("TRUE", "TRUE"),
    ],
)
def test_valid_rules(rule: str, canonical: str) -> None:
    assert validate_rule("s", rule).sql(dialect="duckdb") == canonical


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # not a feature column (and no identifiers)
        ("person_key = 'P0000000000000001'", "'person_key' is not a documented feature column"),
        ("tok_ssn IS NOT NULL", "'tok_ssn' is not a documented feature column"),
        ("all_records_consented", "'all_records_consented' is not a documented feature column"),
        ("edvisits > 1", "'edvisits' is not a documented feature column"),
        ("f.ed_visits_12m > 1", "names a table"),
        ("staging.persons.zip3 = '030'", "names a table"),
        # injection attempts
        ("1=1; DROP TABLE segments.membership", "2 statements"),
        ("ed_visits_12m > 1; SELECT * FROM staging.current_persons", "2 statements"),
        ("(SELECT count(*) FROM staging.current_persons) > 0", "subqueries and tables"),
        ("ed_visits_12m > 1 UNION SELECT 1", "subqueries and tables"),
        ("ed_visits_12m IN (SELECT 1)", "IN takes a list of literals"),
        ("EXISTS (SELECT 1)", "not allowed"),
        ("read_csv('/etc/passwd') IS NULL", "function 'read_csv' is not allowed"),
        ("getenv('HOME') = 'x'", "not allowed"),
        ("age > 1 AND version() IS NOT NULL", "is not allowed"),
        ("ed_visits_12m > 1 -- drop everything", "comments"),
        ("ed_visits_12m > 1 /* hidden */", "comments"),
        ("sex LIKE '%'", "Like"),
        ("lower(sex) = 'f'", "function 'lower' is not allowed"),
        ("CAST(age AS VARCHAR) = '1'", "not allowed"),
        ("*", "'*' is not allowed"),
        # not a condition, or not SQL
        ("ed_visits_12m", "not a true/false condition"),
        ("ed_visits_12m + 1", "not a true/false condition"),
        ("", "empty"),
        ("age >", "not valid SQL"),
        ("'" + "x" * 70 + "' = sex", "longer than 64"),
    ],
)
def test_invalid_rules_name_the_segment_and_the_token(rule: str, message: str) -> None:
    with pytest.raises(SegmentRuleError) as info:
        validate_rule("my_segment", rule)
    text = str(info.value)
    assert "segment 'my_segment'" in text
    assert message in text


def test_rule_columns() -> None:
    tree = validate_rule("s", "ed_visits_12m >= 4 AND hrsn_housing_instability")
    assert rule_columns(tree) == ["ed_visits_12m", "hrsn_housing_instability"]


def test_starter_set_loads_with_the_agreed_names() -> None:
    segments = load_segments()
    assert {
        "camden_high_utilizers",
        "frequent_ed_housing_instability",
        "food_insecurity_diabetes",
        "overdose_without_bh_services",
    } <= set(segments.names)
    assert all(s.owner and s.description and s.version for s in segments.segments)


def test_starter_set_is_installed_in_a_new_home(tmp_path: Path) -> None:
    home = HubHome(tmp_path / "home").ensure()
    path = ensure_segments_file(home)
    assert path == home.config / "segments.yaml"
    assert path.read_text() == STARTER.read_text()
    path.write_text(path.read_text().replace("version: 1\nsegments:", "version: 2\nsegments:"))
    assert load_segments(home).version == "2"  # an edited file is kept


BASE = """version: 1
segments:
  - name: a_segment
    description: d
    rule: ed_visits_12m >= 1
    owner: o
    version: 1
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("segments: [", "not valid YAML"),
        ("version: 1\n", "expected 'version' and a list 'segments'"),
        (BASE.replace("    owner: o\n", ""), "segment 'a_segment' owner: Field required"),
        (BASE.replace("name: a_segment", "name: A Segment"), "name"),
        (BASE + BASE.split("segments:\n")[1], "defined twice"),
        (
            BASE.replace("ed_visits_12m >= 1", "person_key IS NOT NULL"),
            "segment 'a_segment': 'person_key' is not a documented feature column",
        ),
        (BASE.replace("owner: o", "owner: o\n    colour: red"), "Extra inputs"),
    ],
)
def test_bad_segment_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(SegmentConfigError) as info:
        parse_segments(text, source="config/segments.yaml")
    assert "config/segments.yaml" in str(info.value)
    assert message in str(info.value)


def test_membership_of_hand_made_people(empty_hub_db: Path) -> None:
    with duckdb.connect(str(empty_hub_db)) as con:
        load_people(con, PEOPLE)
        build_features(con, AS_OF)
        result = compute_membership(con, load_segments())
        rows = con.execute("SELECT person_key, segment FROM segments.membership").fetchall()
        monthly = con.execute(
            "SELECT count(*) FROM segments.membership_monthly WHERE month = $m",
            {"m": AS_OF.replace(day=1)},
        ).fetchall()
        versions = con.execute(
            "SELECT DISTINCT segment_version FROM segments.membership"
        ).fetchall()
    members = {(int(k[1:], 16), s) for k, s in rows}
    assert (1, "camden_high_utilizers") in members
    assert (2, "frequent_ed_housing_instability") in members
    assert (3, "overdose_without_bh_services") in members
    assert (7, "food_insecurity_diabetes") in members
    assert (4, "overdose_without_bh_services") not in members  # received BH services
    assert not [s for k, s in members if k == 5]  # deceased: in no segment
    assert result.sizes["camden_high_utilizers"] == 1
    assert result.sizes["high_utilizers_no_cbo"] == 1  # person 1: hospital only
    assert result.sizes["multi_domain_social_needs"] == 0
    assert monthly == [(len(rows),)]  # the latest month is the current membership
    assert versions == [("1",)]
    assert person_key(1) in {k for k, _ in rows}


def test_rules_are_regenerated_not_passed_through() -> None:
    segments = parse_segments(BASE.replace("ed_visits_12m >= 1", "ed_visits_12m>=1   and  TRUE"))
    sql = hits_query(segments)
    assert "(ed_visits_12m >= 1 AND TRUE)" in sql
    assert "NOT deceased" in sql


def test_a_bad_rule_stops_membership_before_anything_changes(empty_hub_db: Path) -> None:
    good = parse_segments(BASE)
    with duckdb.connect(str(empty_hub_db)) as con:
        load_people(con, PEOPLE)
        build_features(con, AS_OF)
        compute_membership(con, good)
        before = con.execute("SELECT count(*) FROM segments.membership").fetchall()
        bad = good.model_copy(
            update={"segments": (good.segments[0].model_copy(update={"rule": "x > 1"}),)}
        )
        with pytest.raises(SegmentRuleError, match="'x' is not a documented feature column"):
            compute_membership(con, bad)
        after = con.execute("SELECT count(*) FROM segments.membership").fetchall()
    assert before == after


# Each case damages a consistent membership one way (the statements change rows of the real
# schema's tables); the asset check's counts name that problem and only it.
@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (
            "INSERT INTO segments.membership SELECT * REPLACE ('no_such_segment' AS segment) "
            "FROM segments.membership LIMIT 1",
            "undefined_segment_rows",
        ),
        (
            "DELETE FROM features.person_features WHERE person_key = "
            "(SELECT min(person_key) FROM segments.membership)",
            "persons_without_features",
        ),
        (
            "UPDATE features.person_features SET deceased = TRUE WHERE person_key = "
            "(SELECT min(person_key) FROM segments.membership)",
            "deceased_members",
        ),
        (
            "INSERT INTO segments.membership SELECT * FROM segments.membership LIMIT 1",
            "duplicate_rows",
        ),
    ],
)
def test_membership_problems_name_each_inconsistency(
    empty_hub_db: Path, damage: str, problem: str
) -> None:
    with duckdb.connect(str(empty_hub_db)) as con:
        load_people(con, PEOPLE)
        build_features(con, AS_OF)
        compute_membership(con, load_segments())
        assert set(membership_problems(con).values()) == {0}
        con.execute(damage)
        found = membership_problems(con)
    assert found[problem] >= 1
    assert {name for name, n in found.items() if n} == {problem}
