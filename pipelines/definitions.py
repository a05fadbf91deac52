"""The carehub Dagster code location: every module under ``pipelines/defs/`` and its resources.

``dagster dev`` / ``carehub ui`` load :func:`defs`: its resources are bound to ``EnvVar``s that
Dagster resolves when a run starts (:func:`deploy_resources`). In-process callers
(``pipelines.runner``: the CLI, the demo, tests) pass their resources explicitly to
:func:`build_definitions` instead, so nothing ever changes the process environment.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.resources import HubResource, LinkageBackendResource


def deploy_resources() -> dict[str, Any]:
    """The resources of a deployed code location, from deploy-time configuration:
    ``CAREHUB_HOME`` and the ``CAREHUB_LINKAGE_*`` / ``CAREHUB_SPARK_*`` variables."""
    return {
        "hub": HubResource(home=dg.EnvVar("CAREHUB_HOME")),
        "linkage_backend": LinkageBackendResource.from_env(),
    }


def build_definitions(resources: Mapping[str, Any] | None = None) -> dg.Definitions:
    """The code location, with ``resources`` in place of the deploy-time ones of the same key.

    One run at a time, in the run's own process (DuckDB allows one writer per file).
    """
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(
            resources={**deploy_resources(), **(resources or {})},
            executor=dg.in_process_executor,
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
