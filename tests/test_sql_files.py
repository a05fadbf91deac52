"""Every .sql file in the repo parses with sqlglot (DuckDB dialect) and formats no values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot

ROOT = Path(__file__).resolve().parents[1]
SQL_FILES = sorted(
    p
    for p in ROOT.rglob("*.sql")
    if ".venv" not in p.parts and "node_modules" not in p.parts and ".carehub" not in p.parts
)


def test_there_are_sql_files() -> None:
    assert SQL_FILES, "the hub keeps its SQL in .sql files"


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_file_parses(path: Path) -> None:
    text = path.read_text()
    statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    assert statements, f"{path} holds no SQL statement"


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_file_has_no_python_format_fields(path: Path) -> None:
    # Values are bound as parameters ($name or ?), never str.format-ed into SQL.
    assert not re.search(r"\{[a-zA-Z_][a-zA-Z0-9_]*\}", path.read_text()), path
