"""Operations timings: runner overhead per run, `carehub ui` start-up and Ctrl-C shutdown.

    .venv/bin/python benchmarks/ops.py [--runs 5] [--ui-starts 2]

Prints medians. The yardstick for the UI start is ``dagster dev`` itself serving a one-asset
code location (same Python, same quieting, telemetry and nux off), started right after each
``carehub ui`` cycle, so both see the same load: the ratio is what carehub's code location adds.
The machine is shared: read the figures as orders of magnitude.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from carehub.commands.ui import dagster_dev_command, free_port, location_state
from kernel.home import HubHome
from pipelines.runner import definitions, run_job
from warehouse.governance import TEMPLATE

YARDSTICK_DEFS = """import dagster as dg


@dg.asset
def one() -> int:
    return 1


defs = dg.Definitions(assets=[one])
"""
YARDSTICK_LOCATION = "yardstick"


def _loaded(base: str, name: str) -> bool:
    try:
        return location_state(base, name, timeout=5) == "RepositoryLocation"
    except OSError:
        return False


def yardstick_command(root: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """``dagster dev`` on a one-asset code location in ``root`` (its own DAGSTER_HOME)."""
    (root / "yardstick_defs.py").write_text(YARDSTICK_DEFS)
    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    workspace = root / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_file:\n"
        f"      relative_path: {root / 'yardstick_defs.py'}\n"
        f"      location_name: {YARDSTICK_LOCATION}\n"
    )
    env = dict(os.environ, DAGSTER_HOME=str(home), DAGSTER_DISABLE_TELEMETRY="1")
    return dagster_dev_command("127.0.0.1", port, workspace), env


def ui_cycle(home: HubHome, yardstick: Path | None = None) -> tuple[float, float]:
    """Seconds from `carehub ui` (or, given a folder, the yardstick `dagster dev`) to a loaded
    code location, and from SIGINT to exit."""
    port = free_port()
    carehub = Path(sys.executable).with_name("carehub")
    command = [str(carehub), "ui", "--home", str(home.root), "--port", str(port)]
    env, location = None, "carehub"
    if yardstick is not None:
        command, env = yardstick_command(yardstick, port)
        location = YARDSTICK_LOCATION
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    while not _loaded(f"http://127.0.0.1:{port}", location):
        if process.poll() is not None or time.monotonic() - started > 600:
            raise SystemExit(f"{command[0]} did not come up")
        time.sleep(0.5)
    ready = time.monotonic() - started
    stop = time.monotonic()
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=120)
    if code != 0:
        raise SystemExit(f"carehub ui exited with {code}")
    return ready, time.monotonic() - stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ui-starts", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = HubHome(Path(tmp) / "home").ensure()
        shutil.copy(TEMPLATE, home.config / "governance.yaml")
        loaded = time.monotonic()
        definitions()
        load_s = time.monotonic() - loaded
        run_job(home, "retention_job")  # warm-up: instance storage created
        times = []
        for _ in range(args.runs):
            outcome = run_job(home, "retention_job")
            assert outcome.success
            times.append(outcome.seconds)
        print(f"definitions load (first, in-process): {load_s:.1f} s")
        print(
            f"runner: retention_job in-process, median of {args.runs}: "
            f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"
        )
        cycles, bare = [], []
        for _ in range(args.ui_starts):  # paired: each carehub ui start, then the yardstick
            cycles.append(ui_cycle(home))
            bare.append(ui_cycle(home, yardstick=Path(tmp)))
        ui_s, bare_s = (statistics.median(c[0] for c in runs) for runs in (cycles, bare))
        print(f"carehub ui: start to code location loaded, median of {len(cycles)}: {ui_s:.1f} s")
        print(
            f"yardstick: dagster dev on a one-asset location, median of {len(bare)}: "
            f"{bare_s:.1f} s (carehub ui / yardstick = {ui_s / bare_s:.2f})"
        )
        print(
            f"carehub ui: SIGINT (Ctrl-C) to clean exit, median of {len(cycles)}: "
            f"{statistics.median(c[1] for c in cycles):.1f} s"
        )


if __name__ == "__main__":
    main()
