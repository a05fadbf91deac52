"""Canary test: distinctive identifiers go in, not one trace of them comes out.

Every byte of the package is searched (raw file bytes and the decoded Parquet contents),
case-insensitively, for each canary value in its raw and normalised forms and as plain unkeyed
md5/sha1/sha256 hex of those forms. The shared secret must not appear in any encoding either.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from encoding import normalise as n
from partner.encode import encode_partner
from partner.keyfiles import read_secret
from partner.keygen import keygen

MAPPING = Path(__file__).parents[1] / "partner" / "mappings" / "riverside_health.yaml"

CANARIES = [
    {
        "person_id": "CANARY-ID-7731",
        "given_name": "Quillozarbeth",
        "family_name": "Zyxwvandrelo",
        "birth_date": "1937-08-29",
        "gender": "F",
        "ssn": "287651934",
        "address_line": "9871 Canaryquill Boulevard Apt 77Q",
        "city": "Glimmerton",
        "state": "NH",
        "postal_code": "03245",
        "phone": "6039275518",
        "share_with_hie": "true",
    },
    {
        "person_id": "CANARY-ID-8842",
        "given_name": "Bartholomewz",
        "family_name": "Oxtrapolkin-Vee",
        "birth_date": "2001-02-13",
        "gender": "M",
        "ssn": "318826455",
        "address_line": "4410 Sparrowmint Terrace",
        "city": "Glimmerton",
        "state": "NH",
        "postal_code": "03246",
        "phone": "6037719043",
        "share_with_hie": "true",
    },
]
VISITS = [
    {
        "visit_id": "V-CANARY-EVENT-1",
        "person_id": "CANARY-ID-7731",
        "visit_class": "EMER",
        "visit_start": "2026-01-05",
        "visit_end": "2026-01-05",
        "principal_dx_category": "Injury",
        "facility_unit": "Riverside Emergency",
    }
]


def _forms(value: str) -> set[str]:
    forms = {value, value.upper(), value.replace("-", ""), value.replace(" ", "")}
    for normaliser in (
        n.normalise_first,
        n.normalise_last,
        n.normalise_address,
        n.normalise_city,
        n.normalise_phone_number,
        n.normalise_ssn_number,
    ):
        out = normaliser(value)
        if out:
            forms.add(out)
    return {f for f in forms if len(f) >= 4}


def _needles(values: list[str]) -> set[str]:
    needles: set[str] = set()
    for value in values:
        for form in _forms(value):
            needles.add(form.lower())
            for algo in ("md5", "sha1", "sha256"):
                for variant in (form, form.lower(), form.upper()):
                    needles.add(hashlib.new(algo, variant.encode()).hexdigest())
    return needles


def _haystack(package: Path) -> str:
    parts = []
    for path in sorted(package.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("latin-1"))
            if path.suffix == ".parquet":
                parts.append(pl.read_parquet(path).write_csv())
    return "\n".join(parts).lower()


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    root = tmp_path_factory.mktemp("canary")
    raw = root / "raw"
    raw.mkdir()
    pl.DataFrame(CANARIES).write_csv(raw / "persons.csv")
    pl.DataFrame(VISITS).write_csv(raw / "visits.csv")
    (raw / "problem_list.csv").write_text(
        "problem_id,person_id,icd10_code,problem_name,noted_date\n"
    )
    keygen(root / "keys", "riverside_health", shared_secret=root / "keys" / "shared.secret")
    result = encode_partner(
        "riverside_health",
        root / "keys" / "shared.secret",
        MAPPING,
        raw,
        root / "landing",
        as_of=date(2026, 6, 30),
    )
    assert result.persons_rows == 2 and result.events_rows == 1
    return result.package, read_secret(root / "keys" / "shared.secret")


def test_no_canary_in_any_output_byte(encoded: tuple[Path, bytes]) -> None:
    package, _ = encoded
    hay = _haystack(package)
    values = [
        str(v)
        for c in CANARIES
        for k, v in c.items()
        # The city too: spec 2.1 reads it as the locality (inside bf_addr only).
        if k not in ("gender", "state", "share_with_hie")
    ]
    values += [v["visit_id"] for v in VISITS]
    values += [c["birth_date"].replace("-", "") for c in CANARIES]
    hits = sorted(needle for needle in _needles(values) if _occurs(needle, hay))
    assert hits == []


def _occurs(needle: str, hay: str) -> bool:
    # A short all-digit canary (a ZIP) turns up inside random hex or numbers by chance: match
    # those only as a whole token. Everything else is matched anywhere.
    if needle.isdigit() and len(needle) < 9:
        return re.search(rf"(?<![0-9a-z]){needle}(?![0-9a-z])", hay) is not None
    return needle in hay


def test_needles_would_be_found(encoded: tuple[Path, bytes]) -> None:
    """The scan itself works: a planted canary and its hash are found."""
    package, _ = encoded
    hay = (
        _haystack(package)
        + ("\nQUILLOZARBETH " + hashlib.sha256(b"ZYXWVANDRELO").hexdigest()).lower()
    )
    hits = {needle for needle in _needles(["Quillozarbeth", "Zyxwvandrelo"]) if needle in hay}
    assert "quillozarbeth" in hits
    assert hashlib.sha256(b"ZYXWVANDRELO").hexdigest() in hits


def test_secret_not_in_package(encoded: tuple[Path, bytes]) -> None:
    package, secret = encoded
    hay = _haystack(package)
    for form in (
        secret.hex(),
        base64.b64encode(secret).decode().lower(),
        hashlib.sha256(secret).hexdigest(),
    ):
        assert form.lower() not in hay
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["key_fingerprint"] != hashlib.sha256(secret).hexdigest()
