"""The ``partner_extracts`` asset and its checks.

Builds one encrypted, signed extract per partner with a data-sharing agreement in force (or the
partners the delivery schedule names), publishes each to ``outbox/<partner>/current/`` and
records it in the audit log. Metadata holds only disclosure-controlled counts and ids.
"""

# No `from __future__ import annotations`: Dagster 1.13 cannot resolve a string-annotated
# `config: ExtractsConfig` parameter and the whole code location fails to load.
import json
from pathlib import Path

import dagster as dg

from contract.disclosure import DISCLOSURE_THRESHOLD
from contract.envelope import EXTRACT_SUFFIX, envelope_signature_valid
from governance.carried import UnapprovedError, carried_approvals
from kernel.home import HubHome
from pipelines.defs.governance.gate import approved_governance, governance_metadata
from pipelines.resources import HubResource
from warehouse import audit
from warehouse.extracts import build_extracts
from warehouse.keys import load_public_keys, public_keys_path


class ExtractsConfig(dg.Config):
    """Run config of ``partner_extracts``."""

    partners: list[str] | None = None
    """Build only for these partners (the delivery schedules name the partners due)."""

    due_only: bool = False
    """Skip partners whose last extract is younger than their agreed frequency."""


@dg.asset(
    group_name="extracts",
    owners=["team:data-stewards"],
    kinds={"duckdb", "python"},
    deps=["segment_membership"],
    description=(
        "Partner cohort extracts: for each partner with a data-sharing agreement in force, its own "
        "consented clients in the segments the agreement allows, with the allowed yes/no context "
        "flags (never another partner's pseudonyms, person keys or payload). HPKE-encrypted to the "
        "partner's registered X25519 key, manifest signed with the hub's Ed25519 key, published "
        "atomically to outbox/<partner>/current/ and recorded in the hash-chained audit log."
    ),
)
def partner_extracts(
    context: dg.AssetExecutionContext, config: ExtractsConfig, hub: HubResource
) -> dg.MaterializeResult:
    home = hub.paths
    in_force = approved_governance(home)
    governance = in_force.governance
    unknown = sorted(set(config.partners or ()) - set(governance.partners))
    if unknown:
        raise dg.Failure(
            description=(
                f"run config names unregistered partner(s) {', '.join(unknown)}; register them "
                "with `carehub hub register-partner` or correct the run config"
            )
        )
    with hub.connect() as con:
        infos = build_extracts(
            con,
            home,
            governance,
            partners=config.partners,
            due_only=config.due_only,
            run_id=context.run_id,
        )
    for info in infos:
        context.log.info(
            f"extract {info.extract_id} for {info.partner_id}: "
            f"{info.manifest_counts['records']} record(s), expires {info.expires_at:%Y-%m-%d}"
        )
    return dg.MaterializeResult(
        metadata={
            "extracts": len(infos),
            **governance_metadata(in_force),
            "by_partner": dg.MetadataValue.json(
                {i.partner_id: {"extract_id": i.extract_id, **i.manifest_counts} for i in infos}
            ),
            "hub_kid": infos[0].hub_kid if infos else "",
        }
    )


@dg.asset_check(
    asset=partner_extracts,
    description=(
        "Every current extract in outbox/ verifies against the hub's published keys, names the "
        "partner whose folder it is in, carries a quorum of partners' approvals of its "
        "governance version, and shows no count from 1 to 10 in its clear manifest."
    ),
)
def extracts_sealed(hub: HubResource) -> dg.AssetCheckResult:
    home = hub.paths
    problems = _sealed_problems(home)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={"problems": dg.MetadataValue.json(problems[:20])},
    )


@dg.asset_check(
    asset=partner_extracts,
    description="The disclosure audit log's hash chain verifies end to end (carehub audit verify).",
)
def audit_log_intact(hub: HubResource) -> dg.AssetCheckResult:
    result = audit.verify(hub.paths)
    return dg.AssetCheckResult(
        passed=result.ok,
        metadata={
            "entries": result.entries,
            "problems": dg.MetadataValue.json(list(result.problems)),
        },
    )


def _sealed_problems(home: HubHome) -> list[str]:
    keys = {e.kid: e for e in load_public_keys(public_keys_path(home))}
    problems: list[str] = []
    for current in sorted(home.outbox.glob("*/current")):
        partner = current.parent.name
        for path in sorted(Path(current).glob(f"*{EXTRACT_SUFFIX}")):
            envelope = json.loads(path.read_bytes())
            manifest = envelope["manifest"]
            entry = keys.get(envelope["signature"]["kid"])
            if entry is None:
                problems.append(f"{partner}: {path.name} signed by an unpublished key")
                continue
            if not envelope_signature_valid(manifest, envelope["signature"], entry.key()):
                problems.append(f"{partner}: {path.name} signature does not verify")
            if manifest.get("recipient") != partner:
                problems.append(f"{partner}: {path.name} is addressed to another partner")
            try:  # what the partner will check: a quorum approved the governance it names
                carried_approvals(manifest, path)
            except UnapprovedError as exc:
                problems.append(f"{partner}: {exc}")
            counts = manifest.get("counts", {})
            values = [counts.get("records"), *counts.get("by_segment", {}).values()]
            threshold = int(counts.get("disclosure_threshold", DISCLOSURE_THRESHOLD))
            if any(isinstance(v, int) and 0 < v < threshold for v in values):
                problems.append(f"{partner}: {path.name} shows a count below the threshold")
    return problems
