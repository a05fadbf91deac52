"""Dagster's own home inside the hub home: ``<home>/dagster/dagster.yaml``.

Kept out of ``kernel.home`` (which only knows the folder layout) because it is Dagster
configuration; imports no Dagster, so ``carehub ui`` can write it without paying Dagster's import.
"""

from __future__ import annotations

from kernel.home import HubHome

# No "Join the Dagster community" dialog asking stewards for an e-mail address.
NUX_OFF = """\
nux:
  enabled: false
"""
# One run at a time: DuckDB allows a single writing process per database file.
DAGSTER_YAML = (
    """\
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""
    + NUX_OFF
)


def ensure_dagster_home(home: HubHome) -> HubHome:
    """Create the home's layout (:meth:`HubHome.ensure`) and Dagster's ``dagster.yaml``;
    idempotent. Returns ``home``."""
    home.ensure()
    dagster_yaml = home.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text(DAGSTER_YAML)
    elif "\nnux:" not in "\n" + (text := dagster_yaml.read_text()):
        # A home made before the setting existed: add it, keep everything else as it is.
        dagster_yaml.write_text(text.rstrip("\n") + "\n" + NUX_OFF)
    return home
