"""The canary scanner must find what it is meant to find, or the privacy tests prove nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from carehub.privacy_scan import scan_tree

CANARY = "Zyxwick Quorrelbury"


def _write_duckdb(path: Path, value: str) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA s; CREATE TABLE s.t (v VARCHAR)")
    con.execute("INSERT INTO s.t SELECT ? || ' #' || range FROM range(5000)", [value])
    con.close()


def _write_parquet(path: Path, value: str) -> None:
    duckdb.sql(
        f"COPY (SELECT ? AS v FROM range(1000)) TO '{path}' (FORMAT parquet)", params=[value]
    )


def _write_text(path: Path, value: str) -> None:
    path.write_text(f"log line with {value.upper()} inside\n")


def _write_hashed(path: Path, value: str) -> None:
    path.write_text(hashlib.sha256(value.lower().encode()).hexdigest())


@pytest.mark.parametrize(
    ("writer", "filename", "form"),
    [
        (_write_duckdb, "x.duckdb", "plain"),
        (_write_parquet, "x.parquet", "plain"),
        (_write_text, "x.log", "plain"),
        (_write_hashed, "x.txt", "sha256"),
    ],
)
def test_scan_finds_canary(tmp_path: Path, writer, filename: str, form: str) -> None:
    writer(tmp_path / filename, CANARY)
    hits = scan_tree(tmp_path, [("name", CANARY)])
    assert any(h.form == form and h.needle_kind == "name" for h in hits), hits


def test_scan_clean_tree_has_no_hits(tmp_path: Path) -> None:
    _write_duckdb(tmp_path / "x.duckdb", "nothing to see")
    assert scan_tree(tmp_path, [("name", CANARY)]) == []
