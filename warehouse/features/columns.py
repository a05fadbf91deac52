"""The documented person-level feature columns: the only columns a segment rule may use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from contract.vocabulary import CHRONIC_CONDITIONS, HRSN_DOMAINS

FeatureType = Literal["INTEGER", "BOOLEAN", "VARCHAR"]

AGE_BANDS: Final = ("0-17", "18-34", "35-49", "50-64", "65-89", "90+", "unknown")


@dataclass(frozen=True)
class Feature:
    """One feature column of ``features.person_features``.

    Attributes:
        name: Column name.
        type: DuckDB type.
        description: What it counts or flags, for the data dictionary and rule authors.
        rule: Whether segment rules may use it.
    """

    name: str
    type: FeatureType
    description: str
    rule: bool = True


_WINDOW = "in the 6 or 12 months up to the reference date"

FEATURES: Final[tuple[Feature, ...]] = (
    Feature("ed_visits_6m", "INTEGER", "Emergency-department visits in the 6 months up to as_of"),
    Feature("ed_visits_12m", "INTEGER", "Emergency-department visits in the 12 months up to as_of"),
    Feature(
        "inpatient_admissions_6m", "INTEGER", "Inpatient admissions in the 6 months up to as_of"
    ),
    Feature(
        "inpatient_admissions_12m", "INTEGER", "Inpatient admissions in the 12 months up to as_of"
    ),
    Feature(
        "bh_acute_visits_12m",
        "INTEGER",
        "ED visits and admissions for behavioural health, substance use or overdose, 12 months",
    ),
    Feature(
        "chronic_condition_count",
        "INTEGER",
        "Distinct chronic conditions ever recorded up to as_of (0-10)",
    ),
    *(
        Feature(f"has_{c}", "BOOLEAN", f"Chronic condition '{c}' recorded up to as_of")
        for c in CHRONIC_CONDITIONS
    ),
    Feature(
        "behavioral_health_flag",
        "BOOLEAN",
        "Depression, serious mental illness or substance-use disorder recorded, or a behavioural "
        "health acute visit or service in 12 months",
    ),
    Feature(
        "overdose_flag",
        "BOOLEAN",
        "An overdose (public-health report, or ED visit/admission for overdose) in 12 months",
    ),
    Feature("overdose_events_12m", "INTEGER", "Overdose reports and overdose visits, 12 months"),
    *(
        Feature(f"hrsn_{d}", "BOOLEAN", f"Positive AHC HRSN screening for '{d}' in 12 months")
        for d in HRSN_DOMAINS
    ),
    Feature("hrsn_domain_count", "INTEGER", "Social-need domains screened positive in 12 months"),
    Feature("services_12m", "INTEGER", "Services received (any partner) in 12 months"),
    Feature("referrals_12m", "INTEGER", "Referrals made for the person in 12 months"),
    Feature(
        "housing_services_12m",
        "BOOLEAN",
        "Housing navigation, rental assistance or emergency shelter received in 12 months",
    ),
    Feature(
        "food_services_12m",
        "BOOLEAN",
        "Food pantry, medically tailored meals or SNAP enrolment received in 12 months",
    ),
    Feature(
        "bh_services_12m",
        "BOOLEAN",
        "Behavioural-health services or substance-use treatment received in 12 months",
    ),
    Feature("case_management_12m", "BOOLEAN", "Case management received in 12 months"),
    Feature(
        "public_health_events_12m",
        "INTEGER",
        "Overdose, reportable-condition and immunisation events in 12 months",
    ),
    Feature("reportable_condition_12m", "BOOLEAN", "A reportable condition in 12 months"),
    Feature("immunization_12m", "BOOLEAN", "An immunisation in 12 months"),
    Feature("deceased", "BOOLEAN", "A death was reported up to as_of (excluded from segments)"),
    Feature("n_partners", "INTEGER", "Partners holding a record of the person"),
    Feature("n_sectors", "INTEGER", "Sectors holding a record of the person"),
    Feature("sector_hospital", "BOOLEAN", "A hospital holds a record of the person"),
    Feature("sector_public_health", "BOOLEAN", "Public health holds a record of the person"),
    Feature("sector_cbo_housing", "BOOLEAN", "A housing CBO holds a record of the person"),
    Feature("sector_cbo_food", "BOOLEAN", "A food CBO holds a record of the person"),
    Feature("sector_cbo_social", "BOOLEAN", "A social-services CBO holds a record of the person"),
    Feature(
        "sector_combination",
        "VARCHAR",
        "The sectors holding a record, joined with '+' in a fixed order, e.g. 'hospital+cbo_food'",
    ),
    Feature("age", "INTEGER", "Age in whole years at as_of, top-coded at 90 (Safe Harbor)"),
    Feature("age_band", "VARCHAR", "Age band: " + ", ".join(AGE_BANDS)),
    Feature("sex", "VARCHAR", "F, M or U (most frequent across the person's records)"),
    Feature(
        "zip3",
        "VARCHAR",
        "ZIP3 of residence; '000' where the ZIP3 has fewer than 20,000 people (Safe Harbor)",
    ),
    Feature(
        "all_records_consented",
        "BOOLEAN",
        "Every record of the person is flagged consented (consent only limits extracts)",
        rule=False,
    ),
)

RULE_COLUMNS: Final = frozenset(f.name for f in FEATURES if f.rule)
FEATURE_NAMES: Final = tuple(f.name for f in FEATURES)
