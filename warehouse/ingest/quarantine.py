"""Moving a package whole out of landing: to ``archive/`` after a load, else ``quarantine/``.

A quarantined package gets ``reason.json`` and ``reason.txt`` next to its files. When a check
found what looks like raw identifiers (an identifier column, or identifier-like values), its
data files are overwritten and deleted on arrival: the hub must not keep identifiers, even in
quarantine. The manifest and the reasons stay, so the steward and partner see what happened.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from contract.ids import PARTNER_ID, SUBMISSION_ID
from contract.manifest import LISTED_FILES
from contract.manifest import MANIFEST_FILE as MANIFEST
from contract.spec import token_bits_problem
from quality.findings import Finding
from quality.reasons import reason_document, reason_json, reason_text
from warehouse.ingest.package import EXPECTED_TYPES, HEX, SAFE_NAME

REASON_JSON: Final = "reason.json"
REASON_TXT: Final = "reason.txt"


def _free(dest: Path) -> Path:
    if not dest.exists():
        return dest
    n = 2
    while dest.with_name(f"{dest.name}.{n}").exists():
        n += 1
    return dest.with_name(f"{dest.name}.{n}")


def safe_segment(name: str) -> str:
    """A folder name that is safe to create under the hub home."""
    return name if SAFE_NAME.match(name) and name not in {".", ".."} else "_invalid_name"


def move_package(package: Path, root: Path, partner_id: str, submission_id: str) -> Path:
    """Move ``package`` to ``root/<partner>/<submission_id>`` (``.2``, ``.3`` ... if taken)."""
    dest = _free(root / safe_segment(partner_id) / safe_segment(submission_id))
    dest.parent.mkdir(parents=True, exist_ok=True)
    if package.is_symlink():
        # Never follow a link: record the refusal in a fresh folder and drop the link itself.
        dest.mkdir()
        package.unlink()
        return dest
    try:
        os.replace(package, dest)
    except OSError:
        shutil.move(str(package), str(dest))
    restrict(dest, root)
    return dest


def restrict(folder: Path, root: Path) -> None:
    """Owner-only: folders 0700 and files 0600, from ``root`` down to everything in
    ``folder`` (packages hold encodings and service data: nobody else on the host reads them)."""
    for ancestor in (folder, *folder.parents):
        ancestor.chmod(0o700)
        if ancestor == root:
            break
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def _shred(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.write(b"\0" * size)
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


def purge_data(folder: Path) -> list[str]:
    """Overwrite and delete the package's data files and anything not from the hub."""
    purged = []
    for entry in sorted(folder.iterdir()):
        if entry.name in {MANIFEST, REASON_JSON, REASON_TXT}:
            continue
        if entry.is_symlink():
            entry.unlink()
        elif entry.is_dir():
            shutil.rmtree(entry)
        else:
            _shred(entry)
        purged.append(entry.name if entry.name in LISTED_FILES else "(another file)")
    return purged


def _kept(key: str, value: Any) -> Any:
    """A manifest value as kept in quarantine: only what has its expected shape."""
    shapes: dict[str, re.Pattern[str]] = {
        "spec_version": re.compile(r"\d{1,3}\.\d{1,3}"),
        "submission_id": SUBMISSION_ID,
        "partner_id": PARTNER_ID,
        "created_at": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"),
        "key_fingerprint": HEX,
        "supersedes": SUBMISSION_ID,
    }
    if value is None or (isinstance(value, str) and shapes[key].fullmatch(value)):
        return value
    return "(not kept: not in its expected form)"


def _kept_files(files: Any) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if not isinstance(files, dict):
        return kept
    for position, (name, entry) in enumerate(files.items(), start=1):
        label = name if name in LISTED_FILES else f"(entry #{position})"
        if not isinstance(entry, dict):
            kept[label] = "(not kept)"
            continue
        body: dict[str, Any] = {}
        if isinstance(entry.get("sha256"), str) and HEX.fullmatch(entry["sha256"]):
            body["sha256"] = entry["sha256"]
        if isinstance(entry.get("rows"), int):
            body["rows"] = entry["rows"]
        schema = entry.get("schema")
        if isinstance(schema, dict) and name in EXPECTED_TYPES:
            known = EXPECTED_TYPES[name]
            body["schema"] = {
                (col if col in known else f"(unexpected column #{i})"): str(kind)[:40]
                for i, (col, kind) in enumerate(schema.items(), start=1)
            }
        kept[label] = body
    return kept


def sanitise_manifest(folder: Path) -> None:
    """Rewrite a quarantined ``manifest.json`` to what the hub can vouch holds no identifier.

    The metadata (ids, dates, fingerprints, checksums, row counts, spec columns) stays; any
    value not in its expected form, any name the partner chose (an unexpected column, a file
    entry) is replaced by its position. A manifest that does not parse is deleted: its bytes
    are unknown. The original's sha256 stays in reason.json and staging.deliveries.
    """
    path = folder / MANIFEST
    if not path.is_file() or path.is_symlink():
        return
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        _shred(path)
        return
    kept: dict[str, Any] = {key: _kept(key, data.get(key)) for key in _MANIFEST_KEYS if key in data}
    if "signature" in data:
        kept["signature"] = "(verified or refused on arrival; not kept)"
    if "files" in data:
        kept["files"] = _kept_files(data["files"])
    if "token_bits" in data:  # kept when it has the spec's shape (column names and widths)
        bits = data["token_bits"]
        kept["token_bits"] = bits if token_bits_problem(bits) is None else "(not in its form)"
    dropped = sorted(set(data) - set(_MANIFEST_KEYS) - {"signature", "files", "token_bits"})
    if dropped:
        kept["not_kept"] = f"{len(dropped)} key(s) outside spec 1.0"
    aside = folder / f".{MANIFEST}.tmp"
    aside.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
    aside.chmod(0o600)  # kept packages are owner-only, like the files restrict() sets
    _shred(path)
    os.replace(aside, path)


_MANIFEST_KEYS: Final = (
    "spec_version",
    "submission_id",
    "partner_id",
    "created_at",
    "key_fingerprint",
    "supersedes",
)


def write_reasons(
    folder: Path,
    *,
    submission_id: str,
    partner_id: str,
    decided_at: datetime,
    findings: Sequence[Finding],
    outcome: str,
    purged: Sequence[str],
    manifest_sha256: str | None,
    purge_reasons: Sequence[str] = (),
) -> None:
    """Write ``reason.json`` and ``reason.txt`` atomically into ``folder``."""
    document = reason_document(
        submission_id=submission_id,
        partner_id=partner_id,
        decided_at=decided_at,
        findings=findings,
        outcome=outcome,
        purged_files=purged,
        purge_reasons=purge_reasons,
        manifest_sha256=manifest_sha256,
    )
    for name, text in (
        (REASON_JSON, reason_json(document)),
        (REASON_TXT, reason_text(document, findings)),
    ):
        aside = folder / f".{name}.tmp"
        aside.write_text(text, encoding="utf-8")
        aside.chmod(0o600)
        os.replace(aside, folder / name)
