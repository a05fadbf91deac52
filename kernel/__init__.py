"""The small kernel every other package may stand on: no Dagster, no CLI, no hub state.

``kernel.clock`` is the project's one reading of the wall clock.
"""
