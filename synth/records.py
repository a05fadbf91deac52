"""Partner records: who a partner sees, and the identifiers as that partner has them on file.

Each record starts from the resident's true identity, then picks up real-life variation (old
address, old surname, second phone) and data-entry errors at the configured rates. Every change
is flagged, so ``record_errors.parquet`` can explain each missed or false link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np

from synth.arrays import NONE
from synth.config import PartnerId, SynthConfig
from synth.names import nicknames
from synth.residents import Residents
from synth.typos import digit_typo, keyboard_typo, ocr_typo, phonetic_typo

PLACEHOLDER_DOB: Final = np.datetime64("1900-01-01", "D")
# Which identifiers each partner collects at all.
HAS_SSN: Final[dict[PartnerId, bool]] = {
    "mercy_hospital": True,
    "riverside_health": True,
    "county_public_health": True,
    "harbor_housing": True,
    "northside_food": False,
}
CBOS: Final = frozenset({"harbor_housing", "northside_food"})
# Children are mostly registered under a parent at CBOs: they appear at this share of the rate.
CBO_CHILD_FACTOR: Final = 0.2
HAS_PART2: Final = frozenset({"harbor_housing"})
HAS_MIDDLE: Final = frozenset({"mercy_hospital", "county_public_health"})
ERROR_FLAGS: Final = (
    "duplicate",
    "typo_first",
    "typo_last",
    "nickname",
    "surname_change",
    "name_swap",
    "dob_swap",
    "dob_error",
    "old_address",
    "other_phone",
    "missing_ssn",
    "partial_ssn",
    "dob_year_only",
    "missing_phone",
    "missing_address",
    "missing_sex",
    "given_replaced",
    "typo_ocr",
    "typo_phonetic",
    "dob_typo",
    "missing_dob",
    "ssn_typo",
    "no_house_number",
    "po_box",
    "unit_dropped",
    "missing_locality",
    "locality_variant",
)
# Locality words with a short form a clerk may write (the normaliser maps most of them back).
LOCALITY_SHORT: Final = {
    "North": "N.",
    "South": "S.",
    "East": "E.",
    "West": "W.",
    "Port": "Pt.",
    "Fort": "Ft.",
    "Saint": "St.",
    "Mount": "Mt.",
    "Lake": "Lk.",
}


@dataclass
class Records:
    """Column arrays of one partner's records in one chunk."""

    partner: PartnerId
    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["resident"])

    def __getitem__(self, key: str) -> np.ndarray:
        return self.cols[key]

    def record_of(self, n_residents: int) -> tuple[np.ndarray, np.ndarray]:
        """Per resident: row of its first record and of its duplicate (-1: none)."""
        first = np.full(n_residents, -1, dtype=np.int64)
        dup = np.full(n_residents, -1, dtype=np.int64)
        is_dup = self.cols["duplicate"]
        rows = np.arange(len(self))
        first[self.cols["resident"][~is_dup]] = rows[~is_dup]
        dup[self.cols["resident"][is_dup]] = rows[is_dup]
        return first, dup


def presence(
    rng: np.random.Generator, res: Residents, config: SynthConfig
) -> dict[str, np.ndarray]:
    """Per partner: does each resident appear there (drawn independently given the tier).

    Adults appear at the configured rate of their tier; children at CBOs at a fifth of it.
    """
    tiers = res["tier"]
    child = res["age"] < 18
    out: dict[str, np.ndarray] = {}
    for partner in config.overlap["low"].presence:
        p = np.zeros(len(res))
        for tier, tier_cfg in config.overlap.items():
            p[tiers == tier] = tier_cfg.presence[partner]
        if partner in CBOS:
            p = np.where(child, p * CBO_CHILD_FACTOR, p)
        out[partner] = rng.random(len(res)) < p
    return out


def _pick(rng: np.random.Generator, rate: float, eligible: np.ndarray) -> np.ndarray:
    return eligible & (rng.random(len(eligible)) < rate)


def _dob_parts(dob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dob.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dob - dob.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, d


def _dob_error(day: np.datetime64, rng: np.random.Generator) -> np.datetime64:
    value = day.astype(dt.date)
    kind = rng.random()
    if kind < 0.4:
        new = value + dt.timedelta(days=int(rng.choice([-2, -1, 1, 2])))
    elif kind < 0.7:
        new = value.replace(
            year=value.year + int(rng.choice([-10, -1, 1, 10])), day=min(value.day, 28)
        )
    else:
        month = (value.month % 12) + 1 if rng.random() < 0.5 else (value.month - 2) % 12 + 1
        new = value.replace(month=month, day=min(value.day, 28))
    if new == value:
        new = value + dt.timedelta(days=1)
    return np.datetime64(new, "D")


def _dob_typo(day: np.datetime64, rng: np.random.Generator) -> np.datetime64:
    """A keypad error in the written ``YYYYMMDD``, kept only if it is still a valid date."""
    value = day.astype(dt.date)
    text = value.strftime("%Y%m%d")
    for _ in range(16):
        # Year, month or day, each as likely; a typo in the century digits is not plausible.
        start, end = [(2, 4), (4, 6), (6, 8)][int(rng.integers(0, 3))]
        part = digit_typo(text[start:end], rng)
        try:
            new = dt.datetime.strptime(text[:start] + part + text[end:], "%Y%m%d").date()
        except ValueError:
            continue
        if new != value and new.year >= 1900:
            return np.datetime64(new, "D")
    return _dob_error(day, rng)


def _chosen(rng: np.random.Generator, rate: float, eligible: np.ndarray) -> np.ndarray:
    """Like ``_pick``, but draws nothing when ``rate`` is 0: the default profile's stream (and
    so its files) stays as it was before these error kinds existed."""
    return _pick(rng, rate, eligible) if rate > 0 else np.zeros(len(eligible), dtype=bool)


def _misspell(
    rng: np.random.Generator,
    rate: float,
    first: np.ndarray,
    last: np.ndarray,
    typo: Callable[[str, np.random.Generator], str],
) -> np.ndarray:
    """Apply ``typo`` (a name -> name function) to the first or last name of ``rate`` of rows."""
    chosen = _chosen(rng, rate, np.ones(len(first), dtype=bool))
    for i in np.flatnonzero(chosen):
        names = first if rng.random() < 0.5 else last
        if names[i] is not None:
            names[i] = typo(names[i], rng)
    return chosen


def _replace_given(
    rng: np.random.Generator,
    rate: float,
    first: np.ndarray,
    true_first: np.ndarray,
    sex: np.ndarray,
    pool: np.ndarray,
) -> np.ndarray:
    """Another given name of the same sex from ``pool`` (the chunk's residents' names): neither
    the one on file nor the true one."""
    chosen = _chosen(rng, rate, np.ones(len(first), dtype=bool))
    by_sex: dict[object, np.ndarray] = {}
    for i in np.flatnonzero(chosen):
        if sex[i] not in by_sex:  # once per sex, not per record
            same = pool[0][pool[1] == sex[i]]
            by_sex[sex[i]] = same if len(same) else pool[0]
        names = by_sex[sex[i]]
        for _ in range(8):
            other = names[int(rng.integers(0, len(names)))]
            if other not in (first[i], true_first[i]):
                first[i] = other
                break
    return chosen


def locality_variant_of(city: str, rng: np.random.Generator) -> str:
    """``city`` spelled another way: a short form of a word when one has it (``North Adams`` ->
    ``N. Adams``), else its words run together, else a keyboard typo."""
    words = city.split(" ")
    short = [i for i, w in enumerate(words) if w in LOCALITY_SHORT]
    kind = rng.random()
    if short and kind < 0.5:
        i = short[int(rng.integers(0, len(short)))]
        return " ".join([*words[:i], LOCALITY_SHORT[words[i]], *words[i + 1 :]])
    if len(words) > 1 and kind < 0.75:
        return "".join(words)
    return keyboard_typo(city, rng)


def partner_records(
    rng: np.random.Generator,
    res: Residents,
    partner: PartnerId,
    present: np.ndarray,
    config: SynthConfig,
) -> Records:
    """The records ``partner`` holds for the residents of one chunk, errors applied."""
    e = config.errors
    miss = config.missing[partner]
    dup_of = np.flatnonzero(present & (rng.random(len(res)) < e.duplicate))
    who = np.concatenate([np.flatnonzero(present), dup_of])
    is_dup = np.concatenate([np.zeros(int(present.sum()), bool), np.ones(len(dup_of), bool)])
    m = len(who)

    def take(name: str) -> np.ndarray:
        return res[name][who].copy()

    first, middle, last = take("first_name"), take("middle_name"), take("last_name")
    alt_last = take("alt_last_name")
    surname_change = (alt_last != None) & (rng.random(m) < 0.5)  # noqa: E711
    last = np.where(surname_change, alt_last, last)

    old_address = take("moved") & (rng.random(m) < 0.5)
    house = np.where(old_address, take("prev_house_number"), take("house_number"))
    street_name = np.where(old_address, take("prev_street_name"), take("street_name"))
    street_suffix = np.where(old_address, take("prev_street_suffix"), take("street_suffix"))
    unit = np.where(old_address, take("prev_unit"), take("unit"))
    city = np.where(old_address, take("prev_city"), take("city"))
    zip5 = np.where(old_address, take("prev_zip5"), take("zip5"))

    alt_phone = take("alt_phone")
    other_phone = (alt_phone >= 0) & (rng.random(m) < 0.5)
    phone = np.where(other_phone, alt_phone, take("phone"))

    table = nicknames()
    has_nick = np.array([name in table for name in first], dtype=bool)
    nickname = _pick(rng, e.nickname, has_nick)
    for i in np.flatnonzero(nickname):
        options = table[first[i]]
        first[i] = options[int(rng.integers(0, len(options)))]

    typo = rng.random(m) < e.typo
    in_first = rng.random(m) < 0.5
    typo_first, typo_last = typo & in_first, typo & ~in_first
    for i in np.flatnonzero(typo_first):
        first[i] = keyboard_typo(first[i], rng)
    for i in np.flatnonzero(typo_last):
        last[i] = keyboard_typo(last[i], rng)

    typo_ocr = _misspell(rng, e.ocr, first, last, ocr_typo)
    typo_phonetic = _misspell(rng, e.phonetic, first, last, phonetic_typo)
    given_replaced = _replace_given(
        rng,
        e.given_replaced,
        first,
        take("first_name"),
        take("sex"),
        np.stack([res["first_name"], res["sex"]]),
    )

    name_swap = rng.random(m) < e.name_swap
    first, last = np.where(name_swap, last, first), np.where(name_swap, first, last)

    dob = take("dob")
    y, mo, d = _dob_parts(dob)
    dob_swap = _pick(rng, e.dob_swap, (d <= 12) & (d != mo))
    swapped = ((y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (d - 1)).astype(
        "datetime64[D]"
    ) + (mo - 1)
    dob = np.where(dob_swap, swapped, dob)
    dob_error = _pick(rng, e.dob_error, ~dob_swap)
    for i in np.flatnonzero(dob_error):
        dob[i] = _dob_error(dob[i], rng)
    dob_typo = _chosen(rng, e.dob_typo, ~dob_swap & ~dob_error)
    for i in np.flatnonzero(dob_typo):
        dob[i] = _dob_typo(dob[i], rng)

    ssn = take("ssn")
    missing_ssn = np.ones(m, bool) if not HAS_SSN[partner] else rng.random(m) < miss.ssn
    partial_ssn = ~missing_ssn & (rng.random(m) < miss.ssn_partial)
    ssn = np.where(missing_ssn, -1, ssn)
    ssn_typo = _chosen(rng, e.ssn_typo, ~missing_ssn)
    for i in np.flatnonzero(ssn_typo):
        ssn[i] = int(digit_typo(f"{ssn[i]:09d}", rng))
    dob_year_only = rng.random(m) < miss.dob_year_only
    missing_phone = rng.random(m) < miss.phone
    phone = np.where(missing_phone, -1, phone)
    missing_address = rng.random(m) < miss.address
    missing_sex = rng.random(m) < miss.sex
    sex = np.where(missing_sex, NONE, take("sex"))
    if partner in HAS_MIDDLE:
        middle = np.where(rng.random(m) < miss.middle_name, NONE, middle)
    else:
        middle = np.full(m, None, dtype=object)

    placeholder = np.full(m, None, dtype=object)
    chosen = np.flatnonzero(rng.random(m) < e.placeholder)
    age = take("age")
    fields = ["first", "dob", "phone", *(["ssn"] if HAS_SSN[partner] else [])]
    for i in chosen:
        field = fields[int(rng.integers(0, len(fields)))]
        if field == "first":
            newborn = age[i] == 0 and partner in ("mercy_hospital", "riverside_health")
            first[i] = ("BABY GIRL" if sex[i] == "F" else "BABY BOY") if newborn else "UNKNOWN"
        elif field == "dob":
            dob[i] = PLACEHOLDER_DOB
            dob_year_only[i] = False
        elif field == "phone":
            phone[i] = 9_999_999_999 if rng.random() < 0.7 else 0
        else:
            ssn[i] = 999_999_999 if rng.random() < 0.7 else 0
            partial_ssn[i] = False
        placeholder[i] = field

    missing_dob = _chosen(rng, e.missing_dob, ~dob_year_only)
    dob = np.where(missing_dob, np.datetime64("NaT"), dob)
    no_house_number = _chosen(rng, e.no_house_number, ~missing_address)
    house = np.where(no_house_number, -1, house)
    po_box = _chosen(rng, e.po_box, ~missing_address)
    box = np.where(po_box, rng.integers(1, 3000, size=m) if po_box.any() else -1, -1)
    unit_dropped = _chosen(rng, e.unit_dropped, unit != None)  # noqa: E711
    unit = np.where(unit_dropped | po_box, NONE, unit)
    locality_variant = _chosen(rng, e.locality_variant, (city != None) & ~missing_address)  # noqa: E711
    for i in np.flatnonzero(locality_variant):
        city[i] = locality_variant_of(city[i], rng)
    missing_locality = _chosen(rng, e.missing_locality, ~missing_address)
    city = np.where(missing_locality, NONE, city)
    locality_variant &= ~missing_locality

    cols: dict[str, np.ndarray] = {
        "resident": who,
        "global_index": res["global_index"][who],
        "first": first,
        "middle": middle,
        "last": last,
        "sex": sex,
        "dob": dob,
        "ssn": ssn,
        "phone": phone,
        "house_number": house.astype(np.int64),
        "po_box_number": box.astype(np.int64),
        "street_name": street_name,
        "street_suffix": street_suffix,
        "unit": unit,
        "city": city,
        "zip5": zip5,
        "age": age,
        "consented": rng.random(m) >= config.opt_out,
        "part2_consent": (partner in HAS_PART2)
        & (rng.random(m) < np.where(take("cond_substance_use_disorder"), 0.6, 0.1)),
        "placeholder": placeholder,
        "duplicate": is_dup,
        "typo_first": typo_first,
        "typo_last": typo_last,
        "nickname": nickname,
        "surname_change": surname_change,
        "name_swap": name_swap,
        "dob_swap": dob_swap,
        "dob_error": dob_error,
        "old_address": old_address,
        "other_phone": other_phone,
        "missing_ssn": missing_ssn,
        "partial_ssn": partial_ssn,
        "dob_year_only": dob_year_only,
        "missing_phone": missing_phone,
        "missing_address": missing_address,
        "missing_sex": missing_sex,
        "given_replaced": given_replaced,
        "typo_ocr": typo_ocr,
        "typo_phonetic": typo_phonetic,
        "dob_typo": dob_typo,
        "missing_dob": missing_dob,
        "ssn_typo": ssn_typo,
        "no_house_number": no_house_number,
        "po_box": po_box,
        "unit_dropped": unit_dropped,
        "missing_locality": missing_locality,
        "locality_variant": locality_variant,
    }
    return Records(partner=partner, cols=cols)
