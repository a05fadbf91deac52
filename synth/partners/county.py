"""``county_public_health``: a surveillance system export with YYYYMMDD dates."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from synth.partners.base import EventContext, PartnerSpec
from synth.partners.common import (
    STATE_CODE,
    IdFormat,
    address_field,
    birth_date,
    choose,
    consent,
    date,
    map_codes,
    padded,
    street,
    unit,
)

SEX: Final = {"M": "1", "F": "2"}
EVENT_TYPE: Final = {
    "overdose": "OD",
    "reportable_condition": "RC",
    "immunization": "IMM",
    "death": "DTH",
}
REPORTABLE: Final = {
    "hepatitis_c": "HEPC",
    "tuberculosis": "TB",
    "syphilis": "SYPH",
    "hiv": "HIV",
    "covid19": "COVID",
    "other": "OTHER",
}
VACCINE: Final = {
    "influenza": "FLU",
    "covid19": "COVID",
    "pneumococcal": "PCV",
    "hepatitis_b": "HEPB",
    "other": "OTHER",
}
DEATH_CAUSE: Final = {
    "cardiometabolic": "CVD",
    "respiratory": "RESP",
    "behavioral_health": "MH",
    "substance_use": "SUD",
    "overdose": "OD",
    "injury": "INJ",
    "infection": "INF",
    "maternal": "MAT",
    "other": "OTH",
}
SOURCE: Final = {
    "overdose": "ED syndromic",
    "reportable_condition": "Lab report",
    "immunization": "Immunization registry",
    "death": "Vital records",
}
FIRST_YEAR: Final = 2015
YEARS: Final = 12
_UNIT_STYLES: Final = {"#{}": 0.5, "APT {}": 0.4, "UNIT {}": 0.1}
_EVENT_ID = padded("EV", 8)
CASE_ID: Final = IdFormat(
    YEARS * 1_000_000,
    lambda n: pl.concat_str(
        [
            pl.lit("PH"),
            (n // 1_000_000 + FIRST_YEAR).cast(pl.String),
            pl.lit("-"),
            (n % 1_000_000).cast(pl.String).str.zfill(6),
        ]
    ),
)


def persons(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """``case_persons.csv``."""
    df = df.with_columns(style=choose(rng, df.height, _UNIT_STYLES))
    line = street(True).str.to_uppercase()
    unit_text = unit(pl.col("style"))
    return df.with_columns(line=line, unit_text=unit_text).select(
        CaseID=pl.col("record_id"),
        LastName=pl.col("last"),
        FirstName=pl.col("first"),
        MiddleInitial=pl.col("middle").str.slice(0, 1).str.to_uppercase(),
        DOB=pl.when(pl.col("year_only"))
        .then(pl.col("dob").dt.strftime("%Y") + "0000")
        .otherwise(birth_date("%Y%m%d")),
        Sex=pl.col("sex").replace_strict(SEX, default="9", return_dtype=pl.String),
        SSN=pl.col("ssn"),
        StreetAddress=pl.when(pl.col("unit_text").is_null())
        .then(pl.col("line"))
        .otherwise(pl.col("line") + " " + pl.col("unit_text")),
        City=address_field(pl.col("city").str.to_uppercase()),
        State=address_field(pl.lit(STATE_CODE)),
        Zip=address_field(pl.col("zip5")),
        Phone=pl.concat_str(
            [
                pl.col("phone").str.slice(0, 3),
                pl.col("phone").str.slice(3, 3),
                pl.col("phone").str.slice(6, 4),
            ],
            separator="-",
        ),
        DataSharingOptOut=consent("1", "0", invert=True),
    )


def events(ev: pl.DataFrame, ctx: EventContext) -> dict[str, pl.DataFrame]:
    """``events.csv``."""
    out = ev.with_columns(event_id=ctx.ids(_EVENT_ID, "event", ev.height)).select(
        EventID=pl.col("event_id"),
        CaseID=pl.col("record_id"),
        EventType=map_codes("event_type", EVENT_TYPE),
        EventDate=date("%Y%m%d", "date"),
        Condition=pl.when(pl.col("event_type") == "reportable_condition")
        .then(map_codes("category", REPORTABLE))
        .when(pl.col("event_type") == "immunization")
        .then(map_codes("category", VACCINE))
        .when(pl.col("event_type") == "death")
        .then(map_codes("category", DEATH_CAUSE))
        .otherwise(pl.col("category")),
        ReportingSource=map_codes("event_type", SOURCE),
    )
    return {"events.csv": out}


SPEC: Final = PartnerSpec(
    partner_id="county_public_health",
    sector="public_health",
    person_file="case_persons.csv",
    event_files=("events.csv",),
    record_id=CASE_ID,
    persons=persons,
    events=events,
)
