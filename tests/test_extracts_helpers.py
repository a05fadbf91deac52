"""A small hub with hand-made rows in every layer, for the extract, open and deletion tests.

The layout follows docs/architecture.md (staging views, linkage, features, segments, archived
and quarantined packages). The seeded cases are named so the tests can say what they check.
"""

from __future__ import annotations

import atexit
import base64
import functools
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from governance_support import approve_changes, signing_public
from schema_support import add_submission, copy_hub_schema, insert_rows

from kernel.home import HubHome
from warehouse.extracts import ExtractInfo, build_extracts, hpke_info
from warehouse.features import build_features
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
            PartnerRegistration(
                p, sector, keys[p].public_b64, FINGERPRINT, signing_public_key=signing_public(p)
            )
            for p, sector in PARTNERS.items()
        ],
    )
    approve_changes(home)  # the partners found the governance (every one of them signs)
    builder = _Builder()
    seed(builder)
    shutil.copyfile(_seeded_hub_db(), home.hub_db)
    if archive:
        _write_packages(home, builder)
    for partner, pk in keys.items():
        rows = [(pseudonym(p, r), r) for (p, r) in builder.records if p == partner]
        pk.crosswalk.write_text(
            "record_pseudonym,record_id\n" + "".join(f"{a},{b}\n" for a, b in rows)
        )
    return Hub(home, keys, builder.records, builder.consented)


PERSON_COLUMNS = (
    "submission_id",
    "partner_id",
    "record_pseudonym",
    "birth_year",
    "sex",
    "zip3",
    "consented",
    "part2_consent",
    "tok_name_dob",
)
EVENT_COLUMNS = (
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
)


@functools.cache
def _seeded_hub_db() -> Path:
    """hub.duckdb with the real schema and the seeded rows in every layer, built once."""
    builder = _Builder()
    seed(builder)
    folder = Path(tempfile.mkdtemp(prefix="carehub-extracts-hub-"))
    atexit.register(shutil.rmtree, folder, True)
    path = copy_hub_schema(folder / "hub.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("BEGIN TRANSACTION")
        for partner in PARTNERS:
            add_submission(con, partner, f"{partner}-20261101T000000Z-00000001")
        insert_rows(
            con,
            "staging.persons",
            [dict(zip(PERSON_COLUMNS, r, strict=True)) for r in builder.persons],
        )
        insert_rows(
            con,
            "staging.events",
            [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in builder.events],
        )
        record_columns = ("partner_id", "record_pseudonym", "person_key", "run_id")
        insert_rows(
            con,
            "linkage.person_records",
            [dict(zip(record_columns, r, strict=True)) for r in builder.person_records],
        )
        by_person: dict[str, list[tuple]] = {}
        for row in builder.person_records:
            by_person.setdefault(row[2], []).append(row)
        persons, links = [], []
        for person, rows in by_person.items():
            persons.append(
                {
                    "person_key": person,
                    "n_records": len(rows),
                    "n_partners": len({r[0] for r in rows}),
                    "created_run": "run1",
                    "updated_run": "run1",
                }
            )
            for left, right in itertools.pairwise(rows):
                links.append(
                    {
                        "partner_id_l": left[0],
                        "record_pseudonym_l": left[1],
                        "partner_id_r": right[0],
                        "record_pseudonym_r": right[1],
                        "match_weight": 10.0,
                        "match_probability": 0.99,
                        "run_id": "run1",
                    }
                )
        insert_rows(con, "linkage.persons", persons)
        insert_rows(con, "linkage.links", links)
        membership_columns = ("person_key", "segment", "segment_version")
        insert_rows(
            con,
            "segments.membership",
            [dict(zip(membership_columns, r, strict=True)) for r in builder.membership],
        )
        # Every segment of the membership and of the agreements is defined.
        defined = sorted({*SEGMENTS, *(r[1] for r in builder.membership)})
        insert_rows(
            con,
            "segments.definitions",
            [
                {
                    "segment": segment,
                    "segment_version": "1",
                    "description": f"test segment {segment}",
                    "owner": "tests",
                    "rule": "TRUE",
                    "rule_sql": "TRUE",
                    "as_of_date": AS_OF,
                    "computed_at": NOW,
                }
                for segment in defined
            ],
        )
        con.execute("COMMIT")
        # The real features of the seeded records (features.person_features and the rest).
        build_features(con, AS_OF, partner_sectors=PARTNERS)
    return path


def _write_packages(home: HubHome, builder: _Builder) -> None:
    person_cols = list(PERSON_COLUMNS)
    event_cols = list(EVENT_COLUMNS)
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


def build(
    hub: Hub, now: datetime = NOW, *, approve: bool = True, **kwargs: object
) -> dict[str, ExtractInfo]:
    """Build extracts; a governance change a test made is first approved by every partner
    (unless ``approve`` is false)."""
    if approve:
        approve_changes(hub.home)
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
