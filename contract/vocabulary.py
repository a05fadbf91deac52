"""The canonical vocabulary of a submission (docs/submission-format.md): event types and their
categories, screening results, sexes, sectors; and the alert types and context flags the hub
sends back. Partner client and hub read it from here."""

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
    # Care-coordination events that partners send in event packages (docs/alerts.md).
    "crisis_contact": None,
    "eviction_notice": None,
}
SCREENING_RESULTS: Final = ("positive", "negative")

# Alert types of care-coordination alerts (docs/alerts.md), each derived from one canonical
# event: (event_type, the date that counts, extra condition). An inpatient stay alerts twice
# (admission on its event_date, discharge once its end_date arrives), and so does a service
# (start and end). Derivation SQL: warehouse/alerts/sql/alert_events.sql.
ALERT_TYPES: Final[dict[str, str]] = {
    "ed_visit": "emergency department visit",
    "admission": "hospital admission",
    "discharge": "hospital discharge",
    "positive_screening": "positive social-needs screening",
    "crisis_contact": "crisis contact",
    "eviction_notice": "eviction notice",
    "service_start": "service started",
    "service_end": "service ended",
}
SEXES: Final = ("F", "M", "U")

SECTORS: Final = ("hospital", "public_health", "cbo_housing", "cbo_food", "cbo_social")

# Non-identifying context a partner may be told about its own clients, when its agreement allows
# it. Each is a yes/no derived from OTHER partners' consented records (see warehouse/extracts).
CONTEXT_FLAGS: Final[dict[str, str]] = {
    "seen_by_housing_cbo_90d": "also seen by a housing CBO in the last 90 days",
    "seen_by_food_cbo_90d": "also seen by a food CBO in the last 90 days",
    "seen_by_hospital_90d": "also seen by another hospital in the last 90 days",
    "ed_visit_elsewhere_90d": "an ED visit at another partner in the last 90 days",
    "inpatient_stay_elsewhere_90d": "an inpatient stay at another partner in the last 90 days",
    "housing_instability_positive_elsewhere": (
        "a positive housing-instability screening at another partner in the last 365 days"
    ),
    "food_insecurity_positive_elsewhere": (
        "a positive food-insecurity screening at another partner in the last 365 days"
    ),
    "overdose_reported_365d": "an overdose reported by another partner in the last 365 days",
    "case_management_elsewhere_90d": "case management at another partner in the last 90 days",
    "behavioral_health_services_elsewhere_365d": (
        "behavioural-health services at another partner in the last 365 days"
    ),
    "substance_use_treatment_elsewhere_365d": (
        "substance-use treatment at another partner in the last 365 days "
        "(42 CFR Part 2: only from records with explicit Part 2 consent)"
    ),
}
