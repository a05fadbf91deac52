"""`carehub ui` wiring and `carehub run` argument handling (the live UI is in test_browser.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from carehub.cli import app
from carehub.commands.ui import (
    QUIET_SUPERSEDED,
    dagster_dev_command,
    dagster_env,
    free_port,
    write_workspace,
)
from kernel.home import HubHome
from pipelines.dagster_home import ensure_dagster_home


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_environment_points_dagster_into_the_hub_home(tmp_path: Path) -> None:
    home = ensure_dagster_home(HubHome(tmp_path / "home"))
    env = dagster_env(home)
    assert env["DAGSTER_HOME"] == str(home.dagster_home)
    assert env["CAREHUB_HOME"] == str(home.root)
    assert env["DAGSTER_DISABLE_TELEMETRY"] == "1"
    config = yaml.safe_load((home.dagster_home / "dagster.yaml").read_text())
    assert config["telemetry"] == {"enabled": False}
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] == 1
    assert config["nux"] == {"enabled": False}  # no "Join the Dagster community" dialog


def test_a_home_made_before_the_nux_setting_gets_it(tmp_path: Path) -> None:
    home = HubHome(tmp_path / "home")
    home.dagster_home.mkdir(parents=True)
    (home.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(home)
    ensure_dagster_home(home)  # idempotent: added once
    config = yaml.safe_load((home.dagster_home / "dagster.yaml").read_text())
    assert config == {"telemetry": {"enabled": False}, "nux": {"enabled": False}}


@pytest.mark.parametrize("quiet", [True, False])
def test_only_the_dev_supersession_warning_is_silenced(quiet: bool) -> None:
    """The same warning `dagster dev` raises, in a child started like `carehub ui` starts it."""
    code = (
        "import warnings\n"
        "from dagster_shared.utils.warnings import SupersessionWarning\n"
        'warnings.warn("Function `dev_command` is superseded and its usage is discouraged. '
        "Use 'dg dev' instead.\", SupersessionWarning)\n"
        "warnings.warn('another superseded thing', SupersessionWarning)\n"
    )
    flags = ["-W", QUIET_SUPERSEDED] if quiet else []
    done = subprocess.run(
        [sys.executable, *flags, "-c", code], capture_output=True, text=True, check=True
    )
    assert ("dev_command" in done.stderr) is not quiet
    assert "another superseded thing" in done.stderr


def test_workspace_names_the_carehub_location(tmp_path: Path) -> None:
    home = HubHome(tmp_path / "home").ensure()
    workspace = write_workspace(home, Path("/src/carehub"))
    (entry,) = yaml.safe_load(workspace.read_text())["load_from"]
    assert entry["python_module"] == {
        "module_name": "pipelines.definitions",
        "location_name": "carehub",
        "working_directory": "/src/carehub",
    }
    command = dagster_dev_command("127.0.0.1", 3999, workspace)
    assert command[3:6] == ["-m", "dagster", "dev"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "3999"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_job"], "no job named 'no_such_job'"),
        (["run", "nightly_job", "--config", "/nonexistent/run.yaml"], "cannot read run config"),
    ],
)
def test_run_refuses_bad_arguments_clearly(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, [*args, "--home", str(tmp_path / "home")])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
