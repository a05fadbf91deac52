"""The demo's governance change and the quarterly governance pack built from its real data."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import DemoRegion

from carehub.demo_support import identifier_needles
from carehub.privacy_scan import scan_tree

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("CAREHUB_SCREENSHOTS", "/tmp/carehub-browser"))
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


def test_the_demo_applies_a_context_flag_approved_by_three_of_five(
    demo_region: DemoRegion,
) -> None:
    change = demo_region.result.governance
    assert len(change["approved_by"]) == 3
    assert change["columns"], "the new flag is a column of the next extract"
    assert "A governance change approved by a quorum" in demo_region.console_text
    assert "3 of 5, 3 required" in demo_region.console_text


def test_the_pack_shows_every_section_and_no_identifier(demo_region: DemoRegion) -> None:
    pack = Path(demo_region.result.governance["pack"])
    html = pack.read_text()
    for heading in (
        "Approvals and changes",
        "What left the hub, per partner",
        "Quarantines and their reasons",
        "Linkage quality (estimated)",
        "Who is at the table, and who is missing",
        "Cross-sector overlap",
    ):
        assert heading in html
    assert "overdose_reported_365d" in html  # the change, in words
    assert re.search(r"Payers</td>\s*<td><span class=\"absent\">missing", html)
    assert re.search(r"Health systems</td>\s*<td><span class=\"present\">present", html)
    assert "plaintext_identifiers" in html or "schema_and_types" in html  # the broken package
    for name in ("approvals.png", "extracts.png", "quarantines.png", "overlap.png", "missing.png"):
        assert (pack.parent / name).stat().st_size > 1000
    assert scan_tree(pack.parent, identifier_needles(demo_region.result.partners_dir)) == []


@pytest.mark.browser
def test_the_pack_renders_in_a_real_browser_and_prints(
    demo_region: DemoRegion, tmp_path: Path
) -> None:
    """Chromium, offline: every chart loads, the page prints to PDF; the screenshot is kept."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: `apt-get install -y chromium` (.ci/run installs it)")
    from playwright.sync_api import Route, sync_playwright

    pack = Path(demo_region.result.governance["pack"])
    requested: list[str] = []

    def refuse(route: Route) -> None:
        requested.append(route.request.url)
        route.abort()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = SCREENSHOTS / "governance-pack.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.route(re.compile(r"^(?!file:).*"), refuse)
        page.goto(pack.resolve().as_uri())
        page.wait_for_load_state("load")
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.getAttribute('src'))"
        )
        text = page.inner_text("body")
        page.screenshot(path=str(png), full_page=True)
        page.screenshot(path=str(SCREENSHOTS / "governance-pack-top.png"))  # what docs show
        pdf = page.pdf(format="A4")
        browser.close()
    assert requested == [] and broken == []
    assert "Who is at the table, and who is missing" in text and "missing" in text
    assert len(pdf) > 20_000 and pdf.startswith(b"%PDF")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SCREENSHOTS / "governance-pack-top.png", DOCS_IMG / "governance-pack.png")
