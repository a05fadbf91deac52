"""Person-level complex-needs features, kept inside the hub (never published at row level)."""

from warehouse.features.build import (
    DEFAULT_PARTNER_SECTORS,
    FeatureSummary,
    build_features,
    default_as_of,
    reference_dates,
)
from warehouse.features.columns import AGE_BANDS, FEATURE_NAMES, FEATURES, RULE_COLUMNS, Feature

__all__ = [
    "AGE_BANDS",
    "DEFAULT_PARTNER_SECTORS",
    "FEATURES",
    "FEATURE_NAMES",
    "RULE_COLUMNS",
    "Feature",
    "FeatureSummary",
    "build_features",
    "default_as_of",
    "reference_dates",
]
