"""The steward-facing log ``logs/carehub.log`` of a hub home: one value-free line per event.

Any part of the hub may append a line (a library records what it removed or decided); sending a
notice further (command and webhook hooks) is the pipelines' job (``pipelines.notify``).
"""

from __future__ import annotations

from typing import Literal

from kernel import clock
from kernel.home import HubHome

Level = Literal["info", "warning", "error"]
LOG_NAME = "carehub.log"


def log_line(home: HubHome, level: Level, source: str, text: str) -> str:
    """Append one line to the steward log ``logs/carehub.log`` and return it."""
    at = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{at} {level.upper():7} [{source}] {' '.join(text.split())}"
    home.logs.mkdir(parents=True, exist_ok=True)
    with open(home.logs / LOG_NAME, "a", encoding="utf-8") as log:
        log.write(line + "\n")
    return line
