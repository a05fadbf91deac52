"""Deliver a package to the hub's landing folder, manifest last.

In production the landing folder is an SFTP drop or a mounted share; the rule is the same: copy
every data file first, then the manifest under a temporary name, then rename it. The hub's landing
sensor only looks at folders whose ``manifest.json`` exists, so it never sees half a package.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from contract.manifest import MANIFEST_FILE as MANIFEST


class SubmitError(ValueError):
    """The package cannot be delivered; the message names the folder and the fix."""


def submit(package: str | Path, landing: str | Path) -> Path:
    """Copy ``package`` into ``landing/<submission_id>/``; return the delivered folder.

    Args:
        package: A package folder written by ``carehub partner encode``.
        landing: The partner's landing folder at the hub (``landing/<partner_id>``).

    Raises:
        SubmitError: the package has no manifest, or that submission was already delivered.
    """
    source = Path(package)
    manifest = source / MANIFEST
    if not manifest.is_file():
        raise SubmitError(
            f"{source}: no {MANIFEST}; this is not a finished package. "
            "Fix: run `carehub partner encode` again and submit the folder it prints."
        )
    target = Path(landing) / source.name
    if (target / MANIFEST).exists():
        raise SubmitError(
            f"{target}: this submission was already delivered. "
            "Fix: nothing to do; to replace it, encode again with --supersedes."
        )
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir()):
        if item.name != MANIFEST and item.is_file():
            shutil.copy2(item, target / item.name)
    staged = target / f".{MANIFEST}.partial"
    shutil.copy2(manifest, staged)
    os.replace(staged, target / MANIFEST)
    return target
