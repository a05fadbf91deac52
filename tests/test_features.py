"""Person-level features from hand-made linked records (real DuckDB file)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from schema_support import copy_hub_schema
from test_marts_helpers import AS_OF, Record, load_people

from contract.vocabulary import CHRONIC_CONDITIONS, HRSN_DOMAINS, SERVICES
from kernel import clock
from warehouse.features import FEATURE_NAMES, FEATURES, RULE_COLUMNS, build_features
from warehouse.features.build import reference_dates

D = date

PEOPLE = {
    # 1: Camden-style high utiliser.
    1: [
        Record(
            "mercy_hospital",
            birth_year=1960,
            sex="M",
            events=[
                ("ed_visit", D(2026, 10, 21), "respiratory", None),
                ("ed_visit", D(2026, 7, 23), "behavioral_health", None),
                ("ed_visit", D(2026, 2, 23), "injury", None),
                ("ed_visit", D(2025, 9, 1), "injury", None),  # older than 12 months
                ("inpatient_stay", D(2026, 9, 1), "cardiometabolic", None),
                ("inpatient_stay", D(2026, 6, 15), "respiratory", None),
                ("chronic_condition", D(2020, 1, 5), "diabetes", None),
                ("chronic_condition", D(2024, 3, 1), "hypertension", None),
                ("chronic_condition", D(2025, 3, 1), "diabetes", None),
                ("ed_visit", D(2026, 11, 15), "injury", None),  # after the reference date
            ],
        )
    ],
    # 2: frequent ED user with housing instability, known to a hospital and a housing CBO.
    2: [
        Record(
            "riverside_health",
            birth_year=1985,
            events=[("ed_visit", D(2026, m, 3), "other", None) for m in (1, 4, 6, 9)],
        ),
        Record(
            "harbor_housing",
            birth_year=1985,
            zip3="031",
            events=[
                ("hrsn_screening", D(2026, 8, 1), "housing_instability", "positive"),
                ("hrsn_screening", D(2026, 8, 1), "food_insecurity", "negative"),
                ("service", D(2026, 8, 20), "housing_navigation", None),
                ("referral", D(2026, 8, 2), "legal_aid", None),
            ],
        ),
    ],
    # 3: overdose without behavioural-health services; aged 90+; low-population ZIP3.
    3: [
        Record(
            "county_public_health",
            birth_year=1930,
            age_90_plus=True,
            zip3="036",
            events=[
                ("overdose", D(2026, 5, 1), None, None),
                ("immunization", D(2026, 1, 10), "influenza", None),
            ],
        )
    ],
    # 4: overdose with behavioural-health services.
    4: [
        Record("county_public_health", events=[("overdose", D(2026, 3, 1), None, None)]),
        Record(
            "harbor_housing",
            events=[("service", D(2026, 4, 1), "behavioral_health_services", None)],
        ),
    ],
    # 5: would be a high utiliser, but died.
    5: [
        Record(
            "mercy_hospital",
            events=[
                ("inpatient_stay", D(2026, 8, 1), "other", None),
                ("inpatient_stay", D(2026, 9, 1), "other", None),
                ("chronic_condition", D(2020, 1, 1), "copd", None),
                ("chronic_condition", D(2020, 1, 1), "heart_failure", None),
                ("death", D(2026, 10, 1), "respiratory", None),
            ],
        )
    ],
    # 6: unknown birth year; conflicting sex across records; unknown ZIP3.
    6: [
        Record("northside_food", birth_year=None, sex="U", zip3=None),
        Record("mercy_hospital", birth_year=None, sex="F", zip3=None),
    ],
    # 7: a child with food insecurity and diabetes.
    7: [
        Record(
            "northside_food",
            birth_year=2015,
            events=[
                ("hrsn_screening", D(2026, 9, 9), "food_insecurity", "positive"),
                ("service", D(2026, 9, 10), "food_pantry", None),
            ],
        ),
        Record(
            "riverside_health",
            birth_year=2015,
            events=[("chronic_condition", D(2023, 1, 1), "diabetes", None)],
        ),
    ],
}


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    path = copy_hub_schema(tmp_path_factory.mktemp("features") / "hub.duckdb")
    with duckdb.connect(str(path)) as con:
        load_people(con, PEOPLE)
        summary = build_features(con, AS_OF)
        assert summary.as_of == AS_OF
        assert summary.persons == len(PEOPLE)
        rel = con.sql("SELECT * FROM features.person_features")
        rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    return {int(r["person_key"][1:], 16): r for r in rows}


@pytest.mark.parametrize(
    ("person", "column", "expected"),
    [
        (1, "ed_visits_6m", 2),
        (1, "ed_visits_12m", 3),
        (1, "inpatient_admissions_6m", 2),
        (1, "inpatient_admissions_12m", 2),
        (1, "bh_acute_visits_12m", 1),
        (1, "chronic_condition_count", 2),
        (1, "has_diabetes", True),
        (1, "has_hypertension", True),
        (1, "has_copd", False),
        (1, "behavioral_health_flag", True),
        (1, "age", 66),
        (1, "age_band", "65-89"),
        (1, "sex", "M"),
        (1, "sector_combination", "hospital"),
        (2, "ed_visits_12m", 4),
        (2, "hrsn_housing_instability", True),
        (2, "hrsn_food_insecurity", False),
        (2, "hrsn_domain_count", 1),
        (2, "housing_services_12m", True),
        (2, "services_12m", 1),
        (2, "referrals_12m", 1),
        (2, "n_partners", 2),
        (2, "n_sectors", 2),
        (2, "sector_combination", "hospital+cbo_housing"),
        (2, "age_band", "35-49"),
        (3, "overdose_flag", True),
        (3, "overdose_events_12m", 1),
        (3, "bh_services_12m", False),
        (3, "public_health_events_12m", 2),
        (3, "immunization_12m", True),
        (3, "age", 90),
        (3, "age_band", "90+"),
        (3, "zip3", "000"),
        (3, "sector_public_health", True),
        (4, "overdose_flag", True),
        (4, "bh_services_12m", True),
        (4, "behavioral_health_flag", True),
        (4, "sector_combination", "public_health+cbo_housing"),
        (5, "deceased", True),
        (5, "chronic_condition_count", 2),
        (6, "age", None),
        (6, "age_band", "unknown"),
        (6, "sex", "F"),
        (6, "zip3", "000"),
        (6, "ed_visits_12m", 0),
        (6, "sector_combination", "hospital+cbo_food"),
        (7, "age_band", "0-17"),
        (7, "has_diabetes", True),
        (7, "hrsn_food_insecurity", True),
        (7, "food_services_12m", True),
        (7, "sector_cbo_food", True),
        (2, "zip3", "030"),
    ],
)
def test_feature_values(
    features: dict[int, dict[str, Any]], person: int, column: str, expected: object
) -> None:
    assert features[person][column] == expected


def test_feature_columns_are_the_documented_ones(features: dict[int, dict[str, Any]]) -> None:
    columns = set(next(iter(features.values())))
    assert set(FEATURE_NAMES) <= columns
    assert columns - set(FEATURE_NAMES) == {"person_key", "as_of_date"}
    assert all(f.description for f in FEATURES)
    assert "person_key" not in RULE_COLUMNS


def test_monthly_history_uses_the_window_of_each_month(empty_hub_db: Path) -> None:
    with duckdb.connect(str(empty_hub_db)) as con:
        load_people(con, {1: PEOPLE[1]})
        build_features(con, AS_OF)
        rows = dict(
            con.execute(
                "SELECT strftime(month, '%Y-%m'), ed_visits_6m FROM features.person_month"
            ).fetchall()
        )
    assert len(rows) == 12
    assert rows["2026-05"] == 1  # only 2026-02-23 in Dec 2025 .. May 2026
    assert rows["2026-10"] == 2
    assert rows["2025-11"] == 1  # 2025-09-01 is in Jun .. Nov 2025
    assert rows["2026-02"] == 2  # Sep 2025 .. Feb 2026 holds both
    assert rows["2026-03"] == 1  # Oct 2025 .. Mar 2026: 2025-09-01 has left the window


def test_default_reference_date_is_the_latest_event_not_in_the_future(empty_hub_db: Path) -> None:
    future = clock.today() + timedelta(days=40)
    people = {
        2: PEOPLE[2],
        8: [Record("mercy_hospital", events=[("ed_visit", future, "other", None)])],
    }
    with duckdb.connect(str(empty_hub_db)) as con:
        load_people(con, people)
        summary = build_features(con)
    assert summary.as_of == D(2026, 9, 3)


def test_reference_dates_end_at_as_of() -> None:
    pairs = reference_dates(D(2026, 3, 15), 3)
    assert pairs == [
        (D(2026, 1, 1), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 3, 1), D(2026, 3, 15)),
    ]


def test_bit_positions_follow_the_vocabulary() -> None:
    # person_month.sql decodes bit masks by position; the lists must not be reordered.
    sql = (Path(__file__).parents[1] / "warehouse/features/person_month.sql").read_text()
    for i, condition in enumerate(CHRONIC_CONDITIONS):
        assert f"chronic_bits & {1 << i} <> 0, false) AS has_{condition}" in sql
    for i, domain in enumerate(HRSN_DOMAINS):
        assert f"hrsn_bits & {1 << i} <> 0, false) AS hrsn_{domain}" in sql
    assert SERVICES.index("case_management") == 8
    assert "service_bits & 256 <> 0" in sql
    assert SERVICES.index("behavioral_health_services") == 9
    assert SERVICES.index("substance_use_treatment") == 10
