"""Hub ingest: landing packages validated, loaded in one transaction, or quarantined.

Public API::

    from warehouse.ingest import ingest_submission, ingest_landing, scan_landing, IngestResult
"""

from warehouse.ingest.landing import DEFAULT_GRACE, LandingEntry
from warehouse.ingest.landing import scan as scan_landing
from warehouse.ingest.run import IngestResult, ingest_landing, ingest_submission

__all__ = [
    "DEFAULT_GRACE",
    "IngestResult",
    "LandingEntry",
    "ingest_landing",
    "ingest_submission",
    "scan_landing",
]
