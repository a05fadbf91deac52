"""One dynamic partition per submission, keyed by its submission id."""

import dagster as dg

submissions_partitions = dg.DynamicPartitionsDefinition(name="submissions")
