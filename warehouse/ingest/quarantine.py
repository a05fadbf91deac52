"""Moving a package whole out of landing: to ``archive/`` after a load, else ``quarantine/``.

A quarantined package gets ``reason.json`` and ``reason.txt`` next to its files. When a check
found what looks like raw identifiers (an identifier column, or identifier-like values), its
data files are overwritten and deleted on arrival: the hub must not keep identifiers, even in
quarantine. The manifest and the reasons stay, so the steward and partner see what happened.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

from quality.findings import Finding
from quality.reasons import reason_document, reason_json, reason_text
from warehouse.ingest.package import LISTED_FILES, SAFE_NAME

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
        if entry.name in {"manifest.json", REASON_JSON, REASON_TXT}:
            continue
        if entry.is_symlink():
            entry.unlink()
        elif entry.is_dir():
            shutil.rmtree(entry)
        else:
            _shred(entry)
        purged.append(entry.name if entry.name in LISTED_FILES else "(another file)")
    return purged


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
) -> None:
    """Write ``reason.json`` and ``reason.txt`` atomically into ``folder``."""
    document = reason_document(
        submission_id=submission_id,
        partner_id=partner_id,
        decided_at=decided_at,
        findings=findings,
        outcome=outcome,
        purged_files=purged,
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
