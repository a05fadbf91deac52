"""Fault-injection pause points, used by the recovery tests to ``kill -9`` a run at a bad moment.

Production code calls :func:`pause_point` at its most dangerous moments (inside an open
transaction, just before an atomic swap). Normally this is a no-op that costs one environment
lookup. When ``CAREHUB_FAULT_PAUSE`` names the point, the process writes a marker file (the path
in ``CAREHUB_FAULT_READY``) and sleeps, so that a test can deliver ``SIGKILL`` exactly there.

Point names are ``<stage>:<moment>`` and may carry a further qualifier, e.g.
``publish:extract:harbor_housing``. ``CAREHUB_FAULT_PAUSE`` matches a point when it equals the
name or is a prefix of it ending at a ``:`` boundary (``publish:extract`` matches every extract),
and may list several names separated by commas.

Known points (keep ``docs/operations.md`` in step):

* ``ingest:before_commit``: staging rows inserted, transaction not yet committed.
* ``ingest:after_commit``: rows committed, package not yet moved from landing to archive.
* ``linkage:before_commit``: linkage tables rewritten inside the transaction, not committed.
* ``publish:<output>``: a publication is built aside, just before the atomic swap
  (``publish:marts``, ``publish:report``, ``publish:extract:<partner>``).
* ``retention:before_delete``: the retention sweep has chosen what to remove, nothing removed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

PAUSE_ENV = "CAREHUB_FAULT_PAUSE"
READY_ENV = "CAREHUB_FAULT_READY"
SECONDS_ENV = "CAREHUB_FAULT_PAUSE_SECONDS"
DEFAULT_PAUSE_SECONDS = 600.0


def armed(name: str) -> bool:
    """Whether ``CAREHUB_FAULT_PAUSE`` selects the pause point ``name``."""
    wanted = os.environ.get(PAUSE_ENV, "")
    if not wanted:
        return False
    for item in (part.strip() for part in wanted.split(",")):
        if item and (name == item or name.startswith(item + ":")):
            return True
    return False


def pause_point(name: str) -> None:
    """Pause here when a fault test asks for it (see the module docstring); else do nothing.

    Args:
        name: The point's name, ``<stage>:<moment>[:<qualifier>]``.
    """
    if not armed(name):
        return
    ready = os.environ.get(READY_ENV)
    if ready:
        marker = Path(ready)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{name}\n{os.getpid()}\n")
    print(f"carehub fault hook: paused at {name} (pid {os.getpid()})", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get(SECONDS_ENV, DEFAULT_PAUSE_SECONDS)))
