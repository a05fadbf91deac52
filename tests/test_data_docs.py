"""Data Docs the hub writes: offline, no external URL, and a page for every decided package."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from kernel.db import connection
from kernel.home import HubHome
from pipelines.defs.ingest.assets import gx_data_docs
from pipelines.resources import HubResource
from quality.data_docs import submission_page
from tests.html_support import external_urls, open_offline
from tests.ingest_support import SMUGGLED_NAME, drop, drop_smuggled_name, make_home
from warehouse.ingest import ingest_landing

DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


@pytest.fixture(scope="module")
def docs_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubHome, dict[str, str]]]:
    """A good package, one stopped by GX (payload_domains), one stopped before GX (a smuggled
    name column); then the gx_data_docs asset, materialized for real."""
    home = make_home(tmp_path_factory.mktemp("docs") / "home")
    good = drop(home, "mercy_hospital")
    gx_bad = drop(home, "harbor_housing", mutate=lambda p, e: e[1].update(category="nope"))
    smuggled = drop_smuggled_name(home, "northside_food")
    # An old GX-rendered site with CDN links must not survive the rebuild.
    old = home.quality / "data_docs" / "validations" / "old.html"
    old.parent.mkdir(parents=True)
    old.write_text('<script src="https://cdn.example.org/x.js"></script>')
    with connection(home.hub_db) as con:
        outcomes = {r.submission_id: r.outcome for r in ingest_landing(home, con)}
    assert sorted(outcomes.values()) == ["ingested", "quarantined", "quarantined"]
    result = dg.materialize(
        [gx_data_docs],
        instance=dg.DagsterInstance.ephemeral(),
        resources={"hub": HubResource(home=str(home.root))},
    )
    assert result.success
    yield home, {"good": good.name, "gx_bad": gx_bad.name, "smuggled": smuggled.name}


def test_no_page_the_hub_writes_links_outside(docs_home: tuple[HubHome, dict[str, str]]) -> None:
    home, _ = docs_home
    pages = sorted(home.root.rglob("*.html"))
    assert len(pages) >= 4  # index + one page per submission
    assert external_urls(home.root) == {}
    assert not (home.quality / "data_docs" / "validations").exists()
    gx_config = (home.quality / "gx" / "great_expectations.yml").read_text()
    assert "SiteBuilder" not in gx_config  # GX renders no site of its own


def test_every_submission_has_a_page_with_its_outcome(
    docs_home: tuple[HubHome, dict[str, str]],
) -> None:
    home, ids = docs_home
    index = (home.quality / "data_docs" / "index.html").read_text()
    for sid in ids.values():
        assert f'href="submissions/{sid}.html"' in index
    good = submission_page(home.quality, ids["good"]).read_text()
    assert "ingested" in good and "persons_spec_1_0" in good and "events_drift" in good
    assert "expect_column_values_to_match_regex" in good
    gx_bad = submission_page(home.quality, ids["gx_bad"]).read_text()
    assert "quarantined" in gx_bad and "payload_domains" in gx_bad
    assert "events.parquet" in gx_bad and "nope" not in gx_bad  # rows, never values
    smuggled = submission_page(home.quality, ids["smuggled"]).read_text()
    reason = json.loads(next(home.quarantine.rglob("northside_food-*/reason.json")).read_text())
    assert "schema_and_types" in smuggled and "first_name" in smuggled
    assert reason["findings"][0]["message"] in smuggled
    assert "Not run: an earlier check stopped the package" in smuggled
    assert SMUGGLED_NAME not in smuggled


@pytest.mark.browser
def test_quarantined_page_renders_offline(
    docs_home: tuple[HubHome, dict[str, str]], tmp_path: Path
) -> None:
    """Chromium with every non-file request refused: the page renders, and asks for nothing."""
    home, ids = docs_home
    png = tmp_path / "data-docs-quarantined.png"
    view = open_offline(submission_page(home.quality, ids["smuggled"]), png)
    assert view.requested == []
    assert "quarantined" in view.text and "an identifier column was smuggled in" in view.text
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, DOCS_IMG / png.name)
