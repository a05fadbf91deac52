"""Demo-only helpers that use the partner side's knowledge (raw data, ground truth).

The hub never runs any of this: it is the demo (and the tests) playing the part of a partner
that makes a mistake, and of an auditor who knows every identifier and looks for it in the hub.
"""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from carehub.demo import REGION_DIR

# The hub holds real service dates (a visit, a screening). A birth date that is also one of
# the region's service dates cannot be told from it, so such dates are not searched for.


def _dob_forms(dob: date) -> Iterator[str]:
    yield dob.strftime("%Y-%m-%d")
    yield dob.strftime("%m/%d/%Y")
    yield dob.strftime("%Y%m%d")
    yield dob.strftime("%d/%m/%Y")


def identifier_needles(partners_dir: Path) -> list[tuple[str, str]]:
    """Every identifier value the partners hold, as ``(kind, value)`` for the privacy scan.

    Covers full names (both orders), birth dates in several formats, SSNs, phones, street lines
    (current and previous), every partner record id, and the shared secret.
    """
    region = partners_dir / REGION_DIR
    residents = pl.read_parquet(region / "ground_truth" / "residents.parquet")
    service_dates = _service_dates(partners_dir)
    needles: list[tuple[str, str]] = []
    for row in residents.iter_rows(named=True):
        first, last = row["first_name"], row["last_name"]
        if first and last:
            needles += [("name", f"{first} {last}"), ("name", f"{last} {first}")]
        if row.get("alt_last_name") and first:
            needles.append(("name", f"{first} {row['alt_last_name']}"))
        if row["dob"] and row["dob"] not in service_dates:
            needles += [("dob", form) for form in _dob_forms(row["dob"])]
        for column in ("ssn", "phone", "alt_phone"):
            if row.get(column):
                kind = column.removeprefix("alt_")
                needles += [(kind, form) for form in _number_forms(str(row[column]))]
        for street in ("street", "prev_street"):
            if row.get(street):
                needles.append(("address", str(row[street])))
    with (region / "ground_truth" / "truth.csv").open(newline="") as fh:
        needles += [("record_id", r["source_record_id"]) for r in csv.DictReader(fh)]
    for secret in sorted(partners_dir.glob("*/keys/shared.secret"))[:1]:
        needles += [("secret", form) for form in _secret_forms(secret.read_bytes())]
    return needles


def _number_forms(value: str) -> list[str]:
    """A phone or SSN as written, as bare digits, and in its usual groups (3-3-4, 3-2-4)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    forms = [value, digits]
    if len(digits) == 10:
        forms.append(f"{digits[:3]} {digits[3:6]} {digits[6:]}")
    if len(digits) == 9:
        forms.append(f"{digits[:3]} {digits[3:5]} {digits[5:]}")
    return forms


def _service_dates(partners_dir: Path) -> set[date]:
    """Every event date the partners submitted (from their own outgoing packages)."""
    dates: set[date] = set()
    for events in partners_dir.glob("*/outgoing/*/events.parquet"):
        table = pl.read_parquet(events, columns=["event_date", "end_date"])
        for column in table.columns:
            dates.update(d for d in table[column].unique().to_list() if d is not None)
    return dates


def _secret_forms(data: bytes) -> Iterator[str]:
    text = data.decode("utf-8", errors="replace").strip()
    yield text
    yield data.hex()
    yield base64.b64encode(data).decode()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            return
    yield raw.hex()
    yield base64.b64encode(raw).decode()


def smuggle_name_column(
    encoded: Any, mapping: Path, raw_dir: Path, outgoing: Path, signing_key: Path
) -> Path:
    """Re-package ``encoded`` with a ``first_name`` column left in, as a careless re-export would.

    The names are the partner's own (synthetic) ones, so the hub's identifier detector has real
    names to find. The package is otherwise well-formed: checksums and counts match, and the
    partner signed it with its own key (carelessness, not forgery).
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from partner.keygen import read_signing_key
    from partner.mapping import load_mapping
    from partner.package import read_manifest, write_package

    package = Path(encoded.package)
    manifest = read_manifest(package)
    persons = pq.read_table(package / "persons.parquet")
    events = pq.read_table(package / "events.parquet")
    people = load_mapping(mapping).persons
    raw = pl.read_csv(raw_dir / people.file, infer_schema=False)
    names = [n for n in raw[people.first_name.columns[0]].to_list() if n] or ["Maria"]
    column = pa.array([names[i % len(names)] for i in range(persons.num_rows)], pa.string())
    return write_package(
        outgoing,
        partner_id=manifest["partner_id"],
        persons=persons.append_column("first_name", column),
        events=events,
        key_fingerprint=manifest["key_fingerprint"],
        report={},
        validate=False,
        signing_key=read_signing_key(signing_key),
    )
