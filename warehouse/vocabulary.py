"""The canonical event vocabulary of submission spec 1.0 (see docs/submission-format.md)."""

from __future__ import annotations

from typing import Final

DIAGNOSIS_GROUPS: Final = (
    "cardiometabolic",
    "respiratory",
    "behavioral_health",
    "substance_use",
    "overdose",
    "injury",
    "infection",
    "maternal",
    "other",
)
CHRONIC_CONDITIONS: Final = (
    "diabetes",
    "heart_failure",
    "copd",
    "asthma",
    "ckd",
    "hypertension",
    "depression",
    "serious_mental_illness",
    "substance_use_disorder",
    "hiv",
)
HRSN_DOMAINS: Final = (
    "housing_instability",
    "food_insecurity",
    "transportation",
    "utilities",
    "interpersonal_safety",
)
SERVICES: Final = (
    "housing_navigation",
    "rental_assistance",
    "emergency_shelter",
    "food_pantry",
    "medically_tailored_meals",
    "snap_enrollment",
    "transportation_assistance",
    "utility_assistance",
    "case_management",
    "behavioral_health_services",
    "substance_use_treatment",
    "legal_aid",
    "other",
)
# 42 CFR Part 2: these categories are always protected and need explicit consent to share.
PART2_SERVICES: Final = frozenset({"substance_use_treatment"})

# event_type -> allowed categories (None: category must be null).
EVENT_TYPES: Final[dict[str, tuple[str, ...] | None]] = {
    "ed_visit": DIAGNOSIS_GROUPS,
    "inpatient_stay": DIAGNOSIS_GROUPS,
    "chronic_condition": CHRONIC_CONDITIONS,
    "overdose": None,
    "reportable_condition": ("hepatitis_c", "tuberculosis", "syphilis", "hiv", "covid19", "other"),
    "immunization": ("influenza", "covid19", "pneumococcal", "hepatitis_b", "other"),
    "death": DIAGNOSIS_GROUPS,
    "hrsn_screening": HRSN_DOMAINS,
    "service": SERVICES,
    "referral": SERVICES,
}
SCREENING_RESULTS: Final = ("positive", "negative")
SEXES: Final = ("F", "M", "U")

SECTORS: Final = ("hospital", "public_health", "cbo_housing", "cbo_food", "cbo_social")
