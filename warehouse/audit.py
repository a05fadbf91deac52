"""The hub's disclosure audit log: append-only, hash-chained JSON lines.

``<home>/audit/audit.log`` has one JSON object per line, each in canonical form (sorted keys, no
spaces, ASCII) so that the bytes of a line are a function of its content alone::

    {"action":"extract_built","details":{...},"hash":"<hex>","prev":"<hex>","seq":7,"time":"..."}

``hash`` is sha256 of the canonical line without ``hash``; ``prev`` is the previous line's
``hash`` (64 zeros for the first). Editing, deleting, inserting or reordering any line breaks the
chain, and :func:`verify` reports where. ``audit/audit.head`` records the last ``seq`` and ``hash``
after every append, so cutting entries off the end is detected too; stewards can anchor the head
elsewhere (``carehub audit verify --expect-head``), and every extract manifest carries the head at
the time it was built.

Entries hold counts, names, versions and times: never an identifier, pseudonym or person key.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from contract.envelope import ALERT_SUFFIX, EXTRACT_SUFFIX
from kernel import clock
from kernel.home import HubHome
from kernel.signing import canonical

GENESIS: Final = "0" * 64
LOG_FILE: Final = "audit.log"
HEAD_FILE: Final = "audit.head"
# Written by warehouse/governance_flow.py: the approved governance version in force.
GOVERNANCE_IN_FORCE: Final = "in_force.json"


@dataclass(frozen=True)
class AuditEntry:
    """One verified audit entry."""

    seq: int
    time: str
    action: str
    details: dict[str, Any]
    prev: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`.

    Attributes:
        ok: The whole log verifies.
        entries: How many entries were read (up to the first problem).
        head: ``hash`` of the last good entry.
        problems: What is wrong, with line numbers.
    """

    ok: bool
    entries: int
    head: str
    problems: tuple[str, ...]


def _entry_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "hash"})).hexdigest()


def log_path(home: HubHome) -> Path:
    return home.audit / LOG_FILE


def head_path(home: HubHome) -> Path:
    return home.audit / HEAD_FILE


@contextmanager
def _locked(home: HubHome) -> Iterator[None]:
    home.audit.mkdir(parents=True, exist_ok=True)
    with open(home.audit / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _last_line(path: Path) -> bytes | None:
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        chunk = 4096
        data = b""
        while end > 0:
            start = max(0, end - chunk)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
            if data.rstrip(b"\n").count(b"\n") >= 1:
                break
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1]


def governance_sha256(home: HubHome) -> str | None:
    """sha256 of the approved governance version in force (None before the founding one)."""
    path = home.governance / GOVERNANCE_IN_FORCE
    if not path.is_file():
        return None
    try:
        return str(json.loads(path.read_text())["sha256"])
    except (ValueError, KeyError, TypeError):
        return None


def append(
    home: HubHome, action: str, details: Mapping[str, Any], *, now: datetime | None = None
) -> AuditEntry:
    """Append one entry under an exclusive lock and fsync it.

    Args:
        home: The hub home.
        action: e.g. ``extract_built``, ``extract_delivered``, ``deletion``, ``key_rotated``.
        details: Counts, names, versions (JSON-serialisable; no identifiers). The sha256 of the
            approved governance version in force is added as ``governance_sha256``.
        now: The entry's time (default: now, UTC).

    Raises:
        RuntimeError: the last line of the log is not a valid entry (run ``carehub audit
            verify``); nothing is appended to a broken chain.
    """
    path = log_path(home)
    details = dict(details)
    in_force = governance_sha256(home)
    if in_force:
        details.setdefault("governance_sha256", in_force)
    with _locked(home):
        last = _last_line(path)
        if last is None:
            seq, prev = 1, GENESIS
        else:
            try:
                tail = json.loads(last)
                seq, prev = int(tail["seq"]) + 1, str(tail["hash"])
            except (ValueError, KeyError, TypeError):
                raise RuntimeError(
                    f"{path}: the last line is not a valid audit entry; run `carehub audit "
                    "verify` and restore the log before anything else is recorded"
                ) from None
        moment = (now or clock.now()).astimezone(UTC)
        body: dict[str, Any] = {
            "seq": seq,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "action": action,
            "details": json.loads(json.dumps(dict(details), default=str)),
            "prev": prev,
        }
        body["hash"] = _entry_hash(body)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, canonical(body) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        _write_head(home, seq, body["hash"])
    return AuditEntry(**body)


def _write_head(home: HubHome, seq: int, digest: str) -> None:
    path = head_path(home)
    aside = path.with_name(f".{path.name}.tmp")
    aside.write_text(json.dumps({"seq": seq, "hash": digest}) + "\n")
    os.replace(aside, path)


def read_head(home: HubHome) -> dict[str, Any] | None:
    """The recorded head ``{"seq", "hash"}``, or None if no entry was ever appended."""
    path = head_path(home)
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text()))


def verify(home: HubHome, *, expect_head: str | None = None) -> VerifyResult:
    """Check every line, the chain, and the head.

    Args:
        home: The hub home.
        expect_head: A head hash anchored elsewhere; the log must contain it (as any entry's
            hash, so later appends are fine).
    """
    path = log_path(home)
    data = path.read_bytes() if path.is_file() else b""
    problems: list[str] = []
    prev, count, seen = GENESIS, 0, set()
    if data and not data.endswith(b"\n"):
        problems.append(f"{path}: the last line is not terminated; the log was cut or edited")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        problem = _check_line(line, number, count + 1, prev)
        if problem:
            problems.append(f"{path}: line {number}: {problem}")
            break
        entry = json.loads(line)
        prev, count = entry["hash"], count + 1
        seen.add(prev)
    head = read_head(home)
    if not problems:
        if head is None and count:
            problems.append(f"{head_path(home)}: missing; the log's end cannot be checked")
        elif head is not None and (head.get("seq") != count or head.get("hash") != prev):
            problems.append(
                f"{path}: ends at entry {count} but {HEAD_FILE} records entry {head.get('seq')}; "
                "entries were removed from (or added to) the end"
            )
    if expect_head and not problems and expect_head not in seen:
        problems.append(f"{path}: the anchored head {expect_head[:16]}... is not in the log")
    if not problems:
        problems.extend(_outbox_accounted(home, path, lines))
    return VerifyResult(not problems, count, prev, tuple(problems))


# Files the hub writes to partners, and the log entries that must account for each.
_OUTBOX_FILES: Final = (
    (f"*{EXTRACT_SUFFIX}", "extract", frozenset({"extract_built", "extract_delivered"})),
    (f"*{ALERT_SUFFIX}", "alert", frozenset({"alert_written"})),
)


def _outbox_accounted(home: HubHome, path: Path, lines: list[bytes]) -> list[str]:
    """Every extract and alert in the outbox is anchored in, and accounted for by, the log.

    Extracts and alerts are signed copies of the head at their creation, and partners keep
    them: the log must still hold that entry, and the file's build and delivery. So cutting
    entries off the end and rewriting ``audit.head`` to match is caught without
    ``--expect-head``.
    """
    hashes: dict[int, str] = {0: GENESIS}  # a file written before the first entry
    logged: dict[str, set[str]] = {}
    for line in lines:
        entry = json.loads(line)
        hashes[entry["seq"]] = entry["hash"]
        details = entry["details"] if isinstance(entry["details"], dict) else {}
        for key in ("extract_id", "alert_id"):
            if isinstance(details.get(key), str):
                logged.setdefault(details[key], set()).add(entry["action"])
    problems = []
    for pattern, kind, required in _OUTBOX_FILES:
        files = home.outbox.rglob(pattern) if home.outbox.is_dir() else iter(())
        for written in sorted({p.resolve() for p in files if p.is_file()}):
            try:
                manifest = json.loads(written.read_bytes())["manifest"]
                anchor, file_id = manifest["audit_anchor"], str(manifest["extract_id"])
            except (ValueError, KeyError, TypeError):
                continue  # not a file the hub wrote; `extracts_sealed` reports those
            if hashes.get(anchor.get("seq")) != anchor.get("hash"):
                problems.append(
                    f"{path}: {kind} {file_id} was built at entry {anchor.get('seq')} "
                    f"({str(anchor.get('hash'))[:16]}...), which the log no longer holds; "
                    "entries were removed or rewritten"
                )
            missing = required - logged.get(file_id, set())
            if missing:
                problems.append(
                    f"{path}: {kind} {file_id} is in the outbox but its "
                    f"{' and '.join(sorted(missing))} entry is not in the log; entries were "
                    "removed"
                )
    return problems


def _check_line(line: bytes, number: int, seq: int, prev: str) -> str | None:
    try:
        entry = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return "not valid JSON (edited or corrupted)"
    if not isinstance(entry, dict) or set(entry) != {
        "seq",
        "time",
        "action",
        "details",
        "prev",
        "hash",
    }:
        return "not an audit entry (fields added or removed)"
    if canonical(entry) != line:
        return "not in canonical form (the line was edited)"
    if entry["seq"] != seq:
        return (
            f"sequence number {entry['seq']} where {seq} was expected "
            "(entries removed or reordered)"
        )
    if entry["prev"] != prev:
        return "does not chain to the previous entry (an entry was removed, inserted or reordered)"
    if _entry_hash(entry) != entry["hash"]:
        return "hash does not match its content (the entry was edited)"
    return None


def entries(home: HubHome) -> list[AuditEntry]:
    """All entries, parsed (use :func:`verify` to check them first)."""
    path = log_path(home)
    if not path.is_file():
        return []
    return [
        AuditEntry(**json.loads(line)) for line in path.read_bytes().split(b"\n") if line.strip()
    ]
