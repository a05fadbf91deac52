"""The canary scanner must find what it is meant to find, or the privacy tests prove nothing."""

from __future__ import annotations

import gzip
import hashlib
import random
import sqlite3
import zipfile
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


def _write_sqlite(path: Path, value: str) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE event_logs (id INTEGER, event TEXT)")
    con.execute("INSERT INTO event_logs VALUES (1, ?)", [f'{{"message": "saw {value}"}}'])
    con.commit()
    con.close()


def _write_gzip(path: Path, value: str) -> None:
    path.write_bytes(gzip.compress(f"archived log: {value}\n".encode()))


def _write_zip(path: Path, value: str) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("reason.txt", f"row 3 holds {value}")


def _write_binary_with_text(path: Path, value: str) -> None:
    # An unknown binary (NUL bytes) that stores text: its printable runs are read.
    path.write_bytes(b"\x00\x01\x02" + f"note: the client {value} was here".encode() + b"\x00")


def _write_hashed(path: Path, value: str) -> None:
    path.write_text(hashlib.sha256(value.lower().encode()).hexdigest())


@pytest.mark.parametrize(
    ("writer", "filename", "form"),
    [
        (_write_duckdb, "x.duckdb", "plain"),
        (_write_parquet, "x.parquet", "plain"),
        (_write_text, "x.log", "plain"),
        (_write_hashed, "x.txt", "sha256"),
        (_write_sqlite, "runs.db", "plain"),
        (_write_gzip, "old.log.gz", "plain"),
        (_write_zip, "reasons.zip", "plain"),
        (_write_binary_with_text, "blob.bin", "plain"),
    ],
)
def test_scan_finds_canary(tmp_path: Path, writer, filename: str, form: str) -> None:
    writer(tmp_path / filename, CANARY)
    hits = scan_tree(tmp_path, [("name", CANARY)])
    assert any(h.form == form and h.needle_kind == "name" for h in hits), hits


def test_scan_clean_tree_has_no_hits(tmp_path: Path) -> None:
    _write_duckdb(tmp_path / "x.duckdb", "nothing to see")
    assert scan_tree(tmp_path, [("name", CANARY)]) == []


SURNAME = "Quorrelbury"


def _gif(path: Path) -> None:
    # Issue 17 #14: a surname's bytes by chance inside an image's compressed pixel data.
    noise = bytes(random.Random(7).randrange(256) for _ in range(4000))
    path.write_bytes(
        b"GIF89a\x10\x00\x10\x00"
        + noise[:2000]
        + b"\x07"
        + SURNAME.encode()
        + b"\xf3"
        + noise[2000:]
    )


def _png(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x13" + SURNAME.lower().encode() + b"\x00")


def _zstd(path: Path) -> None:
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x91" + SURNAME.encode() + b"\x02")


def _short_run_in_binary(path: Path) -> None:
    # In an unknown binary, a short printable run is chance, not stored text.
    path.write_bytes(b"\x00\x9a\x03" + SURNAME.encode() + b"\x00\x11" * 40)


def _part_of_a_longer_token(path: Path) -> None:
    path.write_text(f"id x{SURNAME.lower()}7 and Mc{SURNAME}\n")


@pytest.mark.parametrize(
    "writer", [_gif, _png, _zstd, _short_run_in_binary, _part_of_a_longer_token]
)
def test_scan_does_not_cry_wolf_on_binaries_or_partial_tokens(tmp_path: Path, writer) -> None:
    writer(tmp_path / "file")
    assert scan_tree(tmp_path, [("last_name", SURNAME)]) == []
