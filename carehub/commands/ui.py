"""``carehub ui``: the Dagster UI for stewards, on this machine only.

Runs ``dagster dev`` on 127.0.0.1 with ``DAGSTER_HOME`` inside the hub home (so runs started by
``carehub demo`` and ``carehub run`` show there too), telemetry off and ``CAREHUB_HOME`` set for the
code location. Ctrl-C (or SIGTERM) shuts it down cleanly: ``dagster dev`` runs in its own session
and receives exactly one SIGINT from here, with default signal handling restored even when this
command was itself started in the background (where SIGINT is inherited as ignored).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import yaml

from kernel.home import HOME_ENV, HubHome
from pipelines.dagster_home import ensure_dagster_home

SHUTDOWN_WAIT_SECONDS = 60.0


def _project_root() -> Path:
    """The folder holding the ``pipelines`` package (found without importing Dagster)."""
    spec = importlib.util.find_spec("pipelines")
    if spec is None or spec.origin is None:
        raise typer.BadParameter(
            "the pipelines package is not importable; run `python3 dev.py setup`"
        )
    return Path(spec.origin).resolve().parent.parent


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def dagster_env(home: HubHome) -> dict[str, str]:
    """The environment for Dagster processes serving ``home``."""
    env = dict(os.environ)
    env[HOME_ENV] = str(home.root)
    env["DAGSTER_HOME"] = str(home.dagster_home)
    env["DAGSTER_DISABLE_TELEMETRY"] = "1"
    return env


LOCATION_NAME = "carehub"


def location_state(base: str, name: str = "carehub", timeout: float = 10.0) -> str | None:
    """How code location ``name`` stands in the Dagster webserver at ``base``.

    Returns:
        ``"RepositoryLocation"`` once loaded, ``"PythonError"`` when loading failed, None
        while it is not listed (still starting).

    Raises:
        OSError: the webserver does not answer (yet).
    """
    query = json.dumps(
        {
            "query": "{ workspaceOrError { ... on Workspace { locationEntries { name "
            "locationOrLoadError { __typename } } } } }"
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/graphql", data=query, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        entries = json.loads(response.read())["data"]["workspaceOrError"]["locationEntries"]
    states = {e["name"]: (e["locationOrLoadError"] or {}).get("__typename") for e in entries}
    state = states.get(name)
    return str(state) if state is not None else None


def write_workspace(home: HubHome, project_root: Path) -> Path:
    """Write ``<home>/dagster/workspace.yaml``: the code location named ``carehub``."""
    workspace = home.dagster_home / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {
                        "python_module": {
                            "module_name": "pipelines.definitions",
                            "location_name": LOCATION_NAME,
                            "working_directory": str(project_root),
                        }
                    }
                ]
            },
            sort_keys=False,
        )
    )
    return workspace


# Dagster 1.13 marks `dagster dev` superseded by `dg dev`, which lives in the separate
# dagster-dg-cli package (23 more packages here) and serves the same webserver and daemon from a
# project layout (pyproject `[tool.dg]`); it is not installed. `dagster dev` stays, and its
# one SupersessionWarning is silenced in its own process only, by message, so no other warning
# is lost and nothing else has to import Dagster's warning classes.
QUIET_SUPERSEDED = "ignore:Function `dev_command` is superseded"


def dagster_dev_command(host: str, port: int, workspace: Path) -> list[str]:
    """The ``dagster dev`` command line for the carehub code location."""
    return [
        sys.executable,
        "-W",
        QUIET_SUPERSEDED,
        "-m",
        "dagster",
        "dev",
        "--workspace",
        str(workspace),
        "--host",
        host,
        "--port",
        str(port),
    ]


def ui(
    home: Annotated[
        str | None,
        typer.Option(help="Hub home directory (default: $CAREHUB_HOME, else ./.carehub)."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port for the UI; 0 picks a free one.")] = 3000,
    host: Annotated[
        str, typer.Option(help="Interface to listen on. Keep the default: the UI has no login.")
    ] = "127.0.0.1",
) -> None:
    """Open the Dagster UI for stewards (runs, asset graph, checks, schedules) on this machine."""
    hub = ensure_dagster_home(HubHome.resolve(home))
    chosen = port or free_port(host)
    if host not in {"127.0.0.1", "localhost", "::1"}:
        typer.echo(
            f"warning: listening on {host}: the Dagster UI has no login; anyone who can reach "
            "this port can launch runs. Put it behind an authenticating proxy.",
            err=True,
        )
    stop: dict[str, bool] = {"requested": False}
    child: subprocess.Popen[bytes] | None = None

    def _forward(signum: int, _frame: FrameType | None) -> None:
        # A second Ctrl-C while waiting is not forwarded again: dagster dev is already stopping.
        if child is not None and not stop["requested"]:
            stop["requested"] = True
            child.send_signal(signal.SIGINT)

    # Installing handlers here also means the child starts with default SIGINT/SIGTERM handling
    # (handlers are reset on exec; an inherited "ignore" would not be).
    root = _project_root()
    workspace = write_workspace(hub, root)
    previous = {sig: signal.signal(sig, _forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        child = subprocess.Popen(
            dagster_dev_command(host, chosen, workspace),
            cwd=root,
            env=dagster_env(hub),
            start_new_session=True,
        )
        typer.echo(
            f"carehub ui: http://{host}:{chosen}  (hub home {hub.root}; "
            f"DAGSTER_HOME {hub.dagster_home}). Ctrl-C to stop."
        )
        code = _wait(child, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stop["requested"]:
        typer.echo("carehub ui: stopped.")
        raise typer.Exit(0)
    raise typer.Exit(code)


def _wait(child: subprocess.Popen[bytes], stop: dict[str, bool]) -> int:
    while True:
        try:
            code = child.wait(timeout=0.5 if not stop["requested"] else SHUTDOWN_WAIT_SECONDS)
            return code
        except subprocess.TimeoutExpired:
            if stop["requested"]:
                # Still alive a minute after the interrupt: end its whole session.
                os.killpg(child.pid, signal.SIGKILL)
                return child.wait()
