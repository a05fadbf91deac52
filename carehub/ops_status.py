"""The "last good publication" section of ``carehub status``.

Reads ``ops.publications`` (written by :mod:`warehouse.publish`) and says, per output, which
version analysts and partners see now, when it was published, and whether it is overdue for its
expected cadence (marts nightly, extracts per agreement, report quarterly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from rich.console import RenderableType

from kernel import clock
from kernel.db import connect
from kernel.home import HubHome
from warehouse import publish as publish_module

# How old a publication may be before it counts as overdue (cadence plus a grace period).
EXPECTED_AGE: dict[str, timedelta] = {
    "marts": timedelta(hours=26),
    "report": timedelta(days=93),
    "daily": timedelta(hours=26),
    "weekly": timedelta(days=8),
    "monthly": timedelta(days=32),
}


_TABLE_EXISTS = Path(__file__).with_name("sql") / "publications_exists.sql"
_LATEST = Path(publish_module.__file__).with_name("publish_latest.sql")


class HubBusyError(RuntimeError):
    """``hub.duckdb`` is held by a running job (DuckDB allows one writing process)."""


@dataclass(frozen=True)
class PublicationStatus:
    """One output's last good publication, as ``carehub status`` shows it."""

    output: str
    version: str
    published_at: datetime
    age: timedelta
    overdue: bool
    details: dict[str, object]


def config_problems(home: HubHome) -> list[str]:
    """Every configuration file of the home that fails to load, with its error (file, key, fix).

    A steward's error, shown by ``carehub status`` and stopping the runs that need the file;
    never a partner-facing quarantine reason.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.governance import GovernanceError, load_governance
    from warehouse.governance_flow import check_in_force
    from warehouse.segments.definitions import (
        SegmentConfigError,
        parse_segments,
        segments_path,
    )
    from warehouse.segments.rules import SegmentRuleError

    problems = []
    try:
        load_governance(home)
        check_in_force(home)  # publishing and extracting stop until a quorum approved it
    except GovernanceError as exc:
        problems.append(str(exc))
    path = segments_path(home)
    if path.is_file():
        try:
            parse_segments(path.read_text(encoding="utf-8"), source=str(path))
        except (SegmentConfigError, SegmentRuleError) as exc:
            problems.append(str(exc))
    return problems


def _frequencies(home: HubHome) -> dict[str, str]:
    try:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from warehouse.governance import GovernanceError, load_governance

        governance = load_governance(home)
    except (ImportError, GovernanceError):
        return {}
    return {a.partner: a.frequency for a in governance.agreements}


def expected_age(output: str, frequencies: dict[str, str]) -> timedelta | None:
    """The cadence allowance of ``output`` (``marts``, ``report``, ``extract:<partner>``)."""
    if output.startswith("extract:"):
        frequency = frequencies.get(output.split(":", 1)[1])
        return EXPECTED_AGE.get(frequency) if frequency else None
    return EXPECTED_AGE.get(output)


def publication_status(home: HubHome, now: datetime | None = None) -> list[PublicationStatus]:
    """The last good publication of every output, or [] when nothing was published yet."""
    if not home.hub_db.exists():
        return []
    moment = now or clock.now()
    try:
        con = connect(home.hub_db, read_only=True, wait=10.0)
    except duckdb.Error as exc:
        raise HubBusyError(
            f"{home.hub_db} is locked by a running job; try `carehub status` again when it ends"
        ) from exc
    try:
        found = (con.execute(_TABLE_EXISTS.read_text()).fetchone() or (0,))[0]
        # Read-only: the query of warehouse/publish.py, without its CREATE IF NOT EXISTS.
        rows = con.execute(_LATEST.read_text(), {"output": None}).fetchall() if found else []
    finally:
        con.close()
    frequencies = _frequencies(home)
    statuses = []
    for output, version, _path, published_at, _run_id, details in rows:
        published = published_at.astimezone(UTC)
        age = moment - published
        allowance = expected_age(output, frequencies)
        statuses.append(
            PublicationStatus(
                output=output,
                version=version,
                published_at=published,
                age=age,
                overdue=allowance is not None and age > allowance,
                details=json.loads(details) if details else {},
            )
        )
    return statuses


def _age_text(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 1:
        return f"{max(0, int(age.total_seconds() // 60))} min"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{age.days} d"


def publications_table(home: HubHome, now: datetime | None = None) -> RenderableType:
    """A ``rich`` table of :func:`publication_status` (a note when nothing is published yet)."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from rich.table import Table
    from rich.text import Text

    try:
        rows = publication_status(home, now)
    except HubBusyError as exc:
        return Text(f"Publications: {exc}", style="yellow")
    table = Table(title="Last good publication of each output", title_justify="left")
    table.add_column("output", overflow="fold")
    table.add_column("version", overflow="fold")
    for column in ("data to", "published (UTC)", "age", "state"):
        table.add_column(column, no_wrap=True)
    if not rows:
        return Text("No output published yet (marts, extracts and the report appear here).")
    for row in rows:
        state = Text("overdue", style="bold yellow") if row.overdue else Text("ok", style="green")
        table.add_row(
            row.output,
            row.version,
            str(row.details.get("as_of", ""))[:7] or "-",
            f"{row.published_at:%Y-%m-%d %H:%M}",
            _age_text(row.age),
            state,
        )
    # Why a publication of December can end in June: the partners' latest events end there.
    table.caption = (
        "data to: the last month with events in the partners' latest submissions; a later "
        "publication still ends there (counts stop rather than show empty months)"
    )
    return table
