"""The governance gate: publish or extract only under a quorum-approved governance version.

Every asset that publishes (``analyst_marts``, ``warehouse_parquet``, ``ecosystem_report``) or
extracts (``partner_extracts``) calls :func:`approved_governance` first. When
``config/governance.yaml`` is not the approved version in force (never approved, or edited by
hand since) the run stops with the reason, the file and the command that fixes it; nothing is
written. On success the version in force and who approved it go into the materialization's
metadata, so the steward UI shows them next to every publication.
"""

from typing import Any

import dagster as dg

from kernel.home import HubHome
from warehouse.governance import GovernanceError
from warehouse.governance_flow import InForce, check_in_force


def approved_governance(home: HubHome) -> InForce:
    """The approved governance in force, or a :class:`dagster.Failure` that says why not."""
    try:
        return check_in_force(home)
    except GovernanceError as exc:
        raise dg.Failure(
            description=f"governance gate: {exc}",
            metadata={"governance_file": dg.MetadataValue.path(str(home.config))},
            allow_retries=False,
        ) from None


def governance_metadata(in_force: InForce) -> dict[str, Any]:
    """Materialization metadata: the version in force, its hash and its approvals."""
    meta = in_force.metadata()
    return {
        "governance_version": in_force.governance.version_label,
        "governance_sha256": meta["sha256"],
        "governance_approvals": dg.MetadataValue.json(
            {k: meta[k] for k in ("proposal_id", "kind", "approved_by", "required", "voters")}
        ),
    }
