"""``carehub partner encode`` end to end on small exports in each synthetic partner's format."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from contract.spec import SPEC_VERSION
from partner.encode import encode_partner
from partner.keygen import keygen
from partner.package import read_manifest

MAPPINGS = Path(__file__).parents[1] / "partner" / "mappings"
AS_OF = date(2026, 6, 30)

# Two people seen by every partner, one of them as a nickname with a day/month swap.
PEOPLE: list[dict[str, Any]] = [
    dict(
        id=1,
        first="Robert",
        last="Lindqvist",
        dob=date(1961, 4, 9),
        sex="M",
        street="412 Elm Street",
        unit="Apt 4B",
        zip="03301",
        phone="6035551234",
        ssn="219456789",
    ),
    dict(
        id=2,
        first="Ana",
        last="Ferreira-Soto",
        dob=date(1990, 11, 23),
        sex="F",
        street="9 Pine Road",
        unit="",
        zip="03601",
        phone="6035559876",
        ssn="212345671",
    ),
]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _phone_parts(p: dict[str, Any]) -> tuple[str, str, str]:
    phone = str(p["phone"])
    return phone[:3], phone[3:6], phone[6:]


def make_exports(root: Path, people: list[dict[str, Any]] = PEOPLE) -> Path:
    """Write one small export per partner, in the formats of docs/synthetic-data.md."""
    d = lambda p, f: p["dob"].strftime(f)  # noqa: E731
    _write(
        root / "mercy_hospital/patients.csv",
        [
            {
                "MRN": f"MRN{p['id']:08d}",
                "PAT_LAST_NAME": str(p["last"]).upper(),
                "PAT_FIRST_NAME": str(p["first"]).upper(),
                "PAT_MIDDLE_NAME": "",
                "BIRTH_DATE": d(p, "%m/%d/%Y"),
                "SEX": {"F": "Female", "M": "Male"}[str(p["sex"])],
                "SSN": f"{str(p['ssn'])[:3]}-{str(p['ssn'])[3:5]}-{str(p['ssn'])[5:]}",
                "ADDR_LINE_1": str(p["street"]).upper(),
                "ADDR_LINE_2": str(p["unit"]).upper(),
                "CITY": "CONCORD",
                "STATE": "NH",
                "ZIP": p["zip"],
                "HOME_PHONE": "({}) {}-{}".format(*_phone_parts(p)),
                "HIE_OPT_OUT": "N",
                "REG_DATE": "01/02/2025",
            }
            for p in people
        ],
    )
    _write(
        root / "mercy_hospital/encounters.csv",
        [
            {
                "ENC_ID": f"E{p['id']:010d}",
                "MRN": f"MRN{p['id']:08d}",
                "ENC_TYPE": "IP",
                "ADMIT_DT": "03/01/2026 10:30",
                "DISCH_DT": "03/04/2026 12:00",
                "DX_GROUP": "CARDIO",
                "DEPT": "MERCY 4 WEST",
            }
            for p in people
        ],
    )
    _write(
        root / "mercy_hospital/chronic_conditions.csv",
        [
            {"MRN": f"MRN{p['id']:08d}", "CONDITION_FLAG": "DM", "FLAG_DT": "05/06/2024"}
            for p in people
        ],
    )
    _write(
        root / "riverside_health/persons.csv",
        [
            {
                "person_id": f"RS-{p['id']:07d}",
                "given_name": p["first"],
                "family_name": p["last"],
                "birth_date": d(p, "%Y-%m-%d"),
                "gender": p["sex"],
                "ssn": p["ssn"],
                "address_line": f"{p['street']} {p['unit']}".strip(),
                "city": "Concord",
                "state": "NH",
                "postal_code": p["zip"],
                "phone": p["phone"],
                "share_with_hie": "true",
            }
            for p in people
        ],
    )
    _write(
        root / "riverside_health/visits.csv",
        [
            {
                "visit_id": f"V{p['id']:09d}",
                "person_id": f"RS-{p['id']:07d}",
                "visit_class": "EMER",
                "visit_start": "2026-02-01",
                "visit_end": "2026-02-01",
                "principal_dx_category": "Injury",
                "facility_unit": "Riverside Emergency",
            }
            for p in people
        ],
    )
    _write(
        root / "riverside_health/problem_list.csv",
        [
            {
                "problem_id": f"PL{p['id']:09d}",
                "person_id": f"RS-{p['id']:07d}",
                "icd10_code": "I10",
                "problem_name": "Hypertension",
                "noted_date": "2025-01-01",
            }
            for p in people
        ],
    )
    _write(
        root / "county_public_health/case_persons.csv",
        [
            {
                "CaseID": f"PH2024-{p['id']:06d}",
                "LastName": p["last"],
                "FirstName": p["first"],
                "MiddleInitial": "",
                "DOB": d(p, "%Y%m%d"),
                "Sex": {"M": "1", "F": "2"}[str(p["sex"])],
                "SSN": "",
                "StreetAddress": str(p["street"]).upper(),
                "City": "CONCORD",
                "State": "NH",
                "Zip": p["zip"],
                "Phone": f"{str(p['phone'])[:3]}-{str(p['phone'])[3:6]}-{str(p['phone'])[6:]}",
                "DataSharingOptOut": "0",
            }
            for p in people
        ],
    )
    county_events = [
        (p, t, c) for p in people for t, c in (("OD", "OPIOID"), ("IMM", "FLU"), ("RC", "HEPC"))
    ]
    _write(
        root / "county_public_health/events.csv",
        [
            {
                "EventID": f"EV{i:08d}",
                "CaseID": f"PH2024-{p['id']:06d}",
                "EventType": t,
                "EventDate": "20260110",
                "Condition": c,
                "ReportingSource": "Lab report",
            }
            for i, (p, t, c) in enumerate(county_events)
        ],
    )
    _write(
        root / "harbor_housing/clients.csv",
        [
            {
                "Client ID": f"HH-{p['id']}",
                "First Name": "Bob" if p["first"] == "Robert" else p["first"],
                "Last Name": p["last"],
                "Date of Birth": p["dob"].strftime("%d-%b-%Y") if p["id"] != 2 else "",
                "Birth Year": p["dob"].year,
                "Gender": {"F": "Woman", "M": "Man"}[str(p["sex"])],
                "SSN": "XXX-XX-6789",
                "Address": p["street"],
                "Unit": p["unit"],
                "City": "Concord",
                "ZIP": p["zip"],
                "Phone": f"{str(p['phone'])[:3]}.{str(p['phone'])[3:6]}.{str(p['phone'])[6:]}",
                "Consent to share": "Yes",
                "Part 2 Consent": "No",
                "Enrollment Date": "01-Feb-2025",
            }
            for p in people
        ],
    )
    _write(
        root / "harbor_housing/screenings.csv",
        [
            {
                "Screening ID": f"SCR-{p['id']}",
                "Client ID": f"HH-{p['id']}",
                "Screening Date": "05-Jan-2026",
                "Domain": dom,
                "Answer": "Yes",
            }
            for p in people
            for dom in ("Housing Instability", "Food Insecurity")
        ],
    )
    _write(
        root / "harbor_housing/services.csv",
        [
            {
                "Service ID": f"SV-{p['id']}",
                "Client ID": f"HH-{p['id']}",
                "Service Date": "06-Jan-2026",
                "Service Type": "Substance Use Treatment",
                "Service or Referral": "Referral",
                "Program": "Recovery Housing",
            }
            for p in people
        ],
    )
    _write(
        root / "northside_food/members.csv",
        [
            {
                "member_id": f"NF{p['id']:07d}",
                "fname": p["first"],
                "lname": p["last"],
                "birthdate": f"{p['dob'].day}/{p['dob'].month}/{p['dob'].year}",  # day/month swap
                "birth_year": p["dob"].year,
                "sex": p["sex"],
                "address": f"{p['street']} {p['unit']}".strip(),
                "zip": p["zip"],
                "phone": f"({str(p['phone'])[:3]}){str(p['phone'])[3:6]}-{str(p['phone'])[6:]}",
                "household_size": 2,
                "consent_share": "Y",
                "enrolled_on": "3/4/2025",
            }
            for p in people
        ],
    )
    _write(
        root / "northside_food/screenings.csv",
        [
            {
                "screen_id": f"S{p['id']:08d}",
                "member_id": f"NF{p['id']:07d}",
                "screen_date": "1/5/2026",
                "question": "FOOD",
                "response": "1",
            }
            for p in people
        ],
    )
    _write(
        root / "northside_food/visits.csv",
        [
            {
                "visit_no": p["id"],
                "member_id": f"NF{p['id']:07d}",
                "visit_date": "1/6/2026",
                "service_code": "PANTRY",
                "visit_kind": "service",
                "site": "Main St Pantry",
            }
            for p in people
        ],
    )
    return root


PARTNERS = [
    "mercy_hospital",
    "riverside_health",
    "county_public_health",
    "harbor_housing",
    "northside_food",
]


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("region")
    raw = make_exports(root / "raw")
    secret = root / "shared.secret"
    results = {}
    for pid in PARTNERS:
        keydir = root / "keys" / pid
        keygen(keydir, pid, shared_secret=secret)
        results[pid] = encode_partner(
            pid,
            secret,
            MAPPINGS / f"{pid}.yaml",
            raw / pid,
            root / "landing" / pid,
            as_of=AS_OF,
            partner_key_path=keydir / f"{pid}.pseudonym.key",
            crosswalk_path=keydir / "crosswalk.csv",
        )
    return {"root": root, "results": results, "secret": secret}


@pytest.mark.parametrize("pid", PARTNERS)
def test_package_matches_manifest(region: dict[str, Any], pid: str) -> None:
    result = region["results"][pid]  # type: ignore[index]
    manifest = read_manifest(result.package)
    assert manifest["partner_id"] == pid and manifest["spec_version"] == SPEC_VERSION
    assert manifest["submission_id"] == result.package.name
    assert sorted(p.name for p in result.package.iterdir()) == [
        "encoding_report.json",
        "events.parquet",
        "manifest.json",
        "persons.parquet",
    ]
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((result.package / name).read_bytes()).hexdigest() == meta["sha256"]
        if "rows" in meta:
            assert pl.read_parquet(result.package / name).height == meta["rows"]
    assert manifest["files"]["persons.parquet"]["rows"] == 2
    assert manifest["files"]["events.parquet"]["rows"] >= 2
    assert not (result.package / "manifest.json.tmp").exists()


def test_all_partners_share_fingerprint_and_linkable_tokens(region: dict[str, Any]) -> None:
    results = region["results"]  # type: ignore[assignment]
    fps = {r.key_fingerprint for r in results.values()}
    assert len(fps) == 1
    persons = {pid: pl.read_parquet(r.package / "persons.parquet") for pid, r in results.items()}
    # The swap-invariant first-name token agrees everywhere: nickname "Bob" and northside's
    # day/month swap included.
    for pid, frame in persons.items():
        tokens = set(frame["tok_first_dob"].drop_nulls().to_list())
        assert tokens and tokens <= set(persons["mercy_hospital"]["tok_first_dob"].to_list()), pid
        assert frame["tok_last_dob"].null_count() == (
            1 if pid in ("harbor_housing", "northside_food") else 0
        ), pid
    # Pseudonyms are under partner-only keys: no two partners' pseudonyms join.
    pseudonyms = [set(f["record_pseudonym"].to_list()) for f in persons.values()]
    assert sum(len(p) for p in pseudonyms) == len(set().union(*pseudonyms))
    harbor = persons["harbor_housing"]
    assert harbor["tok_ssn"].null_count() == 2, "partial SSNs are not usable"
    assert harbor.filter(pl.col("bf_dob_0").is_null()).height == 1, "year-only DOB"
    assert harbor["birth_year"].null_count() == 0
    assert sorted(persons["mercy_hospital"]["zip3"].to_list()) == ["000", "033"]


def test_events_are_canonical(region: dict[str, Any]) -> None:
    results = region["results"]  # type: ignore[assignment]
    harbor = pl.read_parquet(results["harbor_housing"].package / "events.parquet")  # type: ignore[index]
    assert set(harbor["event_type"]) == {"hrsn_screening", "referral"}
    assert harbor.filter(pl.col("category") == "substance_use_treatment")["part2"].to_list() == [
        True,
        True,
    ]
    county = pl.read_parquet(results["county_public_health"].package / "events.parquet")  # type: ignore[index]
    assert county.filter(pl.col("event_type") == "overdose")["category"].null_count() == 2
    assert set(county.filter(pl.col("event_type") == "immunization")["category"]) == {"influenza"}
    mercy = pl.read_parquet(results["mercy_hospital"].package / "events.parquet")  # type: ignore[index]
    inpatient = mercy.filter(pl.col("event_type") == "inpatient_stay")
    assert inpatient["end_date"].to_list() == [date(2026, 3, 4)] * 2
    assert all(len(e) == 32 for e in mercy["event_id"])


def test_crosswalk_stays_with_partner(region: dict[str, Any]) -> None:
    result = region["results"]["riverside_health"]  # type: ignore[index]
    assert oct(result.crosswalk.stat().st_mode & 0o777) == "0o600"
    xwalk = pl.read_csv(result.crosswalk, infer_schema=False)
    assert sorted(xwalk["record_id"]) == ["RS-0000001", "RS-0000002"]
    persons = pl.read_parquet(result.package / "persons.parquet")
    assert set(xwalk["record_pseudonym"]) == set(persons["record_pseudonym"])


def test_report_counts_without_values(region: dict[str, Any]) -> None:
    result = region["results"]["harbor_housing"]  # type: ignore[index]
    report = json.loads((result.package / "encoding_report.json").read_text())
    assert report["fields"]["ssn"] == {"valid": 0, "invalid": 2}
    assert report["birth_year"]["year_only"] == 1
    assert report["fields"]["first_name"]["valid"] == 2
    text = json.dumps(report)
    for person in PEOPLE:
        assert str(person["last"]).upper() not in text.upper()


def test_encode_region_reuses_keys(tmp_path: Path) -> None:
    from partner.region import encode_region

    raw = make_exports(tmp_path / "raw")
    two_partners = ("riverside_health", "harbor_housing")
    first = encode_region(
        raw, tmp_path / "landing", tmp_path / "keys", as_of=AS_OF, partners=two_partners
    )
    again = encode_region(
        raw, tmp_path / "landing", tmp_path / "keys", as_of=AS_OF, partners=two_partners
    )
    assert sorted(first) == sorted(two_partners)
    for pid in two_partners:
        assert first[pid].submission_id != again[pid].submission_id
        one = pl.read_parquet(first[pid].package / "persons.parquet")
        two = pl.read_parquet(again[pid].package / "persons.parquet")
        assert one.equals(two), "same keys and input give identical encodings"
    assert len(list((tmp_path / "landing").glob("*/*/manifest.json"))) == 4
