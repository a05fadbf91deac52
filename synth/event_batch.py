"""A hospital's real-time event batch on a synthetic region: new ED visits and inpatient stays.

Mercy Hospital's EHR format (``docs/synthetic-data.md``): the patients the events are about
(``patients.csv``, rows copied from the region's export), their new encounters
(``encounters.csv``) and an empty ``chronic_conditions.csv``, so ``carehub partner encode
--events`` with the shipped mapping reads it as it reads a full export. The demo and
``benchmarks/alerts.py`` send it; the batch's truth (which resident each event is about) stays
with the caller, as the region's ground truth does.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np

PARTNER: Final = "mercy_hospital"
_DX: Final = ("CARDIO", "RESP", "BH", "INJ", "INF", "OTH")
_DATE: Final = "%m/%d/%Y %H:%M"


@dataclass(frozen=True)
class EventBatch:
    """Where the batch was written and what it holds.

    Attributes:
        folder: The raw batch (input of ``carehub partner encode --events``).
        events: ``(encounter id, MRN, encounter type)`` per event.
        patients: Distinct MRNs the batch is about.
    """

    folder: Path
    events: list[tuple[str, str, str]]
    patients: int


def write_event_batch(
    region: Path, out: Path, *, events: int, moment: datetime, seed: int
) -> EventBatch:
    """Write ``events`` new encounters of Mercy Hospital patients into ``out``.

    Args:
        region: The synthetic region (``carehub synth --out``), or a folder whose
            ``partners/mercy_hospital/patients.csv`` is Mercy's export.
        out: Folder to write (created).
        events: Encounters to write: ED visits, and inpatient stays admitted in the last day,
            a third of them discharged at ``moment``.
        moment: When the batch is sent (no encounter is after it).
        seed: Random seed (which patients, types, times).
    """
    rng = np.random.default_rng(seed)
    source = region / "partners" / PARTNER / "patients.csv"
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        patients = list(reader)
    chosen = rng.choice(len(patients), size=events, replace=len(patients) < events)
    out.mkdir(parents=True, exist_ok=True)
    rows, written = [], []
    for i, index in enumerate(chosen.tolist()):
        mrn = patients[index]["MRN"]
        admitted = moment - timedelta(minutes=int(rng.integers(5, 24 * 60)))
        kind = "ED" if rng.random() < 0.6 else "IP"
        discharged = moment if kind == "IP" and rng.random() < 1 / 3 else None
        enc_id = f"RT{seed:05d}{i:06d}"
        rows.append(
            {
                "ENC_ID": enc_id,
                "MRN": mrn,
                "ENC_TYPE": kind,
                "ADMIT_DT": admitted.strftime(_DATE),
                "DISCH_DT": discharged.strftime(_DATE) if discharged else "",
                "DX_GROUP": str(rng.choice(_DX)),
                "DEPT": "MERCY ED" if kind == "ED" else "MERCY 4 WEST",
            }
        )
        written.append((enc_id, mrn, kind))
    mrns = {mrn for _, mrn, _ in written}
    _write(out / "patients.csv", fields, [p for p in patients if p["MRN"] in mrns])
    _write(out / "encounters.csv", list(rows[0]) if rows else ["ENC_ID"], rows)
    _write(out / "chronic_conditions.csv", ["MRN", "CONDITION_FLAG", "FLAG_DT"], [])
    return EventBatch(out, written, len(mrns))


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
