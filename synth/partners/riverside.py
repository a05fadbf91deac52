"""``riverside_health``: snake_case columns, ISO dates, ICD-10 problem list."""

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
    street,
    text,
    unit,
)

SEX: Final = {"F": "F", "M": "M"}
VISIT_CLASS: Final = {"ed_visit": "EMER", "inpatient_stay": "INPT"}
DX_CATEGORY: Final = {
    "cardiometabolic": "Cardiometabolic",
    "respiratory": "Respiratory",
    "behavioral_health": "Mental health",
    "substance_use": "Substance use",
    "overdose": "Poisoning/overdose",
    "injury": "Injury",
    "infection": "Infectious disease",
    "maternal": "Pregnancy",
    "other": "Other",
}
ICD10: Final = {
    "diabetes": ("E11", "Type 2 diabetes mellitus"),
    "heart_failure": ("I50", "Heart failure"),
    "copd": ("J44", "Chronic obstructive pulmonary disease"),
    "asthma": ("J45", "Asthma"),
    "ckd": ("N18", "Chronic kidney disease"),
    "hypertension": ("I10", "Essential (primary) hypertension"),
    "depression": ("F32", "Major depressive disorder"),
    "serious_mental_illness": ("F20", "Schizophrenia"),
    "substance_use_disorder": ("F11", "Opioid related disorders"),
    "hiv": ("B20", "HIV disease"),
}
_UNIT_STYLES: Final = {"Apt {}": 0.6, "Unit {}": 0.2, "#{}": 0.1, "Apt. {}": 0.1}
_UNITS: Final = {
    "ed_visit": ("Riverside Emergency",),
    "inpatient_stay": (
        "Riverside Medicine",
        "Riverside Surgery",
        "Riverside Cardiology",
        "Riverside Psychiatry",
    ),
}
_VISIT_ID = padded("V", 9)
_PROBLEM_ID = padded("PL", 9)


def persons(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """``persons.csv``."""
    n = df.height
    df = df.with_columns(style=choose(rng, n, _UNIT_STYLES))
    line = street(pl.Series(rng.random(n) < 0.2))
    with_unit = (
        pl.when(pl.col("unit_text").is_null())
        .then(pl.col("line"))
        .otherwise(pl.col("line") + " " + pl.col("unit_text"))
    )
    return df.with_columns(line=line, unit_text=unit(pl.col("style"))).select(
        person_id=pl.col("record_id"),
        given_name=pl.col("first"),
        family_name=pl.col("last"),
        birth_date=birth_date("%Y-%m-%d"),
        gender=pl.col("sex").replace_strict(SEX, default="U", return_dtype=pl.String),
        ssn=pl.col("ssn"),
        address_line=with_unit,
        city=address_field(pl.col("city")),
        state=address_field(pl.lit(STATE_CODE)),
        postal_code=address_field(pl.col("zip5")),
        phone=pl.col("phone"),
        share_with_hie=consent("true", "false"),
    )


def events(ev: pl.DataFrame, ctx: EventContext) -> dict[str, pl.DataFrame]:
    """``visits.csv`` and ``problem_list.csv``."""
    vis = ev.filter(pl.col("event_type").is_in(list(VISIT_CLASS)))
    n = vis.height
    is_ed = vis["event_type"].to_numpy() == "ed_visit"
    ip_units = np.array(_UNITS["inpatient_stay"], dtype=object)
    unit_name = np.where(
        is_ed, _UNITS["ed_visit"][0], ip_units[ctx.rng.integers(0, len(ip_units), size=n)]
    )
    visits = vis.with_columns(
        visit_id=ctx.ids(_VISIT_ID, "visit", n), unit_name=text(unit_name)
    ).select(
        visit_id=pl.col("visit_id"),
        person_id=pl.col("record_id"),
        visit_class=map_codes("event_type", VISIT_CLASS),
        visit_start=date("%Y-%m-%d", "date"),
        visit_end=date("%Y-%m-%d", "end_date"),
        principal_dx_category=map_codes("category", DX_CATEGORY),
        facility_unit=pl.col("unit_name"),
    )
    probs = ev.filter(pl.col("event_type") == "chronic_condition")
    problems = probs.with_columns(problem_id=ctx.ids(_PROBLEM_ID, "problem", probs.height)).select(
        problem_id=pl.col("problem_id"),
        person_id=pl.col("record_id"),
        icd10_code=map_codes("category", {k: v[0] for k, v in ICD10.items()}),
        problem_name=map_codes("category", {k: v[1] for k, v in ICD10.items()}),
        noted_date=date("%Y-%m-%d", "date"),
    )
    return {"visits.csv": visits, "problem_list.csv": problems}


SPEC: Final = PartnerSpec(
    partner_id="riverside_health",
    sector="hospital",
    person_file="persons.csv",
    event_files=("visits.csv", "problem_list.csv"),
    record_id=padded("RS-", 7),
    persons=persons,
    events=events,
)
