"""pipelines.notify: the steward log line, and the pluggable command and webhook hooks."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from kernel.home import HubHome
from pipelines.notify import Notice, load_config, notify

NOTICE = Notice(
    level="error",
    subject="Run failed: nightly_job (run 1a2b3c4d)",
    message="step linked_persons failed (IOException: lock held).\nOutputs unchanged.",
    run_id="1a2b3c4d-0000",
    job="nightly_job",
    details={"failed_steps": 1},
)


@pytest.fixture
def home(tmp_path: Path) -> HubHome:
    return HubHome(tmp_path / "home").ensure()


def _config(home: HubHome, text: str) -> None:
    (home.config / "notifications.yaml").write_text(text)


def test_log_only_by_default(home: HubHome) -> None:
    lines = notify(home, NOTICE)
    log = (home.logs / "carehub.log").read_text().splitlines()
    assert log == lines
    assert len(log) == 1
    assert "ERROR   [ops] Run failed: nightly_job (run 1a2b3c4d): step linked_persons" in log[0]
    assert "\n" not in log[0]  # one line per notice, whatever the message holds


def test_command_hook_receives_the_notice_as_json(home: HubHome, tmp_path: Path) -> None:
    out = tmp_path / "received.json"
    script = tmp_path / "hook.py"
    script.write_text(f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())")
    _config(home, f"command: [{sys.executable!r}, {str(script)!r}]\n")
    lines = notify(home, NOTICE)
    assert len(lines) == 1  # no hook problem reported
    received = json.loads(out.read_text())
    assert received["subject"] == NOTICE.subject
    assert received["run_id"] == NOTICE.run_id
    assert received["details"] == {"failed_steps": 1}
    assert received["at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ('["/nonexistent/hook"]', "command hook hook failed"),
        (f'[{sys.executable!r}, "-c", "raise SystemExit(3)"]', "exited with status 3"),
    ],
)
def test_failing_command_hook_is_logged_not_raised(
    home: HubHome, command: str, expected: str
) -> None:
    _config(home, f"command: {command}\n")
    lines = notify(home, NOTICE)
    assert len(lines) == 2
    assert expected in lines[1]
    assert "WARNING [notify]" in lines[1]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("command: [a\n", "not valid YAML"),
        ("pager: yes\n", "pager: Extra inputs are not permitted"),
        ("webhook: {url: ftp://x}\n", "webhook.url"),
        ("min_level: loud\n", "min_level"),
    ],
)
def test_bad_config_is_refused_with_the_file_and_field(
    home: HubHome, text: str, problem: str
) -> None:
    _config(home, text)
    with pytest.raises(ValueError, match=r"notifications\.yaml") as info:
        load_config(home)
    assert problem in str(info.value)
    lines = notify(home, NOTICE)  # the notice itself is still logged
    assert "Run failed" in lines[0]
    assert "hooks skipped" in lines[1]


def test_min_level_filters_hooks_but_not_the_log(home: HubHome, tmp_path: Path) -> None:
    out = tmp_path / "received.json"
    _config(
        home,
        f"command: [{sys.executable!r}, '-c', 'open({str(out)!r}, \"w\").write(\"x\")']\n"
        "min_level: error\n",
    )
    notify(home, Notice(level="warning", subject="Landing slow", message="2 waiting"))
    assert not out.exists()
    assert "WARNING [ops] Landing slow: 2 waiting" in (home.logs / "carehub.log").read_text()


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    status = 204

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, type[_Collector]]]:
    class Handler(_Collector):
        received: ClassVar[list[dict[str, object]]] = []

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", Handler
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_receives_a_json_post(home: HubHome, webhook: tuple[str, type[_Collector]]) -> None:
    url, handler = webhook
    _config(home, f"webhook: {{url: {url}, timeout_seconds: 5}}\n")
    assert len(notify(home, NOTICE)) == 1
    assert [r["subject"] for r in handler.received] == [NOTICE.subject]


def test_webhook_error_status_is_logged(
    home: HubHome, webhook: tuple[str, type[_Collector]]
) -> None:
    url, handler = webhook
    handler.status = 500
    _config(home, f"webhook: {{url: {url}}}\n")
    lines = notify(home, NOTICE)
    assert "webhook hook failed: HTTPError" in lines[1]
    assert url not in lines[1]  # a webhook URL may embed a token: never logged
