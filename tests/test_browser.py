"""Real-browser smoke test: `carehub ui` served to Debian's headless Chromium via Playwright.

It materializes an asset with a check into a hub home first, starts ``carehub ui`` on a free
local port, checks that the asset graph shows our stage groups and that the check result is
visible, saves screenshots, and finally stops the UI with SIGINT (as Ctrl-C would) and expects a
clean exit. Skips, saying why, only when Chromium is missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ingest_support import SMUGGLED_NAME, drop, drop_smuggled_name, make_home

from carehub.commands.ui import free_port, location_state
from kernel.home import HubHome
from pipelines.runner import definitions, process_landing, run_job
from warehouse.ingest.status import collect

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 240.0
SCREENSHOTS = Path(os.environ.get("CAREHUB_SCREENSHOTS", "/tmp/carehub-browser"))
# UPDATE_SCREENSHOTS=1 also copies the screenshots the docs show into docs/img/.
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    home: HubHome


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def _location_loaded(base: str) -> bool:
    state = location_state(base)
    if state == "PythonError":
        raise AssertionError("the carehub code location failed to load in dagster dev")
    return state == "RepositoryLocation"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: `apt-get install -y chromium` (.ci/run installs it)")
    home = make_home(tmp_path_factory.mktemp("ui") / "home")
    drop(home, "mercy_hospital", n=20)
    drop_smuggled_name(home, "northside_food", n=20)
    ingested = process_landing(home)  # GX results become the submission's asset checks
    assert sorted(str(r.outcome) for r in ingested) == ["ingested", "quarantined"], ingested
    outcome = run_job(home, "retention_job")
    assert outcome.success, outcome.failures
    port = free_port()
    log = home.logs / "ui-test.log"
    carehub = Path(sys.executable).with_name("carehub")
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [str(carehub), "ui", "--home", str(home.root), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if _location_loaded(base):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"UI not up after {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")
        time.sleep(2)
    try:
        yield Server(base, process, log, home)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def _no_community_popup(page: object) -> None:
    """The instance has ``nux: {enabled: false}``: no "Join the Dagster community" dialog."""
    page.wait_for_timeout(2_500)  # type: ignore[attr-defined]  # it would open after 1 s
    assert not page.get_by_text("Join the Dagster community").is_visible()  # type: ignore[attr-defined]


def test_asset_graph_shows_our_stage_groups(server: Server, page: object) -> None:
    expected = {
        node.group_name
        for node in definitions().resolve_asset_graph().asset_nodes
        if node.is_executable
    }
    assert expected <= {
        "ingest",
        "linkage",
        "quality",
        "segments",
        "marts",
        "extracts",
        "reports",
        "alerts",
    }
    page.goto(f"{server.base}/asset-groups", wait_until="networkidle", timeout=90_000)  # type: ignore[attr-defined]
    _no_community_popup(page)
    for group in sorted(expected):
        page.get_by_text(group, exact=True).first.wait_for(state="visible", timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_text("(fetching statuses)").first.wait_for(state="hidden", timeout=30_000)  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "asset-graph.png"))  # type: ignore[attr-defined]


def test_check_results_are_visible(server: Server, page: object) -> None:
    page.goto(
        f"{server.base}/assets/retention_sweep?view=checks",
        wait_until="networkidle",
        timeout=90_000,
    )  # type: ignore[attr-defined]
    page.get_by_text("landing_not_stale").first.wait_for(state="visible", timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_text("Passed", exact=True).first.wait_for(state="visible", timeout=60_000)  # type: ignore[attr-defined]
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Succeeded" in body
    assert "stale_packages" in body  # the check's metadata
    page.screenshot(path=str(SCREENSHOTS / "asset-checks.png"))  # type: ignore[attr-defined]


def test_great_expectations_results_are_asset_checks(server: Server, page: object) -> None:
    page.goto(
        f"{server.base}/assets/submission?view=checks", wait_until="networkidle", timeout=90_000
    )  # type: ignore[attr-defined]
    for check in ("plaintext_identifiers", "schema_and_types", "payload_domains"):
        page.get_by_text(check).first.wait_for(state="visible", timeout=60_000)  # type: ignore[attr-defined]
    # Checks the good package passed; those the quarantined one never reached show "Skipped".
    page.get_by_text("Succeeded", exact=True).first.wait_for(state="visible", timeout=60_000)  # type: ignore[attr-defined]
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Skipped" in body
    page.screenshot(path=str(SCREENSHOTS / "submission-checks.png"))  # type: ignore[attr-defined]


def _for_docs(png: Path) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, DOCS_IMG / png.name)


def test_quarantined_partition_is_flagged_with_its_reason(
    server: Server, page: object, tmp_path: Path
) -> None:
    """The check that stopped the package shows that submission red, with the reason that
    `carehub status` prints, in the check's per-partition view."""
    (row,) = collect(server.home).quarantined
    assert row.detail.startswith("schema_and_types: persons.parquet, column first_name")
    page.goto(  # type: ignore[attr-defined]
        f"{server.base}/assets/submission?view=checks&checkDetail=schema_and_types",
        wait_until="networkidle",
        timeout=90_000,
    )
    page.get_by_text("Execution history").first.wait_for(state="visible", timeout=60_000)  # type: ignore[attr-defined]
    # The check's own Partitions tab (the asset's tab of the same name comes first), then the
    # submission's row in its partition list (the last element with its key as tooltip).
    page.get_by_role("tab", name="Partitions").last.click(timeout=30_000)  # type: ignore[attr-defined]
    page.locator(f'[data-tooltip="{row.submission_id}"]').last.click(timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_text(row.detail).first.wait_for(state="visible", timeout=60_000)  # type: ignore[attr-defined]
    page.mouse.move(0, 0)  # type: ignore[attr-defined]  # no tooltip over the list
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Failed" in body
    assert SMUGGLED_NAME not in body  # the smuggled value itself never reaches Dagster
    png = tmp_path / "quarantined-partition.png"
    page.screenshot(path=str(png))  # type: ignore[attr-defined]
    assert png.stat().st_size > 10_000
    _for_docs(png)


def test_quarantine_asset_lists_the_quarantined_submission_with_its_reason(
    server: Server, page: object, tmp_path: Path
) -> None:
    """Asset `quarantine`, Partitions: exactly the quarantined submissions are there
    (Materialized: held in quarantine/), the ingested one is Missing, and the selected
    partition's metadata leads with the reason `carehub status` prints."""
    status = collect(server.home)
    (row,) = status.quarantined
    page.goto(  # type: ignore[attr-defined]
        f"{server.base}/assets/quarantine?view=partitions",
        wait_until="networkidle",
        timeout=90_000,
    )
    page.get_by_text("Materialized (1)").first.wait_for(state="visible", timeout=60_000)  # type: ignore[attr-defined]
    page.get_by_text(f"Missing ({len(status.ingested)})").first.wait_for(  # type: ignore[attr-defined]
        state="visible", timeout=30_000
    )
    page.locator(f'[data-tooltip="{row.submission_id}"]').last.click(timeout=30_000)  # type: ignore[attr-defined]
    page.get_by_text(row.detail).first.wait_for(state="visible", timeout=60_000)  # type: ignore[attr-defined]
    page.mouse.move(0, 0)  # type: ignore[attr-defined]  # no tooltip over the list
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert body.index("reason") < body.index(row.detail) < body.index("failed_checks")
    assert "schema_and_types" in body and f"quarantine/northside_food/{row.submission_id}" in body
    assert SMUGGLED_NAME not in body
    png = tmp_path / "quarantine-asset-partition.png"
    page.screenshot(path=str(png))  # type: ignore[attr-defined]
    assert png.stat().st_size > 10_000
    _for_docs(png)


def test_run_from_the_runner_is_listed(server: Server, page: object) -> None:
    page.goto(f"{server.base}/runs", wait_until="networkidle", timeout=90_000)  # type: ignore[attr-defined]
    page.get_by_text("retention_job").first.wait_for(state="visible", timeout=30_000)  # type: ignore[attr-defined]
    page.screenshot(path=str(SCREENSHOTS / "runs.png"))  # type: ignore[attr-defined]


def test_ctrl_c_stops_the_ui_cleanly(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    code = server.process.wait(timeout=90)
    assert code == 0, server.log.read_text()[-3000:]
    log = server.log.read_text()
    assert "carehub ui: stopped." in log
    assert "SupersessionWarning" not in log  # `dagster dev` starts quietly
    with pytest.raises(OSError):
        _get(f"{server.base}/server_info", timeout=2)
