"""Run a ``.sql`` file of several statements with named parameters bound per statement."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def statements(path: Path) -> tuple[str, ...]:
    """The statements of a SQL file, split by sqlglot's tokenizer (so ``;`` in strings is safe)."""
    text = path.read_text()
    tokens = sqlglot.tokenize(text, dialect="duckdb")
    parts: list[str] = []
    start = 0
    for token in tokens:
        if token.token_type == sqlglot.TokenType.SEMICOLON:
            parts.append(text[start : token.start])
            start = token.end + 1
    parts.append(text[start:])
    return tuple(p.strip() for p in parts if _has_code(p))


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def run_script(
    con: duckdb.DuckDBPyConnection, path: Path, params: Mapping[str, Any] | None = None
) -> None:
    """Execute every statement of ``path``, binding the ``$name`` parameters each one uses."""
    given = dict(params or {})
    if not given and not _PARAM.search(path.read_text()):
        con.execute(path.read_text())  # no parameters: DuckDB runs the whole script at once
        return
    for sql in statements(path):
        used = set(_PARAM.findall(sql))
        missing = used - given.keys()
        if missing:
            raise KeyError(f"{path.name}: no value for parameter(s) {', '.join(sorted(missing))}")
        con.execute(sql, {name: given[name] for name in used} if used else None).fetchall()
