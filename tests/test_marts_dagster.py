"""Real Dagster materialisations of the segments, marts and reports assets."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
from ingest_support import make_home
from test_marts_helpers import AS_OF

from pipelines.defs.marts.assets import analyst_marts, analyst_marts_leak_scan
from pipelines.defs.marts.export import warehouse_parquet
from pipelines.defs.reports.assets import ecosystem_report
from pipelines.defs.segments.assets import (
    person_features,
    segment_membership,
    segment_membership_consistent,
)
from pipelines.resources import HubResource
from warehouse.marts import create_sample_inputs
from warehouse.marts.publish import PERTURBATION_SECRET


def test_materialize_segments_marts_and_report(tmp_path: Path) -> None:
    home = make_home(tmp_path / "home")  # with a governance the partners approved
    # A fixed perturbation key: the noise decides whether a margin table would narrow a count
    # the marts withheld (then it is refused, rightly), so a fresh key made this test a draw.
    (home.keys / PERTURBATION_SECRET).write_bytes(b"dagster-marts-perturbation-key-0")
    with duckdb.connect(str(home.hub_db)) as con:
        create_sample_inputs(con, persons=800, as_of=AS_OF)
    result = dg.materialize(
        [
            person_features,
            segment_membership,
            segment_membership_consistent,
            analyst_marts,
            analyst_marts_leak_scan,
            ecosystem_report,
            warehouse_parquet,
        ],
        resources={"hub": HubResource(home=str(home.root))},
        run_config={
            "ops": {
                "person_features": {"config": {"as_of": AS_OF.isoformat()}},
                "analyst_marts": {"config": {"margin_tables": True}},
            }
        },
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {c.check_name: c.passed for c in checks} == {
        "segment_membership_consistent": True,
        "analyst_marts_leak_scan": True,
    }
    marts = result.asset_materializations_for_node("analyst_marts")[0].metadata
    assert marts["threshold"].value == 11
    assert marts["suppressed_cells"].value > 0
    # The per-ZIP3 and per-age-band tables, published with the marts when asked for.
    assert set(marts["margin_tables"].value) == {"segments-by-zip3", "segments-by-age-band"}
    assert (home.marts / "adhoc" / "segments-by-zip3" / "table.csv").exists()
    sizes = marts["segment_sizes"].value
    assert all(v is None or v == 0 or v >= 11 for v in sizes.values())
    features = result.asset_materializations_for_node("person_features")[0].metadata
    assert features["as_of"].value == AS_OF.isoformat()
    assert (home.reports / "ecosystem" / "report.html").exists()
    assert (home.config / "segments.yaml").exists()
    exported = result.asset_materializations_for_node("warehouse_parquet")[0].metadata
    assert set(exported["marts_tables"].value) == set(marts["tables"].value)
    assert "features_tables" not in exported  # no person-level table leaves
    assert (home.marts / "parquet" / "_manifest.json").exists()
    assert not (home.warehouse / "parquet").exists()
