"""The plaintext-identifier detector: names, dates, phones, SSNs and e-mails where none belong.

One detector, both sides: the partner client runs it on every outgoing table before it writes
a package (:func:`scan_tables`), and the hub's validation runs it on every package that arrives
(``quality/validate.py``, with the columns its passed rules already vouch for left out:
``quality.plaintext.verified_columns``). It lives here, below both, so that the partner client
needs no hub package.

Every text column of spec 1.0 has a format: 64 or 32 lower-hex characters for pseudonyms, event
ids and tokens, short codes for sex, ZIP3 and the event vocabulary. Free text is allowed in one
column only (``program``). The detector runs in DuckDB over whole columns:

1. one vectorised pass per column group counts values that break the column's format;
2. only for columns with such values (and always for free text) the values are classified by
   the identifier they look like, with their 1-based row numbers.

Typed columns (integers, dates, booleans) cannot hold a name or a formatted identifier; their
ranges are checked by the GX suites (``payload_domains``). A finding names the column, rows
and class ("looks like a phone number"), never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import duckdb
import pyarrow as pa

from contract.findings import MAX_ROWS_LISTED, Finding
from contract.ids import HEX32, HEX64
from contract.manifest import EVENTS_FILE as EVENTS
from contract.manifest import PERSONS_FILE as PERSONS
from contract.manifest import FileName
from contract.spec import TOKEN_COLUMNS, token_format


@dataclass(frozen=True)
class ColumnGroup:
    """Text columns of one file that share a format."""

    file: FileName
    columns: tuple[str, ...]
    format: str
    anchored: bool = True


NEVER: Final = "[^\\s\\S]"  # matches nothing: every value of a free-text column is a candidate
GROUPS: Final[tuple[ColumnGroup, ...]] = (
    ColumnGroup(PERSONS, ("record_pseudonym",), HEX64),
    # Spec 2.2: the truncated tokens (the phone) are 8 hex characters, the others 32.
    *(
        ColumnGroup(PERSONS, tuple(c for c in TOKEN_COLUMNS if token_format(c) == f), f)
        for f in sorted({token_format(c) for c in TOKEN_COLUMNS})
    ),
    ColumnGroup(PERSONS, ("sex",), "[FMU]"),
    ColumnGroup(PERSONS, ("zip3",), "[0-9]{3}"),
    ColumnGroup(EVENTS, ("record_pseudonym",), HEX64),
    ColumnGroup(EVENTS, ("event_id",), HEX32),
    ColumnGroup(EVENTS, ("event_type", "category", "result"), "[a-z0-9_]{1,40}"),
    ColumnGroup(EVENTS, ("program",), NEVER, anchored=False),
)

# RE2 patterns. Anchored: the whole trimmed value; search: anywhere in free text.
ANCHORED: Final[dict[str, str]] = {
    "ssn": r"\d{3}[- ]?\d{2}[- ]?\d{4}",
    "phone": r"(\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}",
    "date": (
        r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|(19|20)\d{6}"
        r"|\d{1,2}[ -]?\p{L}{3,9}[ -]?\d{2,4}|\p{L}{3,9} \d{1,2},? \d{4}"
    ),
    "email": r"[^@\s]+@[^@\s]+\.\p{L}{2,}",
    "name": r"\p{L}[\p{L}'’ .,-]*",
}
SEARCH: Final[dict[str, str]] = {
    "ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "phone": r"\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b",
    "date": r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(19|20)\d{2}-\d{2}-\d{2}\b",
    "email": r"[^@\s]+@[^@\s]+\.\p{L}{2,}",
    "name": NEVER,  # program names are text by design
}
LOOKS_LIKE: Final[dict[str, str]] = {
    "ssn": "a Social Security number",
    "phone": "a phone number",
    "date": "a date",
    "email": "an e-mail address",
    "name": "a name or other plain text",
}


# A program or unit name repeats across events; a value used fewer times than this is free text
# (a clinician note, a name) and is refused. The partner client nulls such values (counted in
# its report) before it writes a package, so only a package not made by it meets this refusal.
MIN_FREE_TEXT_ROWS: Final = 5
_WORD: Final = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SQL: Final = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    """The text of ``encoding/sql/<name>.sql``."""
    return (_SQL / f"{name}.sql").read_text()


def scan(
    con: duckdb.DuckDBPyConnection,
    tables: dict[FileName, str],
    *,
    verified: frozenset[tuple[FileName, str]] = frozenset(),
) -> list[Finding]:
    """Run the detector over the temp tables of one submission.

    Args:
        con: Connection holding the temp tables.
        tables: Package file -> temp table (``ingest_persons``, ``ingest_events``).
        verified: ``(file, column)`` known to be fully in format (see :func:`verified_columns`):
            not scanned again.

    Returns:
        One blocking finding per (column, identifier class) seen.
    """
    findings: list[Finding] = []
    for group in GROUPS:
        table = tables[group.file]
        if group.anchored:
            columns = [c for c in group.columns if (group.file, c) not in verified]
            if not columns:
                continue
            cursor = con.execute(
                sql("plaintext_off_format"),
                {"t": table, "cols": columns, "format": group.format},
            )
            counts = cursor.fetchone() or ()
            # COLUMNS() yields the table's column order: read the names back.
            names = [d[0] for d in cursor.description or ()]
            suspects = [c for c, n in zip(names, counts, strict=True) if n]
        else:
            suspects = list(group.columns)
            for column in group.columns:
                findings.extend(_rare(con, table, group, column))
        for column in suspects:
            findings.extend(_classify(con, table, group, column))
    return findings


def scan_tables(persons: pa.Table, events: pa.Table) -> list[Finding]:
    """Run the detector over two Arrow tables (the partner client, before it writes a package).

    The same :func:`scan` as the hub's, on an in-memory DuckDB with a 1-based ``_row``.
    """
    con = duckdb.connect()
    try:
        tables: dict[FileName, str] = {PERSONS: "out_persons", EVENTS: "out_events"}
        for name, data in (("out_persons", persons), ("out_events", events)):
            rows = pa.array(range(1, data.num_rows + 1), pa.int64())
            con.register(name, data.append_column("_row", rows))
        return scan(con, tables)
    finally:
        con.close()


def rows_with_own_names(
    texts: Sequence[str | None], names: Iterable[tuple[str | None, str | None]]
) -> list[int]:
    """1-based rows of ``texts`` holding the first and the last name of one same person.

    Only the partner can run this (it holds the names): a free-text column mapped by mistake
    (a note saying "seen with FIRST LAST") is caught whatever the text's shape.
    """
    firsts_of: dict[str, set[str]] = {}
    for first, last in names:
        if first and last and len(first) > 1 and len(last) > 1:
            firsts_of.setdefault(last.upper(), set()).add(first.upper())
    hits = []
    for row, text in enumerate(texts, start=1):
        if not text:
            continue
        words = set(_WORD.findall(text.upper()))
        if any(firsts_of.get(word, set()) & words for word in words):
            hits.append(row)
    return hits


def _rare(
    con: duckdb.DuckDBPyConnection, table: str, group: ColumnGroup, column: str
) -> list[Finding]:
    n, rows = con.execute(
        sql("plaintext_rare"),
        {"t": table, "cols": [column], "min": MIN_FREE_TEXT_ROWS, "limit": MAX_ROWS_LISTED},
    ).fetchone() or (0, [])
    if not n:
        return []
    return [
        _finding(
            group,
            column,
            n,
            rows,
            "free_text",
            message=f"{n} value(s) are each used by fewer than {MIN_FREE_TEXT_ROWS} rows: free "
            "text (a note, a name), not the name of a program or unit",
            fix="map this field to a program or unit column with few values (or leave it out); "
            "`carehub partner encode` leaves rare values out. The hub deleted the rejected "
            "files on arrival",
        )
    ]


def _finding(
    group: ColumnGroup,
    column: str,
    n: int,
    rows: Iterable[int],
    kind: str,
    *,
    message: str,
    fix: str,
) -> Finding:
    return Finding(
        check="plaintext_identifiers",
        file=group.file,
        column=column,
        rows=tuple(int(r) for r in rows),
        count=int(n),
        message=message,
        fix=fix,
        extra={"looks_like": kind},
    )


def _classify(
    con: duckdb.DuckDBPyConnection, table: str, group: ColumnGroup, column: str
) -> list[Finding]:
    patterns = ANCHORED if group.anchored else SEARCH
    rows = con.execute(
        sql("plaintext_classify"),
        {
            "t": table,
            "cols": [column],
            "format": group.format,
            "anchored": group.anchored,
            "limit": MAX_ROWS_LISTED,
            **patterns,
        },
    ).fetchall()
    return [
        _finding(
            group,
            column,
            n,
            row_numbers,
            kind,
            message=f"{n} value(s) look like {LOOKS_LIKE[kind]}; only "
            f"{'encodings' if group.format.startswith('[0-9a-f]') else 'codes or program names'} "
            "belong here",
            fix="re-run `carehub partner encode` on the raw export and send its package; never "
            "put a raw identifier in a package. The hub deleted the rejected files on arrival",
        )
        for kind, n, row_numbers in rows
    ]
