"""``carehub marts``: the analysts' read-only DuckDB of de-identified aggregates."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from carehub.home import HubHome

HELP_TEXT = """\
Read-only analyst database. Type SQL ending with ';' (several lines are fine).
  .tables          list the tables          .dictionary TABLE   describe a table's columns
  .quit            leave (or Ctrl-D)
Sizes and trends: NULL where withheld (suppressed = true). Other tables list only shown counts.
"""


def marts(
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
    """
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


def _run_one(db: Path, sql: str) -> None:
    import duckdb

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
    import duckdb

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
