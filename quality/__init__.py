"""Quality gates for submissions: GX suites, the plaintext-identifier detector, reasons.

Great Expectations is imported lazily (only when a validation runs).
"""

from quality.findings import CHECK_INFO, CHECKS, CheckInfo, Finding, neutralise_formula
from quality.gx_suites import build_data_docs

__all__ = [
    "CHECKS",
    "CHECK_INFO",
    "CheckInfo",
    "Finding",
    "build_data_docs",
    "neutralise_formula",
]
