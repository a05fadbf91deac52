"""Stand-in encoder and tiny synthetic population for the linkage tests (no tests in here).

Used only until the real partner encoder lands; it follows the column contract of
``linkage/encoding/spec.py`` (HMAC tokens, 512-bit Bloom filters as 8 signed BIGINT words).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl

from linkage.encoding.spec import BLOOM_WORDS, TOKEN_COLUMNS, bloom_columns

TEST_KEY = b"linkage-tests-not-a-real-secret"
ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "partner" / "mappings"
AS_OF = date(2026, 11, 26)
NICKNAMES = {"BOB": "ROBERT", "ROB": "ROBERT", "BILL": "WILLIAM", "LIZ": "ELIZABETH",
             "BETH": "ELIZABETH", "JIM": "JAMES", "KATE": "KATHERINE", "TOM": "THOMAS",
             "MIKE": "MICHAEL", "PEGGY": "MARGARET", "SUE": "SUSAN", "DAVE": "DAVID"}


@dataclass(frozen=True)
class Person:
    first: str | None
    last: str | None
    dob: date | None
    sex: str = "U"
    street: str | None = None
    zip5: str | None = None
    phone: str | None = None
    ssn: str | None = None


def _tok(purpose: str, *parts: str | None) -> str | None:
    if any(p is None for p in parts):
        return None
    msg = (purpose + "|" + "|".join(p for p in parts if p is not None)).encode()
    return hmac.new(TEST_KEY, msg, hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=100_000)
def _bloom(field: str, value: str | None) -> tuple[int | None, ...]:
    if not value:
        return (None,) * BLOOM_WORDS
    padded = f"_{value}_"
    bits = 0
    for gram in {padded[i : i + 2] for i in range(len(padded) - 1)}:
        for k in range(15):
            h = hmac.new(TEST_KEY, f"bf|{field}|{k}|{gram}".encode(), hashlib.sha256).digest()
            bits |= 1 << (int.from_bytes(h[:4], "big") % (BLOOM_WORDS * 64))
    words = []
    for i in range(BLOOM_WORDS):
        w = (bits >> (64 * i)) & ((1 << 64) - 1)
        words.append(w - (1 << 64) if w >= 1 << 63 else w)
    return tuple(words)


def encode(p: Person) -> dict[str, object]:
    """Encode one person as a spec-1.0 persons row (without pseudonym and partner)."""
    first = NICKNAMES.get(p.first or "", p.first) if p.first else None
    dob = p.dob.isoformat() if p.dob else None
    swap = (
        f"{p.dob.year}-{'-'.join(sorted([f'{p.dob.month:02d}', f'{p.dob.day:02d}']))}"
        if p.dob
        else None
    )
    ym = f"{p.dob.year}-{p.dob.month:02d}" if p.dob else None
    full = "|".join(sorted([p.first or "", p.last or ""])) if p.first and p.last else None
    addr = f"{p.street} {p.zip5}" if p.street and p.zip5 else None
    toks = {
        "tok_name_dob": _tok("name_dob", first, p.last, dob),
        "tok_first_dob": _tok("first_dob", first, swap),
        "tok_last_dob": _tok("last_dob", p.last, swap),
        "tok_fullname": _tok("fullname", full),
        "tok_dob": _tok("dob", dob),
        "tok_dob_swap": _tok("dob_swap", swap),
        "tok_dob_ym": _tok("dob_ym", ym),
        "tok_addr": _tok("addr", addr),
        "tok_zip5": _tok("zip5", p.zip5),
        "tok_phone": _tok("phone", p.phone),
        "tok_ssn": _tok("ssn", p.ssn),
    }
    assert set(toks) == set(TOKEN_COLUMNS)
    row: dict[str, object] = {
        "birth_year": p.dob.year if p.dob else None,
        "age_90_plus": False,
        "sex": p.sex,
        "zip3": p.zip5[:3] if p.zip5 else None,
        "consented": True,
        "part2_consent": False,
        **toks,
    }
    for field, value in (("first", p.first), ("last", p.last), ("addr", p.street)):
        row.update(zip(bloom_columns(field), _bloom(field, value), strict=True))
    return row


def pseudonym(partner: str, record_id: str) -> str:
    return hmac.new(f"{partner}-key".encode(), record_id.encode(), hashlib.sha256).hexdigest()


def rows_frame(rows: list[tuple[str, str, Person]]) -> pl.DataFrame:
    """``(partner_id, record_id, person)`` triples -> an encoded persons frame."""
    out = [
        {"partner_id": partner, "record_pseudonym": pseudonym(partner, rid), **encode(p)}
        for partner, rid, p in rows
    ]
    return pl.DataFrame(out, infer_schema_length=None).with_columns(
        pl.col("birth_year").cast(pl.Int16),
        *(pl.col(c).cast(pl.Int64) for f in ("first", "last", "addr") for c in bloom_columns(f)),
        *(pl.col(c).cast(pl.Utf8) for c in TOKEN_COLUMNS),
    )


FIRSTS_F = ["MARY", "PATRICIA", "JENNIFER", "LINDA", "ELIZABETH", "BARBARA", "SUSAN", "JESSICA",
            "SARAH", "KAREN", "NANCY", "LISA", "MARGARET", "BETTY", "SANDRA", "ASHLEY", "KIMBERLY",
            "EMILY", "DONNA", "MICHELLE", "DOROTHY", "CAROL", "AMANDA", "MELISSA", "DEBORAH",
            "KATHERINE", "ROSA", "LUZ", "ANH", "FATIMA"]
FIRSTS_M = ["JAMES", "ROBERT", "JOHN", "MICHAEL", "DAVID", "WILLIAM", "RICHARD", "JOSEPH",
            "THOMAS", "CHARLES", "CHRISTOPHER", "DANIEL", "MATTHEW", "ANTHONY", "MARK", "DONALD",
            "STEVEN", "PAUL", "ANDREW", "JOSHUA", "KENNETH", "KEVIN", "BRIAN", "GEORGE",
            "TIMOTHY", "JOSE", "LUIS", "MINH", "OMAR", "KWAME"]
LASTS = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS",
         "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON",
         "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE",
         "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "WALKER", "YOUNG",
         "ALLEN", "KING", "WRIGHT", "SCOTT", "TORRES", "NGUYEN", "HILL", "FLORES", "GREEN",
         "ADAMS", "NELSON", "BAKER", "HALL", "RIVERA", "CAMPBELL", "MITCHELL", "CARTER",
         "ROBERTS", "OKAFOR", "KOWALSKI", "OYELARAN", "BJORKLUND", "FITZGERALD", "PHAM"]
STREETS = ["MAIN ST", "OAK AVE", "PINE ST", "MAPLE DR", "CEDAR LN", "ELM ST", "LAKE RD",
           "HILL ST", "PARK AVE", "RIVER RD", "WASHINGTON ST", "LINCOLN AVE", "2ND ST"]
ZIPS = [f"{z}" for z in range(97201, 97241)]
PARTNERS = ["mercy_hospital", "riverside_health", "county_public_health", "harbor_housing",
            "northside_food"]


def _typo(rng: random.Random, s: str) -> str:
    i = rng.randrange(len(s))
    op = rng.randrange(3)
    ch = rng.choice("ABCDEFGHIJKLMNOPRSTUVWY")
    if op == 0:
        return s[:i] + ch + s[i + 1 :]
    if op == 1 and len(s) > 3:
        return s[:i] + s[i + 1 :]
    return s[:i] + ch + s[i:]


def resident(rng: random.Random) -> Person:
    sex = rng.choice("FM")
    first = rng.choice(FIRSTS_F if sex == "F" else FIRSTS_M)
    dob = date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365))
    return Person(
        first=first,
        last=rng.choice(LASTS),
        dob=dob,
        sex=sex,
        street=f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
        zip5=rng.choice(ZIPS),
        phone=f"503{rng.randrange(10**7):07d}",
        ssn=f"{rng.randrange(100, 899)}{rng.randrange(10**6):06d}",
    )


def corrupt(rng: random.Random, p: Person, partner: str) -> Person:
    """One partner's view of a resident: typical errors and gaps."""
    q = p
    r = rng.random
    if r() < 0.08 and q.first:
        q = replace(q, first=_typo(rng, q.first))
    if r() < 0.08 and q.last:
        q = replace(q, last=_typo(rng, q.last))
    if r() < 0.05 and q.dob and q.dob.day <= 12:
        q = replace(q, dob=date(q.dob.year, q.dob.day, q.dob.month))
    elif r() < 0.04 and q.dob:
        q = replace(q, dob=q.dob + timedelta(days=rng.choice([-1, 1, 30, 365])))
    if r() < 0.15:
        q = replace(q, street=f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
                    zip5=rng.choice(ZIPS), phone=None if r() < 0.5 else q.phone)
    if r() < 0.2:
        q = replace(q, phone=None)
    if partner in ("harbor_housing", "northside_food") or r() < 0.3:
        q = replace(q, ssn=None)
    if partner == "harbor_housing" and r() < 0.3:
        q = replace(q, street=None, zip5=None)
    return q


def population(n_residents: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Encoded records of a small region and its truth ``(partner_id, record_pseudonym, resident_id)``."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, Person]] = []
    truth: list[dict[str, str]] = []
    residents = [resident(rng) for _ in range(n_residents)]
    # Twins: same last name, dob, address and phone; another first name and SSN.
    for i in range(0, n_residents // 50):
        base = residents[i]
        other = resident(rng)
        residents.append(replace(base, first=other.first, sex=other.sex, ssn=other.ssn))
    for rid, person in enumerate(residents):
        partners = rng.sample(PARTNERS, k=rng.choice([1, 1, 2, 2, 3, 4]))
        for partner in partners:
            copies = 2 if rng.random() < 0.05 else 1
            for c in range(copies):
                record_id = f"{rid}-{partner}-{c}"
                rows.append((partner, record_id, corrupt(rng, person, partner)))
                truth.append({"partner_id": partner, "record_pseudonym":
                              pseudonym(partner, record_id), "resident_id": f"R{rid}"})
    return rows_frame(rows), pl.DataFrame(truth)


def encoded_region(workdir: Path, residents: int, seed: int = 11) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A synthetic region run through the real partner encoder.

    Returns:
        Every partner's encoded persons rows (with ``partner_id``) and the ground truth
        ``(partner_id, record_pseudonym, resident_id)`` via each partner's crosswalk.
    """
    from partner.encode import encode_partner
    from partner.keygen import keygen
    from synth import PARTNER_IDS, generate, load_truth

    region = workdir / "region"
    keys = workdir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    generate(region, residents=residents, seed=seed, progress=False)
    secret = keys / "shared.secret"
    persons, truth = [], []
    raw_truth = load_truth(region).unique(["partner_id", "source_record_id"])
    for pid in PARTNER_IDS:
        keygen(keys, pid, shared_secret=secret)
        result = encode_partner(
            pid,
            secret,
            MAPPINGS / f"{pid}.yaml",
            region / "partners" / pid,
            workdir / "landing" / pid,
            as_of=AS_OF,
        )
        frame = pl.read_parquet(result.package / "persons.parquet")
        persons.append(frame.with_columns(partner_id=pl.lit(pid)))
        xwalk = pl.read_csv(result.crosswalk, infer_schema=False)
        truth.append(
            xwalk.join(
                raw_truth.filter(pl.col("partner_id") == pid),
                left_on="record_id",
                right_on="source_record_id",
            ).select("partner_id", "record_pseudonym", "resident_id")
        )
    return pl.concat(persons, how="diagonal_relaxed"), pl.concat(truth)
