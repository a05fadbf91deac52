"""The ecosystem report: HTML + PNG charts for the quarterly governance meeting."""

from warehouse.report.build import OUTPUT, ReportResult, build_report, render_html, report_dir
from warehouse.report.data import ReportData, read_report_data

__all__ = [
    "OUTPUT",
    "ReportData",
    "ReportResult",
    "build_report",
    "read_report_data",
    "render_html",
    "report_dir",
]
