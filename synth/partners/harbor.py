"""``harbor_housing``: an HMIS-style export with DD-Mon-YYYY dates and sparse identifiers."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from synth.partners.base import EventContext, PartnerSpec
from synth.partners.common import (
    address_field,
    birth_date,
    choose,
    consent,
    date,
    map_codes,
    phone,
    plain,
    ssn_dashed,
    street,
    unit,
)

GENDER: Final = {"F": "Woman", "M": "Man"}
DOMAIN: Final = {
    "housing_instability": "Housing Instability",
    "food_insecurity": "Food Insecurity",
    "transportation": "Transportation",
    "utilities": "Utilities",
    "interpersonal_safety": "Interpersonal Safety",
}
SERVICE_TYPE: Final = {
    "housing_navigation": "Housing Navigation",
    "rental_assistance": "Rental Assistance",
    "emergency_shelter": "Emergency Shelter",
    "case_management": "Case Management",
    "utility_assistance": "Utility Assistance",
    "legal_aid": "Legal Aid",
    "substance_use_treatment": "Substance Use Treatment",
    "behavioral_health_services": "Behavioral Health Services",
    "food_pantry": "Food Pantry",
    "transportation_assistance": "Transportation Assistance",
}
PROGRAM: Final = {
    "housing_navigation": "Coordinated Entry",
    "rental_assistance": "Eviction Prevention",
    "emergency_shelter": "Street Outreach",
    "case_management": "Rapid Re-Housing",
    "utility_assistance": "Eviction Prevention",
    "legal_aid": "Eviction Prevention",
    "substance_use_treatment": "Recovery Housing",
    "behavioral_health_services": "Rapid Re-Housing",
    "food_pantry": "Coordinated Entry",
    "transportation_assistance": "Rapid Re-Housing",
}
NO_ADDRESS: Final = {"NO FIXED ADDRESS": 0.6, "HOMELESS": 0.2, "": 0.2}
_UNIT_STYLES: Final = {"Apt {}": 0.4, "#{}": 0.3, "Unit {}": 0.3}
_SCREENING_ID = plain("SCR-", 10**8, start=1000)
_SERVICE_ID = plain("SV-", 10**8, start=1000)


def persons(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """``clients.csv``."""
    n = df.height
    df = df.with_columns(style=choose(rng, n, _UNIT_STYLES), homeless=choose(rng, n, NO_ADDRESS))
    no_address = pl.when(pl.col("homeless") == "").then(None).otherwise(pl.col("homeless"))
    return df.select(
        **{
            "Client ID": pl.col("record_id"),
            "First Name": pl.col("first"),
            "Last Name": pl.col("last"),
            "Date of Birth": birth_date("%d-%b-%Y"),
            "Birth Year": pl.col("dob").dt.year().cast(pl.String),
            "Gender": pl.col("sex").replace_strict(
                GENDER, default="Client doesn't know", return_dtype=pl.String
            ),
            "SSN": pl.when(pl.col("partial_ssn"))
            .then(pl.lit("XXX-XX-") + pl.col("ssn").str.slice(5, 4))
            .otherwise(ssn_dashed()),
            "Address": pl.when(pl.col("no_address"))
            .then(no_address)
            .otherwise(street(pl.Series(rng.random(n) < 0.5))),
            "Unit": unit(pl.col("style")),
            "City": address_field(pl.col("city")),
            "ZIP": address_field(pl.col("zip5")),
            "Phone": phone("{a}.{e}.{l}"),
            "Consent to share": consent("Yes", "No"),
            "Part 2 Consent": pl.when(pl.col("part2_consent"))
            .then(pl.lit("Yes"))
            .otherwise(pl.lit("No")),
            "Enrollment Date": date("%d-%b-%Y", "reg_date"),
        }
    )


def events(ev: pl.DataFrame, ctx: EventContext) -> dict[str, pl.DataFrame]:
    """``screenings.csv`` and ``services.csv``."""
    scr = ev.filter(pl.col("event_type") == "hrsn_screening")
    groups = scr["group"].unique(maintain_order=True)
    ids = ctx.ids(_SCREENING_ID, "screening", len(groups))
    scr = scr.with_columns(scr_id=pl.col("group").replace_strict(groups, ids))
    screenings = scr.select(
        **{
            "Screening ID": pl.col("scr_id"),
            "Client ID": pl.col("record_id"),
            "Screening Date": date("%d-%b-%Y", "date"),
            "Domain": map_codes("category", DOMAIN),
            "Answer": pl.when(pl.col("result") == 1).then(pl.lit("Yes")).otherwise(pl.lit("No")),
        }
    )
    svc = ev.filter(pl.col("event_type") == "service")
    services = svc.with_columns(svc_id=ctx.ids(_SERVICE_ID, "service", svc.height)).select(
        **{
            "Service ID": pl.col("svc_id"),
            "Client ID": pl.col("record_id"),
            "Service Date": date("%d-%b-%Y", "date"),
            "Service Type": map_codes("category", SERVICE_TYPE),
            "Service or Referral": pl.col("kind").str.to_titlecase(),
            "Program": map_codes("category", PROGRAM),
        }
    )
    return {"screenings.csv": screenings, "services.csv": services}


SPEC: Final = PartnerSpec(
    partner_id="harbor_housing",
    sector="cbo_housing",
    person_file="clients.csv",
    event_files=("screenings.csv", "services.csv"),
    record_id=plain("HH-", 10**6, start=1000),
    persons=persons,
    events=events,
)
