"""Steward notifications: always a line in ``logs/carehub.log``, plus optional pluggable hooks.

Hooks are configured in ``config/notifications.yaml`` in the hub home (absent: log only)::

    # Each hook receives the notice as one JSON object (level, subject, message, run_id,
    # job, details, at); a failing hook is logged and never breaks the run that notified.
    command: ["/usr/local/bin/page-steward", "--team", "data-stewards"]   # JSON on stdin
    webhook:
      url: https://chat.example.org/hooks/carehub        # JSON POST
      timeout_seconds: 5
    min_level: error          # hooks fire for this level and above; the log gets everything

A notice carries names and counts only (job, step, output, submission id), never an identifier
value: it goes to the log, and through hooks to places the hub does not control.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kernel import clock
from kernel.home import HubHome
from kernel.steward_log import Level, log_line

_LEVEL_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
CONFIG_NAME = "notifications.yaml"


@dataclass(frozen=True)
class Notice:
    """One steward-facing notice.

    Attributes:
        level: ``info``, ``warning`` or ``error``.
        subject: One short line, e.g. ``"Run failed: nightly_job"``.
        message: What happened, what it means for published outputs, and what to do.
        source: The part of the hub that speaks (``ops``, ``retention``, ``ingest`` ...).
        run_id: The Dagster run, if any.
        job: The Dagster job, if any.
        details: Names and counts only.
    """

    level: Level
    subject: str
    message: str
    source: str = "ops"
    run_id: str | None = None
    job: str | None = None
    details: dict[str, str | int | float | None] = field(default_factory=dict)


class WebhookConfig(BaseModel):
    """A URL that receives each notice as a JSON POST."""

    model_config = ConfigDict(extra="forbid")
    url: str
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("webhook url must start with https:// (or http:// on a local network)")
        return value


class NotificationConfig(BaseModel):
    """``config/notifications.yaml``; every hook is optional."""

    model_config = ConfigDict(extra="forbid")
    command: list[str] | None = None
    webhook: WebhookConfig | None = None
    min_level: Level = "warning"
    command_timeout_seconds: float = Field(default=30.0, gt=0, le=600)


def load_config(home: HubHome) -> NotificationConfig:
    """Read ``config/notifications.yaml``; a missing file means "log only".

    Raises:
        ValueError: the file is not valid YAML or does not match the schema; the message names
            the file and the field and says how to fix it.
    """
    path = home.config / CONFIG_NAME
    if not path.exists():
        return NotificationConfig()
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(
            f"{path}: not valid YAML ({exc.__class__.__name__}); fix the syntax"
        ) from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping with keys command, webhook, min_level")
    try:
        return NotificationConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ValueError(f"{path}: {problems}") from exc


def notify(home: HubHome, notice: Notice) -> list[str]:
    """Log ``notice`` to the steward log, then run the configured hooks.

    Hooks never raise: a hook that fails (or a bad ``notifications.yaml``) is itself logged.

    Returns:
        The lines written to the steward log (the notice first, then any hook problems).
    """
    lines = [log_line(home, notice.level, notice.source, f"{notice.subject}: {notice.message}")]
    try:
        config = load_config(home)
    except ValueError as exc:
        lines.append(log_line(home, "warning", "notify", f"hooks skipped: {exc}"))
        return lines
    if _LEVEL_RANK[notice.level] < _LEVEL_RANK[config.min_level]:
        return lines
    payload = json.dumps(
        {**asdict(notice), "at": clock.now().isoformat(timespec="seconds")},
        sort_keys=True,
        default=str,
    ).encode()
    if config.command:
        lines.extend(_run_command(home, config, payload))
    if config.webhook:
        lines.extend(_post_webhook(home, config.webhook, payload))
    return lines


def _run_command(home: HubHome, config: NotificationConfig, payload: bytes) -> list[str]:
    assert config.command
    program = Path(config.command[0]).name
    try:
        done = subprocess.run(
            config.command,
            input=payload,
            capture_output=True,
            timeout=config.command_timeout_seconds,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [log_line(home, "warning", "notify", f"command hook {program} failed: {exc}")]
    if done.returncode != 0:
        return [
            log_line(
                home,
                "warning",
                "notify",
                f"command hook {program} exited with status {done.returncode}",
            )
        ]
    return []


def _post_webhook(home: HubHome, hook: WebhookConfig, payload: bytes) -> list[str]:
    request = urllib.request.Request(
        hook.url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=hook.timeout_seconds) as response:
            status = response.status
    except OSError as exc:
        return [
            log_line(home, "warning", "notify", f"webhook hook failed: {exc.__class__.__name__}")
        ]
    if status >= 300:
        return [log_line(home, "warning", "notify", f"webhook hook answered HTTP {status}")]
    return []
