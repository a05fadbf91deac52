"""Encode every partner of a synthetic region in one call (demo and benchmarks).

Each partner gets its own key folder (extract key pair, pseudonym key, crosswalk); all share one
secret, as real partners would after agreeing on it out of band.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from partner.encode import EncodeResult, Progress, encode_partner
from partner.keygen import KeygenResult, keygen, pseudonym_key_path

MAPPINGS_DIR = Path(__file__).parent / "mappings"
REGION_PARTNERS = (
    "mercy_hospital",
    "riverside_health",
    "county_public_health",
    "harbor_housing",
    "northside_food",
)


@dataclass(frozen=True)
class PartnerKeys:
    """One partner's key folder, as written by ``keygen``."""

    partner_id: str
    folder: Path
    keygen: KeygenResult | None  # None when the keys already existed


def ensure_keys(
    keys_root: str | Path, secret: str | Path, partners: tuple[str, ...] = REGION_PARTNERS
) -> dict[str, PartnerKeys]:
    """Create (once) each partner's keys under ``keys_root/<partner_id>/`` and the shared secret."""
    out = {}
    for pid in partners:
        folder = Path(keys_root) / pid
        made = None
        if not pseudonym_key_path(folder, pid).exists():
            made = keygen(folder, pid, shared_secret=secret)
        out[pid] = PartnerKeys(pid, folder, made)
    return out


def encode_region(
    partners_dir: str | Path,
    landing_dir: str | Path,
    keys_root: str | Path,
    *,
    secret: str | Path | None = None,
    as_of: date | None = None,
    partners: tuple[str, ...] = REGION_PARTNERS,
    progress: Progress | None = None,
) -> dict[str, EncodeResult]:
    """Encode ``partners_dir/<partner_id>/`` for every partner into ``landing_dir/<partner_id>/``.

    Args:
        partners_dir: ``<region>/partners`` as written by ``carehub synth``.
        landing_dir: The hub's ``landing/`` folder (one sub-folder per partner is used).
        keys_root: Where each partner keeps its keys and crosswalk (never the hub home).
        secret: The shared secret file; default ``keys_root/shared.secret`` (created if missing).
        as_of: Reference date (default today, UTC); use the region's ``--as-of`` for the demo.
        partners: Which partners to encode.
        progress: Called with ``"<partner>: <step>"`` messages.

    Returns:
        partner id -> :class:`partner.encode.EncodeResult` (package path, submission id, rows,
        key fingerprint, crosswalk path, encoding report).
    """
    secret_path = Path(secret) if secret else Path(keys_root) / "shared.secret"
    keys = ensure_keys(keys_root, secret_path, partners)
    results = {}
    for pid in partners:
        say = (lambda msg, p=pid: progress(f"{p}: {msg}")) if progress else None
        results[pid] = encode_partner(
            pid,
            secret_path,
            MAPPINGS_DIR / f"{pid}.yaml",
            Path(partners_dir) / pid,
            Path(landing_dir) / pid,
            as_of=as_of,
            partner_key_path=pseudonym_key_path(keys[pid].folder, pid),
            crosswalk_path=keys[pid].folder / f"{pid}.crosswalk.csv",
            progress=say,
        )
    return results


def report_rows(report: dict[str, Any]) -> list[tuple[str, int, int, int, int]]:
    """Per identifier field: (field, valid, missing, placeholder, other invalid) counts."""
    rows = []
    for fld, counts in report["fields"].items():
        other = sum(v for k, v in counts.items() if k not in ("valid", "missing", "placeholder"))
        rows.append(
            (
                fld,
                counts.get("valid", 0),
                counts.get("missing", 0),
                counts.get("placeholder", 0),
                other,
            )
        )
    return rows
