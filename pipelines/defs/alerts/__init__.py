"""Dagster wiring of real-time care alerts (library code in ``warehouse/alerts``)."""
