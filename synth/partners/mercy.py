"""``mercy_hospital``: an upper-case EHR extract with MM/DD/YYYY dates."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from synth.partners.base import EventContext, PartnerSpec
from synth.partners.common import (
    STATE_CODE,
    address_field,
    birth_date,
    choose,
    consent,
    date,
    map_codes,
    padded,
    phone,
    ssn_dashed,
    street,
    text,
    unit,
)

SEX: Final = {"F": "Female", "M": "Male"}
ENC_TYPE: Final = {"ed_visit": "ED", "inpatient_stay": "IP"}
DX_GROUP: Final = {
    "cardiometabolic": "CARDIO",
    "respiratory": "RESP",
    "behavioral_health": "BH",
    "substance_use": "SUD",
    "overdose": "OD",
    "injury": "INJ",
    "infection": "INF",
    "maternal": "OB",
    "other": "OTH",
}
CONDITION_FLAG: Final = {
    "diabetes": "DM",
    "heart_failure": "CHF",
    "copd": "COPD",
    "asthma": "ASTHMA",
    "ckd": "CKD",
    "hypertension": "HTN",
    "depression": "DEPR",
    "serious_mental_illness": "SMI",
    "substance_use_disorder": "SUD",
    "hiv": "HIV",
}
_UNIT_STYLES: Final = {"APT {}": 0.7, "UNIT {}": 0.15, "#{}": 0.15}
_ENC_ID = padded("E", 10)
_DEPTS: Final = {
    "ed_visit": ("MERCY ED",),
    "inpatient_stay": ("MERCY 4 WEST", "MERCY 5 EAST", "MERCY ICU", "MERCY BEHAVIORAL HEALTH"),
}


def persons(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """``patients.csv``."""
    n = df.height
    zip4 = pl.Series(rng.integers(1, 10_000, size=n)).cast(pl.String).str.zfill(4)
    return df.with_columns(
        style=choose(rng, n, _UNIT_STYLES), zip4=zip4, plus4=pl.Series(rng.random(n) < 0.4)
    ).select(
        MRN=pl.col("record_id"),
        PAT_LAST_NAME=pl.col("last").str.to_uppercase(),
        PAT_FIRST_NAME=pl.col("first").str.to_uppercase(),
        PAT_MIDDLE_NAME=pl.col("middle").str.to_uppercase(),
        BIRTH_DATE=birth_date("%m/%d/%Y"),
        SEX=pl.col("sex").replace_strict(SEX, default="Unknown", return_dtype=pl.String),
        SSN=ssn_dashed(),
        ADDR_LINE_1=street(True).str.to_uppercase(),
        ADDR_LINE_2=unit(pl.col("style")),
        CITY=address_field(pl.col("city").str.to_uppercase()),
        STATE=address_field(pl.lit(STATE_CODE)),
        ZIP=address_field(
            pl.when(pl.col("plus4"))
            .then(pl.col("zip5") + "-" + pl.col("zip4"))
            .otherwise(pl.col("zip5"))
        ),
        HOME_PHONE=phone("({a}) {e}-{l}"),
        HIE_OPT_OUT=consent("Y", "N", invert=True),
        REG_DATE=date("%m/%d/%Y", "reg_date"),
    )


def events(ev: pl.DataFrame, ctx: EventContext) -> dict[str, pl.DataFrame]:
    """``encounters.csv`` and ``chronic_conditions.csv``."""
    enc = ev.filter(pl.col("event_type").is_in(list(ENC_TYPE)))
    n = enc.height
    rng = ctx.rng
    admit_min = rng.integers(0, 24 * 60, size=n)
    ed_stay = rng.integers(90, 12 * 60, size=n)
    # ED discharge: admit + stay (may pass midnight); IP: a daytime discharge on the end date.
    ip_disch_min = rng.integers(8 * 60, 20 * 60, size=n)
    is_ed = enc["event_type"].to_numpy() == "ed_visit"
    ip_depts = np.array(_DEPTS["inpatient_stay"], dtype=object)
    dept = np.where(is_ed, _DEPTS["ed_visit"][0], ip_depts[rng.integers(0, len(ip_depts), size=n)])
    enc = enc.with_columns(
        admit_min=pl.Series(admit_min),
        disch_min=pl.Series(np.where(is_ed, admit_min + ed_stay, ip_disch_min)),
        dept=text(dept),
        enc_id=ctx.ids(_ENC_ID, "encounter", n),
    )
    encounters = enc.select(
        ENC_ID=pl.col("enc_id"),
        MRN=pl.col("record_id"),
        ENC_TYPE=map_codes("event_type", ENC_TYPE),
        ADMIT_DT=_stamp("date", "admit_min"),
        DISCH_DT=_stamp("end_date", "disch_min"),
        DX_GROUP=map_codes("category", DX_GROUP),
        DEPT=pl.col("dept"),
    )
    flags = ev.filter(pl.col("event_type") == "chronic_condition").select(
        MRN=pl.col("record_id"),
        CONDITION_FLAG=map_codes("category", CONDITION_FLAG),
        FLAG_DT=date("%m/%d/%Y", "date"),
    )
    return {"encounters.csv": encounters, "chronic_conditions.csv": flags}


def _stamp(day: str, minutes: str) -> pl.Expr:
    ts = pl.col(day).cast(pl.Datetime("ms")) + pl.duration(minutes=pl.col(minutes))
    return ts.dt.strftime("%m/%d/%Y %H:%M")


SPEC: Final = PartnerSpec(
    partner_id="mercy_hospital",
    sector="hospital",
    person_file="patients.csv",
    event_files=("encounters.csv", "chronic_conditions.csv"),
    record_id=padded("MRN", 8),
    persons=persons,
    events=events,
)
