"""Service events in the canonical vocabulary, driven by each resident's needs profile.

Partner modules later write them with their own labels. Hospital use of residents who start
CBO services drops for the configured share of "responders" (program-evaluation signal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from synth.records import Records
from synth.residents import Residents

DX_GROUPS: Final = (
    "cardiometabolic", "respiratory", "behavioral_health", "substance_use", "overdose",
    "injury", "infection", "maternal", "other",
)  # fmt: skip
_DX_BASE: Final = np.array([0.14, 0.14, 0.08, 0.04, 0.01, 0.24, 0.15, 0.04, 0.16])
_DX_OD: Final = np.array([0.08, 0.08, 0.14, 0.22, 0.20, 0.12, 0.08, 0.01, 0.07])
_DX_BH: Final = np.array([0.10, 0.10, 0.30, 0.08, 0.03, 0.14, 0.10, 0.02, 0.13])
OD_SUBSTANCES: Final = ("OPIOID", "STIMULANT", "POLY", "UNKNOWN")


@dataclass
class Events:
    """Canonical events of one partner in one chunk; ``rec`` is a row of the partner's records."""

    rec: list[np.ndarray] = field(default_factory=list)
    event_type: list[np.ndarray] = field(default_factory=list)
    category: list[np.ndarray] = field(default_factory=list)
    date: list[np.ndarray] = field(default_factory=list)
    end_date: list[np.ndarray] = field(default_factory=list)
    result: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    group: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        rec: np.ndarray,
        event_type: str,
        category: np.ndarray | str | None,
        date: np.ndarray,
        *,
        end_date: np.ndarray | None = None,
        result: np.ndarray | None = None,
        kind: np.ndarray | str | None = None,
        group: np.ndarray | None = None,
    ) -> None:
        """Append a batch of events of one type."""
        n = len(rec)
        if n == 0:
            return
        self.rec.append(rec)
        self.event_type.append(np.full(n, event_type, dtype=object))
        self.category.append(_obj(category, n))
        self.date.append(date)
        self.end_date.append(date if end_date is None else end_date)
        self.result.append(np.full(n, -1, np.int8) if result is None else result.astype(np.int8))
        self.kind.append(_obj(kind, n))
        self.group.append(np.full(n, -1, np.int64) if group is None else group)

    def columns(self) -> dict[str, np.ndarray]:
        """Concatenated columns, ordered by record then date (as an export would list them)."""
        if not self.rec:
            return {
                "rec": np.zeros(0, np.int64),
                "event_type": np.zeros(0, object),
                "category": np.zeros(0, object),
                "date": np.zeros(0, "datetime64[D]"),
                "end_date": np.zeros(0, "datetime64[D]"),
                "result": np.zeros(0, np.int8),
                "kind": np.zeros(0, object),
                "group": np.zeros(0, np.int64),
            }
        cols = {name: np.concatenate(getattr(self, name)) for name in _EVENT_FIELDS}
        order = np.lexsort((cols["event_type"].astype(str), cols["date"], cols["rec"]))
        return {k: v[order] for k, v in cols.items()}


_EVENT_FIELDS: Final = (
    "rec",
    "event_type",
    "category",
    "date",
    "end_date",
    "result",
    "kind",
    "group",
)


def _obj(value: np.ndarray | str | None, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value.astype(object)
    return np.full(n, value, dtype=object)


@dataclass
class Timeline:
    """Per resident: the observation window and the CBO program start."""

    start: np.datetime64
    begin: np.ndarray  # per resident: the window start, or the birth date if later
    as_of: np.datetime64
    end: np.ndarray  # as_of, or the death date
    program_start: np.ndarray  # NaT when never served by a CBO
    responder: np.ndarray
    effect: float


def spread(
    rng: np.random.Generator, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Repeat each owner ``counts`` times with dates uniform in ``[lo, hi]`` (skips hi < lo)."""
    width = (hi - lo).astype(np.int64)
    counts = np.where(width >= 0, counts, 0)
    owner = np.repeat(np.arange(len(counts)), counts)
    offset = (rng.random(len(owner)) * (width[owner] + 1)).astype(np.int64)
    return owner, lo[owner] + offset


def _rate_counts(
    rng: np.random.Generator, rate_per_year: np.ndarray, t: Timeline, who: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Events of a yearly rate over each resident's window, lower after the program start."""
    start = t.begin[who]
    end = t.end[who]
    ps = t.program_start[who]
    has_ps = ~np.isnat(ps) & (ps < end)
    cut = np.where(has_ps, ps, end)
    rate = rate_per_year[who] / 365.25
    pre_days = np.maximum((cut - start).astype(np.int64), 0)
    post_days = np.where(has_ps, (end - cut).astype(np.int64), 0)
    post_rate = rate * np.where(t.responder[who], 1.0 - t.effect, 1.0)
    n_pre = rng.poisson(rate * pre_days)
    n_post = rng.poisson(post_rate * post_days)
    o1, d1 = spread(rng, n_pre, start, cut)
    o2, d2 = spread(rng, n_post, cut, end)
    return np.concatenate([who[o1], who[o2]]), np.concatenate([d1, d2])


def _dx(rng: np.random.Generator, res: Residents, who: np.ndarray) -> np.ndarray:
    od = res["overdose_risk"][who]
    bh = res["cond_depression"][who] | res["cond_serious_mental_illness"][who]
    probs = np.where(od[:, None], _DX_OD, np.where(bh[:, None], _DX_BH, _DX_BASE))
    cum = probs.cumsum(axis=1)
    pick = (rng.random(len(who))[:, None] > cum).sum(axis=1)
    return np.array(DX_GROUPS, dtype=object)[np.minimum(pick, len(DX_GROUPS) - 1)]


def _to_rec(
    rng: np.random.Generator, who: np.ndarray, first: np.ndarray, dup: np.ndarray
) -> np.ndarray:
    """A record row per event: the resident's record, sometimes its duplicate registration."""
    rec = first[who]
    use_dup = (dup[who] >= 0) & (rng.random(len(who)) < 0.4)
    return np.where(use_dup, dup[who], rec)


def hospital_events(
    rng: np.random.Generator,
    res: Residents,
    t: Timeline,
    hospitals: list[tuple[Records, np.ndarray]],
) -> list[Events]:
    """ED visits, inpatient stays and chronic-condition flags, split over the hospitals seen."""
    n = len(res)
    maps = [r.record_of(n) for r, _ in hospitals]
    at_any = np.zeros(n, bool)
    for _, present in hospitals:
        at_any |= present
    who = np.flatnonzero(at_any)
    out = [Events() for _ in hospitals]

    def assign(owner: np.ndarray) -> np.ndarray:
        # Each visit goes to one hospital the resident uses (the first is a bit busier).
        choice = np.full(len(owner), -1)
        u = rng.random(len(owner))
        options = np.column_stack([p[owner] for _, p in hospitals])
        weights = options * np.array([0.55, 0.45][: len(hospitals)])
        cum = weights.cumsum(axis=1) / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
        choice = (u[:, None] > cum).sum(axis=1)
        return choice

    ed_owner, ed_date = _rate_counts(rng, res["ed_rate"], t, who)
    ed_h = assign(ed_owner)
    ed_dx = _dx(rng, res, ed_owner)
    ip_owner, ip_date = _rate_counts(rng, res["ip_rate"], t, who)
    ip_h = assign(ip_owner)
    ip_dx = _dx(rng, res, ip_owner)
    los = np.minimum(1 + rng.geometric(0.3, size=len(ip_owner)), 45)
    ip_end = np.minimum(ip_date + los, t.end[ip_owner])
    for h, (events, (first, dup)) in enumerate(zip(out, maps, strict=True)):
        sel = ed_h == h
        events.add(_to_rec(rng, ed_owner[sel], first, dup), "ed_visit", ed_dx[sel], ed_date[sel])
        sel = ip_h == h
        events.add(
            _to_rec(rng, ip_owner[sel], first, dup),
            "inpatient_stay",
            ip_dx[sel],
            ip_date[sel],
            end_date=ip_end[sel],
        )
        present = hospitals[h][1]
        for cond in _condition_names(res):
            has = np.flatnonzero(present & res[f"cond_{cond}"] & (rng.random(n) < 0.85))
            noted = t.as_of - rng.integers(1, 5 * 365, size=len(has))
            events.add(first[has], "chronic_condition", cond, noted)
    return out


def _condition_names(res: Residents) -> list[str]:
    return [k.removeprefix("cond_") for k in res.cols if k.startswith("cond_")]


def public_health_events(
    rng: np.random.Generator, res: Residents, t: Timeline, recs: Records, present: np.ndarray
) -> Events:
    """Overdoses, reportable conditions, immunisations and deaths of the case persons."""
    first, dup = recs.record_of(len(res))
    ev = Events()
    who = np.flatnonzero(present)
    start = t.begin[who]
    end = t.end[who]

    od_rate = np.where(res["overdose_risk"], 0.6, 0.0)
    owner, date = _rate_counts(rng, od_rate, t, who)
    subst = np.array(OD_SUBSTANCES, dtype=object)[
        rng.choice(len(OD_SUBSTANCES), size=len(owner), p=[0.6, 0.15, 0.15, 0.1])
    ]
    ev.add(_to_rec(rng, owner, first, dup), "overdose", subst, date)

    sud = res["cond_substance_use_disorder"][who]
    reportable = {
        "hepatitis_c": np.where(sud, 0.25, 0.002),
        "hiv": np.where(res["cond_hiv"][who], 0.4, 0.0),
        "syphilis": np.where(sud, 0.04, 0.004),
        "tuberculosis": np.full(len(who), 0.002),
        "covid19": np.full(len(who), 0.18),
        "other": np.full(len(who), 0.02),
    }
    for cond, p in reportable.items():
        hit = rng.random(len(who)) < p
        o, d = spread(rng, hit.astype(np.int64), start, end)
        ev.add(first[who[o]], "reportable_condition", cond, d)

    age = res["age"][who]
    old = age >= 65
    seasons = int(np.ceil((t.end.max() - t.start).astype(np.int64) / 365.25)) if len(who) else 0
    for season in range(seasons):
        season_start = t.start + int(season * 365.25)
        lo = np.maximum(np.full(len(who), season_start), start)
        hi = np.minimum(season_start + 100, end)
        for vaccine, p in (("influenza", 0.35 + 0.35 * old), ("covid19", 0.18 + 0.25 * old)):
            got = rng.random(len(who)) < p
            o, d = spread(rng, got.astype(np.int64), lo, hi)
            ev.add(first[who[o]], "immunization", vaccine, d)
    for vaccine, p in (
        ("pneumococcal", 0.2 * old),
        ("hepatitis_b", np.where(age < 2, 0.9, 0.01)),
        ("other", np.full(len(who), 0.04)),
    ):
        got = rng.random(len(who)) < p
        o, d = spread(rng, got.astype(np.int64), start, end)
        ev.add(first[who[o]], "immunization", vaccine, d)

    dead = who[~np.isnat(res["death_date"][who])]
    cause = _dx(rng, res, dead)
    cause = np.where(res["overdose_risk"][dead] & (rng.random(len(dead)) < 0.5), "overdose", cause)
    ev.add(first[dead], "death", cause, res["death_date"][dead])
    return ev


# CBO service menus: (service, which need triggers it (None: anyone), yearly rate, referral share)
HARBOR_MENU: Final = (
    ("housing_navigation", "need_housing_instability", 2.5, 0.1),
    ("rental_assistance", "need_housing_instability", 0.5, 0.1),
    ("emergency_shelter", "need_housing_instability", 1.5, 0.2),
    ("case_management", None, 1.5, 0.0),
    ("utility_assistance", "need_utilities", 0.8, 0.3),
    ("legal_aid", "need_housing_instability", 0.15, 0.7),
    ("substance_use_treatment", "cond_substance_use_disorder", 2.0, 0.5),
    ("behavioral_health_services", "cond_depression", 0.5, 0.6),
    ("food_pantry", "need_food_insecurity", 0.5, 1.0),
    ("transportation_assistance", "need_transportation", 0.8, 0.2),
)
NORTHSIDE_MENU: Final = (
    ("food_pantry", None, 4.0, 0.0),
    ("food_pantry", "need_food_insecurity", 8.0, 0.0),
    ("medically_tailored_meals", "cond_diabetes", 2.0, 0.0),
    ("medically_tailored_meals", "cond_heart_failure", 2.0, 0.0),
    ("snap_enrollment", "need_food_insecurity", 0.4, 0.3),
    ("transportation_assistance", "need_transportation", 1.0, 0.2),
    ("utility_assistance", "need_utilities", 0.5, 0.9),
    ("case_management", None, 0.3, 0.0),
    ("housing_navigation", "need_housing_instability", 0.6, 1.0),
    ("behavioral_health_services", "cond_depression", 0.2, 1.0),
    ("legal_aid", None, 0.03, 1.0),
    ("other", None, 0.05, 0.5),
)
_HRSN_COLUMNS: Final = (
    "need_housing_instability",
    "need_food_insecurity",
    "need_transportation",
    "need_utilities",
    "need_interpersonal_safety",
)


def cbo_events(
    rng: np.random.Generator,
    res: Residents,
    t: Timeline,
    recs: Records,
    present: np.ndarray,
    enrolled: np.ndarray,
    menu: tuple[tuple[str, str | None, float, float], ...],
    screening_base: int,
) -> tuple[Events, int]:
    """HRSN screenings at enrolment and every ~6 months, then services and referrals.

    Returns the events and the number of screenings (for screening ids across chunks).
    """
    first, dup = recs.record_of(len(res))
    ev = Events()
    who = np.flatnonzero(present)
    lo = enrolled[who]
    end = t.end[who]

    rescreens = rng.poisson(np.maximum((end - lo).astype(np.int64), 0) / 240.0)
    counts = 1 + rescreens
    counts = np.where(lo <= end, counts, 0)
    owner, dates = spread(rng, counts - 1, lo, end)
    s_owner = np.concatenate([np.flatnonzero(counts > 0), owner])
    s_date = np.concatenate([lo[counts > 0], dates])
    screen_no = screening_base + np.arange(len(s_owner))
    s_res = who[s_owner]
    s_rec = _to_rec(rng, s_res, first, dup)  # one screening, one registration
    for domain in _HRSN_COLUMNS:
        need = res[domain][s_res]
        positive = np.where(need, rng.random(len(s_res)) < 0.9, rng.random(len(s_res)) < 0.04)
        ev.add(
            s_rec,
            "hrsn_screening",
            domain.removeprefix("need_"),
            s_date,
            result=positive,
            group=screen_no,
        )

    years = np.maximum((end - lo).astype(np.int64), 0) / 365.25
    for service, trigger, rate, referral_share in menu:
        eligible = np.ones(len(who), bool) if trigger is None else res[trigger][who]
        n = rng.poisson(np.where(eligible, rate * years, 0.0))
        if trigger == "cond_substance_use_disorder":
            n = np.where(rng.random(len(who)) < 0.5, n, 0)
        o, d = spread(rng, n, lo, end)
        referral = rng.random(len(o)) < referral_share
        ev.add(
            _to_rec(rng, who[o], first, dup),
            "service",
            service,
            d,
            kind=np.where(referral, "referral", "service"),
        )
    return ev, len(s_owner)
