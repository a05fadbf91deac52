"""One chunk of residents: true identity, household, needs profile. All vectorised with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from synth.arrays import NONE, digits, resident_ids, text
from synth.config import TIERS, SynthConfig
from synth.geography import AREA_CODE, STATE, Region
from synth.ids import ssn_numbers
from synth.names import COMMON_NAMES, NamePools

# US-like age pyramid: share per 5-year band 0-4 .. 95-99, then 100.
_AGE_BANDS: Final = np.array(
    [5.7, 6.0, 6.4, 6.4, 6.6, 7.0, 6.9, 6.6, 6.2, 6.0, 6.2, 6.5, 6.3, 5.4, 4.3, 2.9, 1.8, 1.0,
     0.5, 0.2, 0.02]
)  # fmt: skip
_SPLICED_SURNAMES: Final = 0.03
_HOUSEHOLD_SIZES: Final = np.array([1, 2, 3, 4, 5, 6])
_HOUSEHOLD_PROBS: Final = np.array([0.28, 0.34, 0.15, 0.13, 0.07, 0.03])

CONDITIONS: Final = (
    "diabetes", "heart_failure", "copd", "asthma", "ckd", "hypertension", "depression",
    "serious_mental_illness", "substance_use_disorder", "hiv",
)  # fmt: skip
_CONDITION_WEIGHT: Final = np.array([0.17, 0.05, 0.06, 0.09, 0.06, 0.30, 0.15, 0.04, 0.06, 0.01])
_AGE_RELATED: Final = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0], dtype=bool)
_ADULT_ONLY: Final = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1], dtype=bool)
HRSN: Final = ("housing_instability", "food_insecurity", "transportation", "utilities",
               "interpersonal_safety")  # fmt: skip
_HRSN_WEIGHT: Final = np.array([1.0, 1.1, 0.8, 0.7, 0.35])

# Per tier: mean number of chronic conditions (Poisson-ish), ED and inpatient rates per year,
# chance of each social need, chance of overdose risk, mortality multiplier.
_TIER_PROFILE: Final = {
    "low": (0.25, 0.12, 0.02, 0.04, 0.002, 0.7),
    "moderate": (1.6, 0.7, 0.12, 0.18, 0.02, 1.5),
    "complex": (3.8, 3.0, 0.7, 0.50, 0.12, 3.0),
}


@dataclass
class Residents:
    """Column arrays of one chunk of residents (``global_index`` starts at the chunk start)."""

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["global_index"])

    def __getitem__(self, key: str) -> np.ndarray:
        return self.cols[key]


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    band = rng.choice(len(_AGE_BANDS), size=n, p=_AGE_BANDS / _AGE_BANDS.sum())
    within = np.where(band == len(_AGE_BANDS) - 1, 0, rng.integers(0, 5, size=n))
    return band * 5 + within


def _households(rng: np.random.Generator, n: int) -> np.ndarray:
    sizes = rng.choice(_HOUSEHOLD_SIZES, size=n, p=_HOUSEHOLD_PROBS)
    return np.repeat(np.arange(n), sizes)[:n]


def _given(rng: np.random.Generator, pools: NamePools, sex: np.ndarray) -> np.ndarray:
    female = pools.female.sample(rng, len(sex))
    male = pools.male.sample(rng, len(sex))
    return np.where(sex == "F", female, male)


def _address(
    rng: np.random.Generator, region: Region, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    zip_idx = region.sample_zip(rng, n)
    street = region.sample_street(rng, zip_idx)
    house = np.where(
        rng.random(n) < 0.7, rng.integers(1, 400, size=n), rng.integers(400, 9999, size=n)
    )
    has_unit = np.flatnonzero(rng.random(n) < 0.3)
    k = len(has_unit)
    unit_num = rng.integers(1, 40, size=k).astype(str).astype(object)
    letter = np.array(list("ABCDEFGH"), dtype=object)[rng.integers(0, 8, size=k)]
    floor_style = (rng.integers(1, 6, size=k) * 100 + rng.integers(1, 20, size=k)).astype(str)
    style = rng.random(k)
    unit = np.full(n, None, dtype=object)
    unit[has_unit] = np.where(
        style < 0.45, unit_num + letter, np.where(style < 0.8, floor_style, unit_num)
    )
    return zip_idx, street, house, unit


def generate_residents(
    rng: np.random.Generator,
    start: int,
    n: int,
    seed: int,
    config: SynthConfig,
    region: Region,
    pools: NamePools,
) -> Residents:
    """Residents ``start .. start+n-1`` of the region."""
    errors = config.errors
    as_of = np.datetime64(config.as_of, "D")
    idx = np.arange(start, start + n, dtype=np.int64)
    household = _households(rng, n)
    _, first_of_household = np.unique(household, return_index=True)
    head = first_of_household[np.searchsorted(household[first_of_household], household)]

    sex = np.where(rng.random(n) < 0.51, "F", "M").astype(object)
    first = _given(rng, pools, sex)
    middle = np.where(rng.random(n) < 0.6, _given(rng, pools, sex), NONE)
    own_surname = pools.surnames.sample_with_singletons(rng, n, _SPLICED_SURNAMES)
    keeps_household_surname = rng.random(n) < 0.8
    last = np.where(keeps_household_surname, own_surname[head], own_surname)

    age = _ages(rng, n)
    dob = as_of - (age * 365.25).astype(np.int64) - rng.integers(0, 365, size=n)

    zip_idx, street, house, unit = _address(rng, region, n)
    zip_idx, street, house, unit = zip_idx[head], street[head], house[head], unit[head]
    phone = _phones(rng, n)
    shares_landline = rng.random(n) < 0.25
    phone = np.where(shares_landline, phone[head], phone)

    # Twins: a resident and the next member of the same household.
    twin_of = np.full(n, -1, dtype=np.int64)
    candidates = np.flatnonzero(household[:-1] == household[1:])
    n_pairs = round(errors.twins * n / 2)
    if n_pairs and len(candidates):
        chosen = np.sort(rng.choice(candidates, size=min(n_pairs, len(candidates)), replace=False))
        chosen = chosen[np.concatenate([[True], np.diff(chosen) > 1])]
        second = chosen + 1
        dob[second] = dob[chosen]
        last[second] = last[chosen]
        redraw = _given(rng, pools, sex[second])
        same = redraw == first[chosen]
        redraw[same] = _given(rng, pools, sex[second][same])
        first[second] = redraw
        age[second] = age[chosen]
        twin_of[second] = idx[chosen]
        twin_of[chosen] = idx[second]

    common = rng.random(n) < errors.common_name
    for code in ("F", "M"):
        pick = np.flatnonzero(common & (sex == code))
        names = COMMON_NAMES[code]
        which = rng.integers(0, len(names), size=len(pick))
        first[pick] = np.array([names[w][0] for w in which], dtype=object)
        last[pick] = np.array([names[w][1] for w in which], dtype=object)

    # Surname changes (adults): married name or hyphenated double name. `last` stays the
    # current name, `alt_last` the other one a partner may still have on file.
    changed = (age >= 18) & (rng.random(n) < errors.surname_change)
    new_name = pools.surnames.sample(rng, n)
    hyphenate = rng.random(n) < 0.3
    alt_last = np.where(changed, np.where(hyphenate, last + "-" + new_name, new_name), NONE)

    moved = rng.random(n) < errors.move
    prev_zip, prev_street, prev_house, prev_unit = _address(rng, region, n)
    phone_changed = rng.random(n) < errors.phone_change
    alt_phone = np.where(phone_changed, _phones(rng, n), -1)

    cols: dict[str, np.ndarray] = {
        "global_index": idx,
        "household": household + start,
        "sex": sex,
        "first_name": first,
        "middle_name": middle,
        "last_name": last,
        "alt_last_name": alt_last,
        "dob": dob,
        "age": age,
        "ssn": ssn_numbers(idx, seed),
        "phone": phone,
        "alt_phone": alt_phone,
        "house_number": house.astype(np.int64),
        "street_name": region.street_name[street],
        "street_suffix": region.street_suffix[street],
        "unit": unit,
        "city": region.city[zip_idx],
        "zip5": region.zip5[zip_idx],
        "moved": moved,
        "prev_house_number": prev_house.astype(np.int64),
        "prev_street_name": region.street_name[prev_street],
        "prev_street_suffix": region.street_suffix[prev_street],
        "prev_unit": prev_unit,
        "prev_city": region.city[prev_zip],
        "prev_zip5": region.zip5[prev_zip],
        "twin_of": twin_of,
        "common_name": common,
    }
    cols.update(_needs_profile(rng, config, age))
    return Residents(cols)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """10-digit phone numbers as int64 (area code, exchange 200-999, line)."""
    number = rng.integers(200, 1000, size=n) * 10_000 + rng.integers(0, 10_000, size=n)
    phones: np.ndarray = int(AREA_CODE) * 10_000_000 + number
    return phones


def _needs_profile(
    rng: np.random.Generator, config: SynthConfig, age: np.ndarray
) -> dict[str, np.ndarray]:
    n = len(age)
    shares = np.array([config.overlap[t].share for t in TIERS])
    tier_idx = rng.choice(len(TIERS), size=n, p=shares / shares.sum())
    profile = np.array([_TIER_PROFILE[t] for t in TIERS])[tier_idx]
    mean_conditions, ed_mean, ip_mean, need_p, od_p, mortality = profile.T

    age_factor = np.clip(age / 50.0, 0.05, 1.8)
    weight = _CONDITION_WEIGHT[None, :] * np.where(_AGE_RELATED[None, :], age_factor[:, None], 1.0)
    p_condition = np.minimum(0.95, mean_conditions[:, None] * weight)
    p_condition = np.where(_ADULT_ONLY[None, :] & (age[:, None] < 14), 0.0, p_condition)
    conditions = rng.random((n, len(CONDITIONS))) < p_condition

    needs = rng.random((n, len(HRSN))) < np.minimum(0.95, need_p[:, None] * _HRSN_WEIGHT[None, :])
    sud = conditions[:, CONDITIONS.index("substance_use_disorder")]
    overdose_risk = rng.random(n) < np.minimum(0.6, od_p * np.where(sud, 4.0, 1.0))
    ed_rate = rng.gamma(2.0, ed_mean / 2.0) * np.where(overdose_risk, 1.5, 1.0)
    ip_rate = rng.gamma(2.0, ip_mean / 2.0)

    annual_q = np.minimum(0.5, 0.00008 * np.exp(0.085 * age) * mortality)
    years = config.window_days / 365.25
    p_death = 1.0 - (1.0 - annual_q) ** years + np.where(overdose_risk, 0.03, 0.0)
    dies = rng.random(n) < p_death
    window_start = np.datetime64(config.as_of, "D") - config.window_days
    death = window_start + rng.integers(0, config.window_days, size=n)
    death_date = np.where(dies, death, np.datetime64("NaT", "D"))

    out: dict[str, np.ndarray] = {
        "tier": np.array(TIERS, dtype=object)[tier_idx],
        "ed_rate": ed_rate,
        "ip_rate": ip_rate,
        "overdose_risk": overdose_risk,
        "death_date": death_date,
    }
    for i, name in enumerate(CONDITIONS):
        out[f"cond_{name}"] = conditions[:, i]
    for i, name in enumerate(HRSN):
        out[f"need_{name}"] = needs[:, i]
    return out


def residents_frame(res: Residents, state: str = STATE) -> pl.DataFrame:
    """The ground-truth table ``residents.parquet`` for one chunk."""
    c = res.cols
    twin = c["twin_of"]
    return pl.DataFrame(
        {
            "resident_id": resident_ids(c["global_index"]),
            "household_id": c["household"],
            "first_name": text(c["first_name"]),
            "middle_name": text(c["middle_name"]),
            "last_name": text(c["last_name"]),
            "alt_last_name": text(c["alt_last_name"]),
            "sex": text(c["sex"]),
            "dob": pl.Series(c["dob"]).cast(pl.Date),
            "ssn": digits(c["ssn"], 9),
            "phone": digits(c["phone"], 10),
            "alt_phone": digits(c["alt_phone"], 10),
            "street": _street_line(c, "", None),
            "unit": text(c["unit"]),
            "city": text(c["city"]),
            "state": state,
            "zip5": text(c["zip5"]),
            "prev_street": _street_line(c, "prev_", c["moved"]),
            "prev_unit": text(np.where(c["moved"], c["prev_unit"], NONE)),
            "prev_city": text(np.where(c["moved"], c["prev_city"], NONE)),
            "prev_zip5": text(np.where(c["moved"], c["prev_zip5"], NONE)),
            "twin_resident_id": resident_ids(twin),
            "common_name": c["common_name"],
            "tier": text(c["tier"]),
            **{k: c[k] for k in c if k.startswith(("cond_", "need_"))},
            "overdose_risk": c["overdose_risk"],
            "ed_rate_per_year": c["ed_rate"].round(4),
            "ip_rate_per_year": c["ip_rate"].round(4),
            "death_date": pl.Series(c["death_date"]).cast(pl.Date),
        }
    )


def _street_line(c: dict[str, np.ndarray], prefix: str, keep: np.ndarray | None) -> pl.Series:
    line = pl.concat_str(
        [
            pl.Series(c[f"{prefix}house_number"]).cast(pl.String),
            text(c[f"{prefix}street_name"]),
            text(c[f"{prefix}street_suffix"]),
        ],
        separator=" ",
    )
    if keep is None:
        return pl.select(line).to_series()
    return pl.select(pl.when(pl.Series(keep)).then(line).otherwise(None)).to_series()
