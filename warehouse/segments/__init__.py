"""Complex-needs segments: YAML definitions, checked rules, membership."""

from warehouse.segments.definitions import (
    STARTER,
    Segment,
    SegmentConfigError,
    SegmentSet,
    ensure_segments_file,
    load_segments,
    parse_segments,
)
from warehouse.segments.membership import (
    MembershipResult,
    compute_membership,
    hits_query,
    membership_problems,
)
from warehouse.segments.rules import SegmentRuleError, rule_columns, rule_sql, validate_rule

__all__ = [
    "STARTER",
    "MembershipResult",
    "Segment",
    "SegmentConfigError",
    "SegmentRuleError",
    "SegmentSet",
    "compute_membership",
    "ensure_segments_file",
    "hits_query",
    "load_segments",
    "membership_problems",
    "parse_segments",
    "rule_columns",
    "rule_sql",
    "validate_rule",
]
