"""Run tags: visible ones are those a steward filters the Runs page on; the rest are hidden.

Visible: ``carehub/partner`` and ``carehub/outcome`` on ingest runs, ``carehub/partners`` and
``carehub/frequency`` on extract runs (plus Dagster's own partition, schedule and sensor tags).
Each visible tag is a row in the Runs table, so bookkeeping that no steward filters on (which
process and host ran a run, who already announced its failure, the governance version) carries
Dagster's hidden-tag prefix ``.dagster/`` (``dagster._core.storage.tags.HIDDEN_TAG_PREFIX``):
the UI does not show it, while the instance stores it and filters runs on it as on any tag.
"""

from typing import Final

HIDDEN: Final = ".dagster/carehub_"
