"""Dagster wiring of partner cohort extracts (library code in ``warehouse/extracts``)."""
