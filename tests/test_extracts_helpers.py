"""A small hub with hand-made rows in every layer, for the extract, open and deletion tests.

The layout follows docs/architecture.md (staging views, linkage, features, segments, archived
and quarantined packages). The seeded cases are named so the tests can say what they check.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from carehub.home import HubHome
from warehouse.extracts import ExtractInfo, build_extracts, hpke_info
from warehouse.governance import PartnerRegistration, load_governance, write_governance
from warehouse.keys import ensure_signing_key

AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
FINGERPRINT = "ab" * 32
PARTNERS = {
    "mercy_hospital": "hospital",
    "harbor_housing": "cbo_housing",
    "northside_food": "cbo_food",
    "county_public_health": "public_health",
}
SEGMENTS = (
    "camden_high_utilizers",
    "frequent_ed_housing_instability",
    "food_insecurity_diabetes",
    "overdose_without_bh_services",
)


def pseudonym(partner: str, record: str) -> str:
    return hashlib.sha256(f"{partner}/{record}".encode()).hexdigest()


@dataclass
class PartnerKeys:
    partner_id: str
    private_key: X25519PrivateKey
    key_file: Path
    crosswalk: Path

    @property
    def public_b64(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()


@dataclass
class Hub:
    home: HubHome
    partners: dict[str, PartnerKeys]
    # (partner, record id) -> person key
    records: dict[tuple[str, str], str] = field(default_factory=dict)
    consented: dict[tuple[str, str], bool] = field(default_factory=dict)

    def pseudonyms_of(self, partner: str) -> set[str]:
        return {pseudonym(p, r) for p, r in self.records if p == partner}

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.home.hub_db))


_DDL = """
CREATE SCHEMA staging; CREATE SCHEMA linkage; CREATE SCHEMA features; CREATE SCHEMA segments;
CREATE TABLE staging.submissions (submission_id VARCHAR PRIMARY KEY, partner_id VARCHAR,
    state VARCHAR, received_at TIMESTAMP);
CREATE TABLE staging.persons (submission_id VARCHAR, partner_id VARCHAR,
    record_pseudonym VARCHAR, birth_year SMALLINT, sex VARCHAR, zip3 VARCHAR,
    consented BOOLEAN, part2_consent BOOLEAN, tok_name_dob VARCHAR);
CREATE TABLE staging.events (submission_id VARCHAR, partner_id VARCHAR,
    record_pseudonym VARCHAR, event_id VARCHAR, event_type VARCHAR, event_date DATE,
    category VARCHAR, result VARCHAR, program VARCHAR, part2 BOOLEAN);
CREATE VIEW staging.current_persons AS SELECT p.* FROM staging.persons p
    JOIN staging.submissions s USING (submission_id) WHERE s.state = 'ingested';
CREATE VIEW staging.current_events AS SELECT e.* FROM staging.events e
    JOIN staging.submissions s USING (submission_id) WHERE s.state = 'ingested';
CREATE TABLE linkage.person_records (partner_id VARCHAR, record_pseudonym VARCHAR,
    person_key VARCHAR, run_id VARCHAR);
CREATE TABLE linkage.persons (person_key VARCHAR PRIMARY KEY, n_records INTEGER,
    n_partners INTEGER);
CREATE TABLE linkage.links (partner_id_l VARCHAR, record_pseudonym_l VARCHAR,
    partner_id_r VARCHAR, record_pseudonym_r VARCHAR, match_probability DOUBLE);
CREATE TABLE features.person_features (person_key VARCHAR, ed_visits_6m INTEGER);
CREATE TABLE segments.membership (person_key VARCHAR, segment VARCHAR, segment_version VARCHAR);
"""


def _partner_keys(root: Path, partner: str) -> PartnerKeys:
    folder = root / "partners" / partner
    folder.mkdir(parents=True, exist_ok=True)
    key = X25519PrivateKey.generate()
    key_file = folder / "extract_key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(key_file, 0o600)
    return PartnerKeys(partner, key, key_file, folder / "crosswalk.csv")


class _Builder:
    def __init__(self) -> None:
        self.persons: list[tuple] = []
        self.events: list[tuple] = []
        self.person_records: list[tuple] = []
        self.membership: list[tuple] = []
        self.records: dict[tuple[str, str], str] = {}
        self.consented: dict[tuple[str, str], bool] = {}

    def record(
        self,
        person: str,
        partner: str,
        record: str,
        *,
        consented: bool = True,
        part2_consent: bool = False,
        events: tuple[tuple[str, str | None, str | None, int, bool], ...] = (),
    ) -> None:
        pseudo = pseudonym(partner, record)
        sub = f"{partner}-20261101T000000Z-00000001"
        self.persons.append(
            (sub, partner, pseudo, 1970, "F", "021", consented, part2_consent, "c" * 32)
        )
        for i, (etype, category, result, days_ago, part2) in enumerate(events):
            event_id = hashlib.md5(f"{pseudo}/{i}".encode()).hexdigest()
            day = AS_OF - timedelta(days=days_ago)
            self.events.append(
                (
                    sub,
                    partner,
                    pseudo,
                    event_id,
                    etype,
                    day,
                    category,
                    result,
                    "=HYPERLINK(1)",
                    part2,
                )
            )
        self.person_records.append((partner, pseudo, person, "run1"))
        self.records[(partner, record)] = person
        self.consented[(partner, record)] = consented

    def segment(self, person: str, *segments: str) -> None:
        for segment in segments:
            self.membership.append((person, segment, "1"))


def seed(builder: _Builder) -> None:
    """The seeded cases (person keys name what each one tests)."""
    b = builder
    # Shared client: ED visits at mercy, recent housing service at harbor.
    b.record(
        "Pshared", "mercy_hospital", "m-shared", events=(("ed_visit", "injury", None, 20, False),)
    )
    b.record(
        "Pshared",
        "harbor_housing",
        "h-shared",
        events=(
            ("service", "housing_navigation", None, 10, False),
            ("hrsn_screening", "housing_instability", "positive", 30, False),
        ),
    )
    b.segment("Pshared", "camden_high_utilizers", "frequent_ed_housing_instability")
    # Not consented at mercy: never in mercy's extract, and never context for harbor.
    b.record(
        "Pnocons",
        "mercy_hospital",
        "m-nocons",
        consented=False,
        events=(("ed_visit", "injury", None, 5, False),),
    )
    b.record("Pnocons", "harbor_housing", "h-nocons")
    b.segment("Pnocons", "camden_high_utilizers", "frequent_ed_housing_instability")
    # Part 2 treatment at harbor WITHOUT consent: public health must not learn it.
    b.record(
        "Ppart2no",
        "county_public_health",
        "c-part2no",
        events=(("overdose", None, None, 40, False),),
    )
    b.record(
        "Ppart2no",
        "harbor_housing",
        "h-part2no",
        part2_consent=False,
        events=(("service", "substance_use_treatment", None, 15, True),),
    )
    b.segment("Ppart2no", "overdose_without_bh_services")
    # Part 2 treatment at harbor WITH consent: the flag may be set.
    b.record(
        "Ppart2yes",
        "county_public_health",
        "c-part2yes",
        events=(("overdose", None, None, 40, False),),
    )
    b.record(
        "Ppart2yes",
        "harbor_housing",
        "h-part2yes",
        part2_consent=True,
        events=(("service", "substance_use_treatment", None, 15, True),),
    )
    b.segment("Ppart2yes", "overdose_without_bh_services")
    # In a segment mercy's agreement does not allow: not in mercy's extract.
    b.record("Pother", "mercy_hospital", "m-other")
    b.segment("Pother", "some_other_segment")
    # In no segment at all.
    b.record("Pnone", "mercy_hospital", "m-none")
    # Food CBO member with diabetes and food insecurity; also at mercy.
    b.record(
        "Pfood",
        "northside_food",
        "f-food",
        events=(("hrsn_screening", "food_insecurity", "positive", 50, False),),
    )
    b.record(
        "Pfood", "mercy_hospital", "m-food", events=(("inpatient_stay", "other", None, 60, False),)
    )
    b.segment("Pfood", "food_insecurity_diabetes")
    # Enough mercy high utilisers that one segment count is above the disclosure threshold.
    for i in range(14):
        b.record(f"Pmany{i:02d}", "mercy_hospital", f"m-many-{i:02d}")
        b.segment(f"Pmany{i:02d}", "camden_high_utilizers")


def make_hub(tmp_path: Path, *, archive: bool = True) -> Hub:
    """A hub home with governance, every layer filled, archived and quarantined packages."""
    home = HubHome(tmp_path / "home").ensure()
    # The hub was initialised (first signing key) well before the extracts are built.
    ensure_signing_key(
        home, now=datetime.combine(AS_OF, datetime.min.time(), UTC) - timedelta(days=60)
    )
    keys = {p: _partner_keys(tmp_path, p) for p in PARTNERS}
    write_governance(
        home,
        [
            PartnerRegistration(p, sector, keys[p].public_b64, FINGERPRINT)
            for p, sector in PARTNERS.items()
        ],
    )
    builder = _Builder()
    seed(builder)
    con = duckdb.connect(str(home.hub_db))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(_DDL)
        for partner in PARTNERS:
            con.execute(
                "INSERT INTO staging.submissions VALUES (?, ?, 'ingested', now())",
                [f"{partner}-20261101T000000Z-00000001", partner],
            )
        con.executemany("INSERT INTO staging.persons VALUES (?,?,?,?,?,?,?,?,?)", builder.persons)
        con.executemany("INSERT INTO staging.events VALUES (?,?,?,?,?,?,?,?,?,?)", builder.events)
        con.executemany(
            "INSERT INTO linkage.person_records VALUES (?,?,?,?)", builder.person_records
        )
        by_person: dict[str, list[tuple]] = {}
        for row in builder.person_records:
            by_person.setdefault(row[2], []).append(row)
        for person, rows in by_person.items():
            con.execute(
                "INSERT INTO linkage.persons VALUES (?, ?, ?)",
                [person, len(rows), len({r[0] for r in rows})],
            )
            con.execute("INSERT INTO features.person_features VALUES (?, 1)", [person])
            for left, right in itertools.pairwise(rows):
                con.execute(
                    "INSERT INTO linkage.links VALUES (?, ?, ?, ?, 0.99)",
                    [left[0], left[1], right[0], right[1]],
                )
        con.executemany("INSERT INTO segments.membership VALUES (?,?,?)", builder.membership)
        con.execute("COMMIT")
    finally:
        con.close()
    if archive:
        _write_packages(home, builder)
    for partner, pk in keys.items():
        rows = [(pseudonym(p, r), r) for (p, r) in builder.records if p == partner]
        pk.crosswalk.write_text(
            "record_pseudonym,record_id\n" + "".join(f"{a},{b}\n" for a, b in rows)
        )
    return Hub(home, keys, builder.records, builder.consented)


def _write_packages(home: HubHome, builder: _Builder) -> None:
    person_cols = [
        "submission_id",
        "partner_id",
        "record_pseudonym",
        "birth_year",
        "sex",
        "zip3",
        "consented",
        "part2_consent",
        "tok_name_dob",
    ]
    event_cols = [
        "submission_id",
        "partner_id",
        "record_pseudonym",
        "event_id",
        "event_type",
        "event_date",
        "category",
        "result",
        "program",
        "part2",
    ]
    for partner in PARTNERS:
        sub = f"{partner}-20261101T000000Z-00000001"
        folder = home.archive / partner / sub
        folder.mkdir(parents=True)
        persons = [
            dict(zip(person_cols, r, strict=True)) for r in builder.persons if r[1] == partner
        ]
        events = [dict(zip(event_cols, r, strict=True)) for r in builder.events if r[1] == partner]
        files = {}
        for name, rows, cols in (
            ("persons.parquet", persons, person_cols),
            ("events.parquet", events, event_cols),
        ):
            table = (
                pa.Table.from_pylist(rows)
                if rows
                else pa.table({c: pa.array([], pa.string()) for c in cols})
            )
            table = table.drop_columns(
                [c for c in ("submission_id", "partner_id") if c in table.column_names]
            )
            pq.write_table(table, folder / name)
            files[name] = {
                "sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest(),
                "rows": table.num_rows,
            }
        (folder / "manifest.json").write_text(
            json.dumps(
                {"spec_version": "1.0", "submission_id": sub, "partner_id": partner, "files": files}
            )
        )
    # A quarantined harbor package that also holds the shared client's pseudonym.
    quarantined = home.quarantine / "harbor_housing" / "harbor_housing-20261102T000000Z-0000000q"
    quarantined.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "record_pseudonym": [
                    pseudonym("harbor_housing", "h-shared"),
                    pseudonym("harbor_housing", "h-nocons"),
                ],
                "sex": ["F", "M"],
            }
        ),
        quarantined / "persons.parquet",
    )
    (quarantined / "reason.json").write_text(
        json.dumps({"reason": "duplicate records", "rows": [1, 2]})
    )


_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def build(hub: Hub, now: datetime = NOW, **kwargs: object) -> dict[str, ExtractInfo]:
    con = hub.connect()
    try:
        infos = build_extracts(con, hub.home, load_governance(hub.home), now=now, **kwargs)
    finally:
        con.close()
    return {i.partner_id: i for i in infos}


def decrypt(hub: Hub, info: ExtractInfo) -> tuple[dict, dict]:
    """The hub-independent way to read an extract: HPKE with the partner's private key."""
    envelope = json.loads(info.current.read_text())
    manifest = envelope["manifest"]
    info_bytes = hpke_info(manifest["recipient"], manifest["extract_id"], manifest["expires_at"])
    plaintext = _SUITE.decrypt(
        base64.b64decode(envelope["ciphertext"]),
        hub.partners[info.partner_id].private_key,
        info=info_bytes,
    )
    return manifest, json.loads(plaintext)
