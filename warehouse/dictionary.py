"""The analysts' data dictionary, generated from the schema's ``COMMENT ON`` text."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import duckdb

_SQL = Path(__file__).parent / "marts" / "sql" / "dictionary_rows.sql"


@dataclass(frozen=True)
class Entry:
    """One table (``column`` None) or column of the dictionary."""

    table: str
    column: str | None
    data_type: str | None
    description: str


def read_dictionary(con: duckdb.DuckDBPyConnection) -> list[Entry]:
    """Every table and column of the connected database (schema ``main``) with its comment."""
    rows = con.execute(_SQL.read_text()).fetchall()
    return [Entry(r[0], r[1], r[2], r[3]) for r in rows]


def undocumented(entries: list[Entry]) -> list[str]:
    """``table`` or ``table.column`` names whose description is empty."""
    return [
        e.table if e.column is None else f"{e.table}.{e.column}"
        for e in entries
        if not e.description.strip()
    ]


def to_markdown(entries: list[Entry], *, title: str = "marts.duckdb data dictionary") -> str:
    """The dictionary as Markdown: one section per table with a column table."""
    lines = [f"# {title}", ""]
    for entry in entries:
        if entry.column is None:
            lines += ["", f"## `{entry.table}`", "", entry.description, ""]
            lines += ["| column | type | description |", "| --- | --- | --- |"]
        else:
            text = entry.description.replace("|", "\\|")
            lines.append(f"| `{entry.column}` | {entry.data_type} | {text} |")
    return "\n".join(lines).strip() + "\n"


def to_html(entries: list[Entry], *, title: str = "marts.duckdb data dictionary") -> str:
    """The dictionary as a standalone HTML page."""
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:60rem;margin:2rem auto;color:#222}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "code{background:#f4f4f4}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    open_table = False
    for entry in entries:
        if entry.column is None:
            if open_table:
                parts.append("</table>")
            parts += [
                f"<h2><code>{esc(entry.table)}</code></h2><p>{esc(entry.description)}</p>",
                "<table><tr><th>column</th><th>type</th><th>description</th></tr>",
            ]
            open_table = True
        else:
            parts.append(
                f"<tr><td><code>{esc(entry.column)}</code></td><td>{esc(entry.data_type or '')}"
                f"</td><td>{esc(entry.description)}</td></tr>"
            )
    if open_table:
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
