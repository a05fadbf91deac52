"""Tables of cases with ground truth, run through the real partner encoder.

The model is trained once on a small synthetic region (encoded like any partner would); the
case records are encoded with the same shared secret, added to the region's records, and one
linkage run decides for every case whether its two records became one person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest
from schema_support import add_persons, copy_hub_schema

from encoding.encoder import encode_persons
from encoding.keys import EncodingKeys
from kernel.home import HubHome
from linkage.run import run_linkage
from partner.keyfiles import read_secret
from partner.keygen import pseudonym_key_path
from tests.test_linkage_support import AS_OF, encoded_region, fast_settings


@dataclass(frozen=True)
class Rec:
    first: str
    last: str
    dob: str
    sex: str = "F"
    street: str = ""
    zip: str = ""
    phone: str = ""
    ssn: str = ""
    # A year-only date of birth: ``dob`` empty, the year here.
    birth_year: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    a: tuple[str, Rec]
    b: tuple[str, Rec]
    merges: bool
    # A case the model is known to get wrong: a strict xfail, so fixing it is noticed.
    known_defect: str = ""
    # A case that holds under some encoding keys only: a non-strict xfail with the reason.
    key_dependent: str = ""


H, P, F = "mercy_hospital", "county_public_health", "northside_food"
CASES = [
    Case(
        "twins stay apart",
        (
            H,
            Rec(
                "Marisol",
                "Quintanilla",
                "1991-05-14",
                "F",
                "412 Alder Way",
                "97214",
                "5035550142",
                "541227783",
            ),
        ),
        (
            P,
            Rec(
                "Esperanza",
                "Quintanilla",
                "1991-05-14",
                "F",
                "412 Alder Way",
                "97214",
                "5035550142",
                "541227784",
            ),
        ),
        merges=False,
    ),
    Case(
        # The twin guard fires (same surname and DOB, another first name) but the SSN agrees,
        # every other field intact: model 2 bounds the guard so an exact SSN outweighs it.
        "another given name with the same SSN merges",
        (
            H,
            Rec(
                "Leocadia",
                "Brightwater",
                "1983-02-19",
                "F",
                "77 Juniper Pl",
                "97202",
                "5035550610",
                "621043387",
            ),
        ),
        (
            P,
            Rec(
                "Winifred",
                "Brightwater",
                "1983-02-19",
                "F",
                "77 Juniper Pl",
                "97202",
                "5035550610",
                "621043387",
            ),
        ),
        merges=True,
    ),
    Case(
        "twins without an SSN stay apart",
        (
            H,
            Rec(
                "Ottoline",
                "Marchbanks",
                "2001-10-30",
                "F",
                "9 Heron Ct",
                "97215",
                "5035550888",
                "",
            ),
        ),
        (
            H,
            Rec(
                "Rosalind",
                "Marchbanks",
                "2001-10-30",
                "F",
                "9 Heron Ct",
                "97215",
                "5035550888",
                "",
            ),
        ),
        merges=False,
        key_dependent=(
            "each first-name bigram is set under two salts, so unrelated first names of twins "
            "(same surname and DOB, hence same salts) can reach the twin guard's plain Dice "
            "bound of 0.5 under some keys (spec 2.1 with the address filter salted by the first "
            "name: kept apart under some key seeds, merged under others); a chance-corrected "
            "Dice would remove the dependence but cost 0.8 points of recall on the hard "
            "profile (benchmarks/RESULTS.md)"
        ),
    ),
    Case(
        "nickname plus a typo merges",
        (
            H,
            Rec(
                "Robert",
                "Fairweather",
                "1967-09-02",
                "M",
                "88 Larkspur Ct",
                "97206",
                "5035550199",
                "",
            ),
        ),
        (F, Rec("Bob", "Fairwether", "1967-09-02", "M", "88 Larkspur Ct", "97206", "", "")),
        merges=True,
    ),
    Case(
        "day/month swap merges",
        (
            H,
            Rec(
                "Theodora",
                "Vandermeer",
                "1975-04-09",
                "F",
                "1503 Sumac Rd",
                "97211",
                "5035550777",
                "",
            ),
        ),
        (P, Rec("Theodora", "Vandermeer", "1975-09-04", "F", "1503 Sumac Rd", "97211", "", "")),
        merges=True,
    ),
    Case(
        "married name with same DOB and address merges",
        (H, Rec("Annika", "Lindqvist", "1988-11-23", "F", "27 Foxglove Ave", "97217", "", "")),
        (F, Rec("Annika", "Castellanos", "1988-11-23", "F", "27 Foxglove Ave", "97217", "", "")),
        merges=True,
    ),
    Case(
        # The name levels that hold the first name and DOB (equal tok_first_dob) have a set u
        # (NameSettings.first_name_agreement): sampled, it was mostly true pairs and scored
        # against a match (the misses of issue 21's alerts).
        "surname typo with the same first name and DOB after a move and a new phone merges",
        (
            H,
            Rec(
                "Gwendolyn",
                "Oyelaran",
                "1958-08-21",
                "F",
                "310 Tamarack St",
                "97266",
                "5035550923",
                "",
            ),
        ),
        (
            F,
            Rec(
                "Gwendolyn",
                "Oyelaren",
                "1958-08-21",
                "F",
                "4477 Division St",
                "97236",
                "5035550687",
                "",
            ),
        ),
        merges=True,
    ),
    Case(
        "married name with same DOB, address and phone merges",
        (
            P,
            Rec(
                "Severine",
                "Abernathy",
                "1972-03-16",
                "F",
                "65 Quince Ct",
                "97220",
                "5035550345",
                "",
            ),
        ),
        (
            H,
            Rec(
                "Severine",
                "Nakashima",
                "1972-03-16",
                "F",
                "65 Quince Ct",
                "97220",
                "5035550345",
                "",
            ),
        ),
        merges=True,
    ),
    Case(
        "same first name and DOB, other surname, nothing else shared stays apart",
        (H, Rec("Maria", "Gonzalez", "1980-03-03", "F", "18 Pine St", "97203", "5035550501", "")),
        (
            P,
            Rec("Maria", "Okafor", "1980-03-03", "F", "2290 Lombard St", "98107", "5035550502", ""),
        ),
        merges=False,
    ),
    Case(
        "common name with a different DOB stays apart",
        (H, Rec("James", "Smith", "1970-01-15", "M", "900 Oak St", "97203", "", "")),
        (P, Rec("James", "Smith", "1982-07-30", "M", "16 Elm St", "97203", "", "")),
        merges=False,
    ),
    Case(
        "a parent and a child of one name at one address and phone stay apart, one DOB year only",
        (
            H,
            Rec(
                "Desmond",
                "Okonkwo-Hale",
                "1958-03-14",
                "M",
                "404 Wisteria Way",
                "97215",
                "5035550642",
                "",
            ),
        ),
        (
            P,
            Rec(
                "Desmond",
                "Okonkwo-Hale",
                "",
                "M",
                "404 Wisteria Way",
                "97215",
                "5035550642",
                "",
                birth_year="1986",
            ),
        ),
        merges=False,
    ),
    Case(
        "duplicates inside one partner merge",
        (
            H,
            Rec(
                "Dolores",
                "Achterberg",
                "1949-02-27",
                "F",
                "12 Birch Lane",
                "97219",
                "5035550311",
                "",
            ),
        ),
        (H, Rec("Dolores", "Achterberg", "1949-02-27", "F", "12 Birch Ln", "97219", "", "")),
        merges=True,
    ),
    Case(
        "first and last name swapped merges",
        (H, Rec("Kwame", "Mensah", "1983-06-30", "M", "5 Juniper St", "97230", "5035550456", "")),
        (P, Rec("Mensah", "Kwame", "1983-06-30", "M", "", "97230", "5035550456", "")),
        merges=True,
    ),
    Case(
        "a mover with the same name, DOB and phone merges",
        (
            H,
            Rec(
                "Priyanka",
                "Raghunathan",
                "1979-12-01",
                "F",
                "71 Cedar Ave",
                "97202",
                "5035550888",
                "",
            ),
        ),
        (
            F,
            Rec(
                "Priyanka",
                "Raghunathan",
                "1979-12-01",
                "F",
                "3300 Hawthorne Blvd",
                "97214",
                "5035550888",
                "",
            ),
        ),
        merges=True,
    ),
]


def _encode(partner: str, rows: list[tuple[str, Rec]], keys_dir: Path) -> pl.DataFrame:
    shared = read_secret(keys_dir / "shared.secret")
    keys = EncodingKeys.derive(shared, read_secret(pseudonym_key_path(keys_dir, partner)))
    raw = pl.DataFrame(
        [
            {
                "record_id": rid,
                "first_name": r.first,
                "last_name": r.last,
                "dob": r.dob or None,
                "birth_year": r.birth_year or None,
                "sex": r.sex,
                "street": r.street or None,
                "zip": r.zip or None,
                "phone": r.phone or None,
                "ssn": r.ssn or None,
            }
            for rid, r in rows
        ],
        schema={
            c: pl.String
            for c in (
                "record_id",
                "first_name",
                "last_name",
                "dob",
                "birth_year",
                "sex",
                "street",
                "zip",
                "phone",
                "ssn",
            )
        },
    )
    encoded = encode_persons(raw, keys, partner_id=partner, as_of=AS_OF, dob_format="%Y-%m-%d")
    ids = encoded.crosswalk.select("record_pseudonym", "record_id")
    return encoded.persons.join(ids, on="record_pseudonym").with_columns(partner_id=pl.lit(partner))


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Record id of every case record -> its person key, after one linkage run."""
    work = tmp_path_factory.mktemp("cases")
    region, _truth = encoded_region(work, residents=3000, seed=5, key_seed=5)
    by_partner: dict[str, list[tuple[str, Rec]]] = {}
    for i, case in enumerate(CASES):
        for side, (partner, rec) in (("a", case.a), ("b", case.b)):
            by_partner.setdefault(partner, []).append((f"CASE-{i}-{side}", rec))
    cases = pl.concat(
        [_encode(p, rows, work / "keys") for p, rows in by_partner.items()], how="diagonal_relaxed"
    )
    records = pl.concat([region, cases.drop("record_id")], how="diagonal_relaxed")
    home = HubHome(work / "home").ensure()
    con = duckdb.connect(str(copy_hub_schema(home.hub_db)))
    add_persons(con, records.to_arrow())
    run_linkage(con, home, settings=fast_settings())
    con.register("cases_df", cases.select("partner_id", "record_pseudonym", "record_id").to_arrow())
    keys = dict(
        con.execute(
            "SELECT c.record_id, p.person_key FROM linkage.person_records p "
            "JOIN cases_df c USING (partner_id, record_pseudonym)"
        ).fetchall()
    )
    con.close()
    return keys


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(strict=True, reason=c.known_defect)]
            if c.known_defect
            else [pytest.mark.xfail(strict=False, reason=c.key_dependent)]
            if c.key_dependent
            else [],
        )
        for c in CASES
    ],
)
def test_case(linked: dict[str, str], case: Case) -> None:
    i = CASES.index(case)
    a, b = linked[f"CASE-{i}-a"], linked[f"CASE-{i}-b"]
    assert (a == b) is case.merges, json.dumps({"case": case.name, "merged": a == b})
