"""Operations timings: runner overhead per run, `carehub ui` start-up and Ctrl-C shutdown.

    .venv/bin/python benchmarks/ops.py [--runs 5] [--ui-starts 2]

Prints medians. The machine is shared: read the figures as orders of magnitude.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from carehub.commands.ui import free_port, location_state
from carehub.home import HubHome
from pipelines.runner import definitions, run_job
from warehouse.governance import TEMPLATE


def _loaded(base: str) -> bool:
    try:
        return location_state(base, timeout=5) == "RepositoryLocation"
    except OSError:
        return False


def ui_cycle(home: HubHome) -> tuple[float, float]:
    """Seconds from `carehub ui` to a loaded code location, and from SIGINT to exit."""
    port = free_port()
    carehub = Path(sys.executable).with_name("carehub")
    started = time.monotonic()
    process = subprocess.Popen(
        [str(carehub), "ui", "--home", str(home.root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while not _loaded(f"http://127.0.0.1:{port}"):
        if process.poll() is not None or time.monotonic() - started > 600:
            raise SystemExit("carehub ui did not come up")
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
        cycles = [ui_cycle(home) for _ in range(args.ui_starts)]
        print(
            f"carehub ui: start to code location loaded, median of {len(cycles)}: "
            f"{statistics.median(c[0] for c in cycles):.1f} s"
        )
        print(
            f"carehub ui: SIGINT (Ctrl-C) to clean exit, median of {len(cycles)}: "
            f"{statistics.median(c[1] for c in cycles):.1f} s"
        )


if __name__ == "__main__":
    main()
