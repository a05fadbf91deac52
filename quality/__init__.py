"""Quality gates for submissions: GX suites, the plaintext-identifier detector, reasons.

Great Expectations is imported lazily (only when a validation runs).
"""

from quality.data_docs import build_data_docs
from quality.findings import CHECK_INFO, CHECKS, CheckInfo, Finding, neutralise_formula

__all__ = [
    "CHECKS",
    "CHECK_INFO",
    "CheckInfo",
    "Finding",
    "build_data_docs",
    "neutralise_formula",
]
