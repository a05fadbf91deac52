"""The scan for external URLs in every HTML page the hub writes (no tests in here).

A URL in a page is something a browser may fetch, or a steward may click, that leaves the hub.
Allowed: XML namespace names (identifiers, never fetched), and whatever stands inside Splink's
pinned vega libraries that the linkage charts inline verbatim (links in error messages, the
editor address that the charts never open: their actions menu is off). Everything else in a page
is scanned, the chart specs included.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

URL = re.compile(rb"https?://[^\s\"'<>)]*", re.IGNORECASE)
ALLOWED_URLS = frozenset({b"http://www.w3.org/2000/svg", b"http://www.w3.org/1999/xlink"})


@cache
def _inlined_libraries() -> tuple[bytes, ...]:
    from splink.internals.html_utils import load_chart_libraries

    return tuple(source.encode() for source in load_chart_libraries().values())


def external_urls(root: Path) -> dict[str, list[str]]:
    """Every page under ``root`` with the URLs it holds outside the allow-list."""
    found: dict[str, list[str]] = {}
    for page in sorted(root.rglob("*.html")):
        data = page.read_bytes()
        for library in _inlined_libraries():
            data = data.replace(library, b"")
        urls = sorted({url.decode() for url in URL.findall(data) if url not in ALLOWED_URLS})
        if urls:
            found[str(page.relative_to(root))] = urls
    return found


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@dataclass(frozen=True)
class OfflineView:
    """What a page showed in Chromium with every request but ``file:`` refused."""

    text: str
    requested: list[str]
    svg_or_canvas: int


def open_offline(page_path: Path, screenshot: Path, width: int = 1200) -> OfflineView:
    """Open ``page_path`` in headless Chromium with the network closed, wait for it to settle,
    screenshot it whole. Skips (saying why) when Chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: `apt-get install -y chromium` (.ci/run installs it)")
    from playwright.sync_api import Route, sync_playwright

    requested: list[str] = []

    def refuse(route: Route) -> None:
        requested.append(route.request.url)
        route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": width, "height": 700})
        page.route(re.compile(r"^(?!file:).*"), refuse)
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_timeout(1_000)  # scripts (a chart's vega) render after load
        view = OfflineView(page.inner_text("body"), requested, page.locator("svg, canvas").count())
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return view
