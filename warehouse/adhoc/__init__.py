"""Analysts' ad hoc tables: counts over person-level features, through the one disclosure model.

No Dagster, no CLI: ``carehub marts table`` calls :func:`build_table`; :func:`table` takes the
same parameters as the command.
"""

from warehouse.adhoc.request import DIMENSIONS, AdhocError, AdhocRequest, Condition
from warehouse.adhoc.table import AdhocResult, build_table, collect, margin_tables, table

__all__ = [
    "DIMENSIONS",
    "AdhocError",
    "AdhocRequest",
    "AdhocResult",
    "Condition",
    "build_table",
    "collect",
    "margin_tables",
    "table",
]
