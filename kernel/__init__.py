"""The small kernel every other package may stand on: no Dagster, no CLI, no hub state.

* ``kernel.home``: the hub home's folder layout (``HubHome``);
* ``kernel.db``: DuckDB connections that wait politely for the file lock;
* ``kernel.faults``: the fault-injection pause points of the recovery tests;
* ``kernel.steward_log``: the value-free steward log ``logs/carehub.log``;
* ``kernel.clock``: the project's one reading of the wall clock;
* ``kernel.signing``: Ed25519 keys and signatures shared by hub and partner client.

The layer order is in ``docs/architecture.md``; ``lint-imports`` holds it.
"""
