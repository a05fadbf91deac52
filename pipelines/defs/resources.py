"""Resources for every asset in the code location. Kept in their own module (see stack notes)."""

import dagster as dg

from pipelines.resources import HubResource, LinkageBackendResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "hub": HubResource(home=dg.EnvVar("CAREHUB_HOME")),
            "linkage_backend": LinkageBackendResource.from_env(),
        },
        executor=dg.in_process_executor,
    )
