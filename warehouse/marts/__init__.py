"""The analysts' de-identified marts (``marts/marts.duckdb``), published atomically."""

from warehouse.marts.leaks import published_threshold, scan_for_leaks
from warehouse.marts.publish import OUTPUT, MartsResult, publish_marts
from warehouse.marts.sample_inputs import create_sample_inputs
from warehouse.marts.summary import summary_lines
from warehouse.marts.tables import ALL_PEOPLE, PROGRAMS, MartCells, collect

__all__ = [
    "ALL_PEOPLE",
    "OUTPUT",
    "PROGRAMS",
    "MartCells",
    "MartsResult",
    "collect",
    "create_sample_inputs",
    "publish_marts",
    "published_threshold",
    "scan_for_leaks",
    "summary_lines",
]
