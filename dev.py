#!/usr/bin/env python3
"""One entry point for a fresh machine that has only ``python3`` and ``pip``.

    python3 dev.py demo    # set up, then run the whole demo
    python3 dev.py test    # set up, then lint, type-check and run every test (CI runs this)

Other verbs: ``setup``, ``check`` (ruff, mypy, the layer check), ``test --fast`` (default suite
only), ``ui``, ``bench NAME``, ``circles`` (import circles between the top-level packages).
uv is bootstrapped with pip when it is missing; the environment is ``uv sync --frozen`` from the
committed ``uv.lock``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True)
    if probe.returncode != 0:
        print("dev.py: uv not found; installing it with pip", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "uv"], check=True)
    return [sys.executable, "-m", "uv"]


def _run(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    # The child's environment: this one's, with Dagster's telemetry off unless set.
    env = {"DAGSTER_DISABLE_TELEMETRY": "1", **os.environ}
    result = subprocess.run(list(args), cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def setup() -> list[str]:
    uv = _uv()
    _run(*uv, "sync", "--all-extras", "--frozen")
    return [*uv, "run", "--all-extras", "--frozen", "--"]


def check(uvrun: list[str]) -> None:
    _run(*uvrun, "ruff", "check", ".")
    _run(*uvrun, "ruff", "format", "--check", ".")
    _run(*uvrun, "mypy")
    # The layers of docs/architecture.md, as the contracts of [tool.importlinter] in pyproject.
    _run(*uvrun, "lint-imports")


def main(argv: list[str]) -> None:
    verb = argv[0] if argv else "help"
    rest = argv[1:]
    if verb not in {"setup", "demo", "check", "test", "ui", "bench", "circles"}:
        print(__doc__)
        sys.exit(0 if verb in {"help", "-h", "--help"} else 2)
    uvrun = setup()
    if verb == "demo":
        _run(*uvrun, "carehub", "demo", *rest)
    elif verb == "check":
        check(uvrun)
    elif verb == "test":
        fast = "--fast" in rest
        rest = [a for a in rest if a != "--fast"]
        check(uvrun)
        markers = [] if fast else ["-m", ""]
        # One worker per core; each test file stays on one worker (--dist loadfile), so its
        # module-scoped fixtures are built once and its tests run in their written order.
        workers = ["-n", "auto", "--dist", "loadfile"]
        _run(*uvrun, "pytest", *workers, *markers, *rest)
    elif verb == "ui":
        _run(*uvrun, "carehub", "ui", *rest)
    elif verb == "circles":
        _run(*uvrun, "python", "tools/import_circles.py")
    elif verb == "bench":
        _run(*uvrun, "python", f"benchmarks/{rest[0]}.py", *rest[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
