"""``carehub status``: what the hub holds, for stewards.

Built of sections, each a function that returns a rich renderable, so other parts add theirs
(e.g. the last good publication of each output) by appending to :data:`SECTIONS`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from kernel.db import connect
from kernel.home import HubHome
from quality.findings import neutralise_formula


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


def submissions_section(home: HubHome) -> RenderableType:
    """Submissions by state: ingested, superseded, quarantined with the reason, pending."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.ingest.status import collect

    status = collect(home)
    table = Table(title="Submissions", show_lines=False, expand=False)
    for column in ("state", "partner", "submission", "when", "detail"):
        table.add_column(column, overflow="fold")
    groups = (
        ("ingested", status.ingested, "green"),
        ("superseded", status.superseded, "dim"),
        ("quarantined", status.quarantined, "red"),
        ("pending", status.pending, "yellow"),
    )
    for _, rows, style in groups:
        for row in rows:
            detail = row.detail
            if row.location and row.state in {"quarantined", "duplicate"}:
                detail += f"  (see {row.location}/reason.txt)"
            table.add_row(
                row.state,
                row.partner_id,
                row.submission_id,
                _when(row.at),
                neutralise_formula(detail),
                style=style,
            )
    counts = ", ".join(f"{len(rows)} {name}" for name, rows, _ in groups)
    table.caption = counts
    return table


def publications_section(home: HubHome) -> RenderableType:
    """The last good publication of each output (marts, extracts, report), flagged if overdue."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from carehub.ops_status import publications_table

    return publications_table(home)


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def linkage_section(home: HubHome) -> RenderableType:
    """The latest linkage run, and how accurate the model expects its persons to be."""
    # Imported here, as the other sections do: `carehub` starts without the linkage stack.
    from linkage.store import last_run_summary

    table = _table(
        "Linkage", ("last run", "mode", "when", "records", "persons", "threshold", "estimate")
    )
    if not home.hub_db.exists():
        table.caption = "no linkage run yet"
        return table
    con = connect(home.hub_db, read_only=True, wait=10.0)
    try:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'linkage' "
            "AND table_name = 'runs'"
        ).fetchall()[0][0]
        summary = last_run_summary(con) if exists else None
    finally:
        con.close()
    if summary is None:
        table.caption = "no linkage run yet"
        return table
    est = summary.estimate
    estimate = (
        f"precision {est['precision']:.4f}  recall {est['recall']:.4f}  F1 {est['f1']:.4f} "
        f"(run {summary.estimate_run_id}, from match probabilities, no ground truth)"
        if est
        else "none yet (a full run estimates it)"
    )
    threshold = summary.link_threshold
    table.add_row(
        summary.run_id,
        summary.mode,
        _when(summary.finished_at),
        f"{summary.records:,}",
        f"{summary.persons:,}",
        f"{threshold:.4f}" if threshold is not None else "",
        estimate,
    )
    return table


def _csv(data: dict[str, list[dict[str, object]]]) -> str:
    """Submissions as CSV; every cell neutralised against spreadsheet formula injection."""
    out = io.StringIO()
    fields = ["group", "state", "partner_id", "submission_id", "at", "detail", "location"]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for group, rows in data.items():
        for row in rows:
            cells = {"group": group, **row}
            writer.writerow({k: neutralise_formula(str(cells.get(k) or "")) for k in fields})
    return out.getvalue()


def config_section(home: HubHome) -> RenderableType:
    """Configuration files that fail to load: they stop the runs that need them."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from carehub.ops_status import config_problems

    problems = config_problems(home)
    if not problems:
        return Text(
            "Configuration: config/governance.yaml (approved by a quorum of partners) and "
            "config/segments.yaml load",
            "green",
        )
    text = Text("CONFIGURATION ERROR (runs that need these files stop until fixed):\n", "bold red")
    for problem in problems:
        text.append(problem + "\n", "red")
    return text


def alerts_section(home: HubHome) -> RenderableType:
    """Care alerts: per partner, files and items sent and the last one; the last events
    packages with their latency. Counts only (under 11 shown as <11), never an alert's content."""
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.alerts import alert_status, has_alerts
    from warehouse.disclosure import disclose

    table = _table("Care alerts", ("partner", "alert files", "alerts", "last alert"))
    if not home.hub_db.exists():
        table.caption = "no alerts yet"
        return table
    con = connect(home.hub_db, read_only=True, wait=10.0)
    try:
        status = alert_status(con) if has_alerts(con) else None
    finally:
        con.close()
    if status is None:
        table.caption = "no alerts yet (events packages: docs/alerts.md)"
        return table
    for row in status.recipients:
        table.add_row(row.partner_id, str(row.files), str(disclose(row.items)), _when(row.last))
    batches = _table(
        "Last events packages",
        ("package", "when", "latency", "events", "alerts", "withheld / uncertain"),
    )
    for batch in status.batches:
        held = sum(v for k, v in batch.counts.items() if k not in {"send", "duplicate"})
        batches.add_row(
            batch.submission_id,
            _when(batch.written_at),
            f"{batch.latency_seconds:.1f} s",
            f"{batch.events:,}",
            str(disclose(batch.alerts_sent)),
            str(disclose(held)),
        )
    batches.caption = (
        f"{status.pending} package(s) pending ({status.waiting_for_linkage} wait for linkage)"
    )
    return Group(table, batches)


Section = Callable[[HubHome], RenderableType]
SECTIONS: list[Section] = [
    config_section,
    submissions_section,
    linkage_section,
    publications_section,
    alerts_section,
]


def status(
    home: Path | None = typer.Option(
        None, "--home", help="Hub home (default: $CAREHUB_HOME, else ./.carehub)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the submissions as JSON."),
    as_csv: bool = typer.Option(
        False, "--csv", help="Print the submissions as CSV (formula-safe for spreadsheets)."
    ),
) -> None:
    """Show submissions by state (ingested, quarantined with the reason, pending)."""
    hub = HubHome.resolve(home)
    if as_json or as_csv:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from warehouse.ingest.status import collect

        data = collect(hub).as_dict()
        if as_json:
            typer.echo(json.dumps(data, indent=2, default=str))
        else:
            typer.echo(_csv(data), nl=False)
        return
    Console().print(Group(*(section(hub) for section in SECTIONS)))
