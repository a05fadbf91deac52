"""Steward operations: jobs, schedules, the run-failure sensor and the retention sweep."""
