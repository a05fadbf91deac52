"""``northside_food``: a food-pantry system with M/D/YYYY dates and no SSN."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from synth.partners.base import EventContext, PartnerSpec
from synth.partners.common import (
    birth_date,
    choose,
    consent,
    date,
    map_codes,
    padded,
    phone,
    plain,
    street,
    unit,
)

SEX: Final = {"F": "F", "M": "M"}
QUESTION: Final = {
    "housing_instability": "HOUSING",
    "food_insecurity": "FOOD",
    "transportation": "TRANSPORT",
    "utilities": "UTILITIES",
    "interpersonal_safety": "SAFETY",
}
SERVICE_CODE: Final = {
    "food_pantry": "PANTRY",
    "medically_tailored_meals": "MTM",
    "snap_enrollment": "SNAP",
    "transportation_assistance": "RIDE",
    "utility_assistance": "UTIL",
    "case_management": "CM",
    "housing_navigation": "HOUSING",
    "behavioral_health_services": "BH",
    "legal_aid": "LEGAL",
    "other": "OTHER",
}
SITES: Final = ("Main St Pantry", "Mobile Market", "Eastside Pantry")
MTM_SITE: Final = "Healthy Meals Rx"
_UNIT_STYLES: Final = {"#{}": 0.5, "Apt {}": 0.35, "Unit {}": 0.15}
_SCREEN_ID = padded("S", 8)
_VISIT_NO = plain("", 10**8, start=100_000)


def persons(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """``members.csv``."""
    n = df.height
    df = df.with_columns(
        style=choose(rng, n, _UNIT_STYLES), hh=pl.Series(rng.integers(1, 7, size=n))
    )
    line = street(True)
    unit_text = unit(pl.col("style"))
    return df.with_columns(line=line, unit_text=unit_text).select(
        member_id=pl.col("record_id"),
        fname=pl.col("first"),
        lname=pl.col("last"),
        birthdate=birth_date("%-m/%-d/%Y"),
        birth_year=pl.col("dob").dt.year().cast(pl.String),
        sex=pl.col("sex").replace_strict(SEX, default=None, return_dtype=pl.String),
        address=pl.when(pl.col("unit_text").is_null())
        .then(pl.col("line"))
        .otherwise(pl.col("line") + " " + pl.col("unit_text")),
        zip=pl.when(pl.col("no_address")).then(None).otherwise(pl.col("zip5")),
        phone=phone("({a}){e}-{l}"),
        household_size=pl.col("hh").cast(pl.String),
        consent_share=consent("Y", "N"),
        enrolled_on=date("%-m/%-d/%Y", "reg_date"),
    )


def events(ev: pl.DataFrame, ctx: EventContext) -> dict[str, pl.DataFrame]:
    """``screenings.csv`` and ``visits.csv``."""
    scr = ev.filter(pl.col("event_type") == "hrsn_screening")
    groups = scr["group"].unique(maintain_order=True)
    ids = ctx.ids(_SCREEN_ID, "screening", len(groups))
    screenings = scr.with_columns(sid=pl.col("group").replace_strict(groups, ids)).select(
        screen_id=pl.col("sid"),
        member_id=pl.col("record_id"),
        screen_date=date("%-m/%-d/%Y", "date"),
        question=map_codes("category", QUESTION),
        response=pl.col("result").cast(pl.String),
    )
    vis = ev.filter(pl.col("event_type") == "service")
    site = choose(ctx.rng, vis.height, dict.fromkeys(SITES, 1.0))
    visits = vis.with_columns(vno=ctx.ids(_VISIT_NO, "visit", vis.height), site=site).select(
        visit_no=pl.col("vno"),
        member_id=pl.col("record_id"),
        visit_date=date("%-m/%-d/%Y", "date"),
        service_code=map_codes("category", SERVICE_CODE),
        visit_kind=pl.col("kind"),
        site=pl.when(pl.col("category") == "medically_tailored_meals")
        .then(pl.lit(MTM_SITE))
        .otherwise(pl.col("site")),
    )
    return {"screenings.csv": screenings, "visits.csv": visits}


SPEC: Final = PartnerSpec(
    partner_id="northside_food",
    sector="cbo_food",
    person_file="members.csv",
    event_files=("screenings.csv", "visits.csv"),
    record_id=padded("NF", 7),
    persons=persons,
    events=events,
)
