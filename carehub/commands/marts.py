"""``carehub marts``: the analysts' read-only DuckDB of de-identified aggregates, and
``carehub marts table``: an analyst's own protected table (:mod:`warehouse.adhoc`)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from kernel.db import connection
from kernel.home import HubHome

HELP_TEXT = """\
Read-only analyst database. Type SQL ending with ';' (several lines are fine).
  .tables          list the tables          .dictionary TABLE   describe a table's columns
  .quit            leave (or Ctrl-D)
Sizes and trends: NULL where withheld (suppressed = true). Other tables list only shown counts.
"""


app = typer.Typer(
    invoke_without_command=True,
    help="Open the analysts' read-only marts, or build your own protected table.",
)


@app.callback()
def marts(
    ctx: typer.Context,
    home: Annotated[
        str | None,
        typer.Option(help="Hub home directory (default: $CAREHUB_HOME, else ./.carehub)."),
    ] = None,
    path: Annotated[
        bool, typer.Option("--path", help="Only print the path of marts.duckdb.")
    ] = False,
    sql: Annotated[
        str | None,
        typer.Option("--sql", "-c", help="Run one query, print the result and exit."),
    ] = None,
    dictionary: Annotated[
        bool, typer.Option("--dictionary", help="Print the data dictionary (Markdown).")
    ] = False,
) -> None:
    """Open the analysts' read-only marts.duckdb in a SQL shell (or print its path).

    Uses the ``duckdb`` command-line shell when it is installed, else a small built-in shell.
    ``carehub marts table --help``: an ad hoc table of your own.
    """
    if ctx.invoked_subcommand is not None:
        return
    hub = HubHome.resolve(home)
    db = hub.marts_db
    if path:
        typer.echo(str(db))
        return
    if not db.exists():
        typer.echo(
            f"error: {db} does not exist yet; publish the marts first (carehub demo, or the "
            "analyst_marts asset in carehub ui)",
            err=True,
        )
        raise typer.Exit(2)
    if dictionary:
        # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
        from warehouse import dictionary as data_dictionary
        from warehouse.marts.readonly import open_marts

        with open_marts(db) as con:
            typer.echo(data_dictionary.to_markdown(data_dictionary.read_dictionary(con)))
        return
    if sql is not None:
        _run_one(db, sql)
        return
    cli = shutil.which("duckdb")
    if cli and sys.stdin.isatty():
        os.execv(cli, [cli, "-readonly", str(db)])
    _shell(db)


@app.command("table")
def table(
    name: Annotated[
        str, typer.Option("--name", help="Table name: the folder marts/adhoc/NAME/ (a-z 0-9 - _).")
    ],
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help="Condition on a feature, e.g. 'ed_visits_12m>=3' or "
            "'hrsn_housing_instability=true', or on the month, e.g. \"month >= '2026-01'\" "
            "(met in at least one of those months); repeat or join with 'and'.",
        ),
    ] = None,
    rows: Annotated[
        str,
        typer.Option(
            "--rows",
            "--by",
            help="Row dimensions among zip3, age_band, sex, sector, segment (comma list).",
        ),
    ] = "zip3",
    cols: Annotated[
        str,
        typer.Option("--cols", help="Column dimensions (same choices), e.g. segment."),
    ] = "",
    segment: Annotated[
        str | None, typer.Option("--segment", help="Count only members of this segment.")
    ] = None,
    home: Annotated[
        str | None,
        typer.Option(help="Hub home directory (default: $CAREHUB_HOME, else ./.carehub)."),
    ] = None,
) -> None:
    """Build a protected table of counts with every margin, under marts/adhoc/NAME/.

    Counts carry the marts' keyed noise; small ones, and any that would narrow a count withheld
    in an earlier ad hoc table, are withheld.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.adhoc import AdhocError, AdhocRequest, build_table
    from warehouse.disclosure import DisclosureError

    hub = HubHome.resolve(home)
    try:
        request = AdhocRequest.parse(name, where or [], [rows], segment, cols=[cols])
    except AdhocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if not hub.hub_db.exists():
        typer.echo(
            f"error: {hub.hub_db} does not exist; run the hub first (carehub demo)", err=True
        )
        raise typer.Exit(2)
    try:
        with connection(hub.hub_db) as con:
            result = build_table(con, hub, request)
    except AdhocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except DisclosureError as exc:
        typer.echo(f"error: nothing published: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{request.population} by {', '.join(request.by)} (data to {result.as_of:%Y-%m}): "
        f"{result.cells} counts, {result.withheld} withheld, threshold {result.threshold}"
    )
    typer.echo(
        f"  {hub.marts / 'adhoc' / name}/table.csv, table.parquet, about.json ('-': withheld)"
    )
    lines = _cross_table(request.by, request.cols, result.rows)
    for line in lines[:42]:
        typer.echo(f"  {line}")
    if len(lines) > 42:
        typer.echo(f"  ... {len(lines) - 42} more lines; every row is in table.csv")


def _cross_table(by: tuple[str, ...], cols: tuple[str, ...], rows: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """The table for the console: one line per combination of the row dimensions, a column per
    combination of ``cols`` (none: one ``people`` column); ``-`` where withheld."""
    across = [d for d in by if d in cols]
    down = [d for d in by if d not in cols]
    heads: dict[tuple[str, ...], None] = {}
    table: dict[tuple[str, ...], dict[tuple[str, ...], str]] = {}
    for row in rows:
        head = tuple(str(row[d]) for d in across)
        heads.setdefault(head)
        shown = "-" if row["people"] is None else f"{row['people']:,}"
        table.setdefault(tuple(str(row[d]) for d in down), {})[head] = shown
    label = max([len(" ".join(k)) for k in table] + [len(" ".join(down))])
    titles = ["/".join(h) or "people" for h in heads]
    widths = [max(9, len(t) + 2) for t in titles]
    if label + sum(widths) > 80 and across:  # too wide for a terminal: one line per count
        return _cross_table(by, (), rows)
    lines = [
        f"{' '.join(down):<{label}}"
        + "".join(f"{t:>{w}}" for t, w in zip(titles, widths, strict=True))
    ]
    for key, values in table.items():
        cells = "".join(f"{values.get(h, ''):>{w}}" for h, w in zip(heads, widths, strict=True))
        lines.append(f"{' '.join(key):<{label}}{cells}")
    return lines


def _run_one(db: Path, sql: str) -> None:
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.marts.readonly import open_marts

    with open_marts(db) as con:
        try:
            relation = con.sql(sql)
        except duckdb.Error as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        if relation is not None:
            relation.show(max_rows=200, max_width=160)


def _shell(db: Path) -> None:
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from warehouse.marts.readonly import open_marts

    typer.echo(f"marts: {db}\n{HELP_TEXT}")
    buffer: list[str] = []
    with open_marts(db) as con:
        while True:
            try:
                line = input("marts> " if not buffer else "   ...> ")
            except EOFError:
                typer.echo("")
                return
            stripped = line.strip()
            if not buffer and stripped.startswith("."):
                if stripped in (".quit", ".exit"):
                    return
                _dot_command(con, stripped)
                continue
            buffer.append(line)
            if not stripped.endswith(";"):
                continue
            statement = "\n".join(buffer)
            buffer.clear()
            try:
                relation = con.sql(statement)
                if relation is not None:
                    typer.echo(str(relation))
            except duckdb.Error as exc:
                typer.echo(f"error: {exc}", err=True)


def _dot_command(con, command: str) -> None:  # type: ignore[no-untyped-def]
    name, _, arg = command.partition(" ")
    if name == ".tables":
        typer.echo(str(con.sql("SELECT table_name, comment FROM duckdb_tables() ORDER BY 1")))
    elif name == ".dictionary":
        rows = con.execute(
            "SELECT column_name, data_type, description FROM dictionary "
            "WHERE table_name = $t AND column_name IS NOT NULL",
            {"t": arg.strip()},
        ).fetchall()
        if not rows:
            typer.echo("give a table name, e.g. .dictionary segment_counts (see .tables)")
        for column, data_type, description in rows:
            typer.echo(f"{column:<36} {data_type:<10} {description}")
    else:
        typer.echo(HELP_TEXT)
