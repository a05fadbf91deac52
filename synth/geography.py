"""The region: ZIP3s, ZIP5s with populations and fictional towns, and the streets of each ZIP5."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from faker import Faker

STATE: Final = "NH"
AREA_CODE: Final = "603"
# ZIP3 -> share of the region's population. 036 is a low-population ZIP3 (< 20,000 people),
# which Safe Harbor generalises to 000.
ZIP3_SHARES: Final[dict[str, float]] = {
    "030": 0.17,
    "031": 0.22,
    "032": 0.14,
    "033": 0.13,
    "034": 0.08,
    "036": 0.006,
    "037": 0.084,
    "038": 0.17,
}
LOW_POPULATION_ZIP3: Final = frozenset({"036"})

# Street suffix -> (USPS abbreviation, weight).
STREET_SUFFIXES: Final[dict[str, tuple[str, float]]] = {
    "Street": ("St", 0.30),
    "Avenue": ("Ave", 0.14),
    "Road": ("Rd", 0.16),
    "Drive": ("Dr", 0.12),
    "Lane": ("Ln", 0.08),
    "Court": ("Ct", 0.05),
    "Way": ("Way", 0.04),
    "Place": ("Pl", 0.03),
    "Circle": ("Cir", 0.03),
    "Boulevard": ("Blvd", 0.02),
    "Terrace": ("Ter", 0.02),
    "Highway": ("Hwy", 0.01),
}
_TREES: Final = (
    "Elm", "Oak", "Maple", "Pine", "Cedar", "Birch", "Chestnut", "Walnut", "Spruce", "Willow",
    "Hemlock", "Ash", "Cherry", "Hickory", "Juniper", "Laurel", "Poplar", "Sycamore",
)  # fmt: skip
_PLACES: Final = (
    "Main", "Church", "School", "Mill", "River", "Lake", "Hill", "Park", "Pleasant", "Union",
    "Water", "Bridge", "Spring", "Prospect", "Summer", "Winter", "High", "Center", "Depot",
    "Granite", "Meadow", "Orchard", "Valley", "Ridge", "Forest", "Brook", "Highland", "Liberty",
)  # fmt: skip
_ORDINALS: Final = tuple(
    f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
    for n in range(1, 31)
)


@dataclass(frozen=True)
class Region:
    """ZIP5 table and, per ZIP5, a slice of the street table."""

    zip5: np.ndarray  # object str, one per ZIP5
    city: np.ndarray  # object str, per ZIP5
    zip_probs: np.ndarray  # population share per ZIP5
    street_start: np.ndarray  # int64: first street index of each ZIP5
    street_count: np.ndarray  # int64: number of streets of each ZIP5
    street_name: np.ndarray  # object str, e.g. "Elm"
    street_suffix: np.ndarray  # object str, e.g. "Street"

    def sample_zip(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """ZIP5 indices weighted by population."""
        return rng.choice(len(self.zip5), size=n, p=self.zip_probs)

    def sample_street(self, rng: np.random.Generator, zip_idx: np.ndarray) -> np.ndarray:
        """A street index inside each given ZIP5 (skewed: main roads hold more homes)."""
        u = rng.random(len(zip_idx)) ** 1.6
        offset = np.minimum(
            (u * self.street_count[zip_idx]).astype(np.int64), self.street_count[zip_idx] - 1
        )
        return self.street_start[zip_idx] + offset


def build_region(seed: int) -> Region:
    """The region of a given seed: same seed, same towns and streets."""
    rng = np.random.default_rng([seed, 0x6E0])
    fake = Faker("en_US")
    fake.seed_instance(seed)
    zip5: list[str] = []
    city: list[str] = []
    weight: list[float] = []
    for zip3, share in ZIP3_SHARES.items():
        n_zip = 6 if zip3 in LOW_POPULATION_ZIP3 else int(rng.integers(14, 41))
        suffixes = np.sort(rng.choice(np.arange(1, 100), size=n_zip, replace=False))
        main_city = fake.city()
        towns = [main_city if rng.random() < 0.35 else fake.city() for _ in range(n_zip)]
        pops = rng.lognormal(mean=0.0, sigma=0.8, size=n_zip)
        pops = pops / pops.sum() * share
        for sfx, town, pop in zip(suffixes, towns, pops, strict=True):
            zip5.append(f"{zip3}{int(sfx):02d}")
            city.append(town)
            weight.append(float(pop))
    probs = np.array(weight)
    probs = probs / probs.sum()

    base_names = np.array(
        list(_TREES)
        + list(_PLACES)
        + list(_ORDINALS)
        + [fake.last_name() for _ in range(400)]
        + [fake.first_name() for _ in range(150)],
        dtype=object,
    )
    suffix_names = np.array(list(STREET_SUFFIXES), dtype=object)
    suffix_probs = np.array([w for _, w in STREET_SUFFIXES.values()])
    suffix_probs = suffix_probs / suffix_probs.sum()
    counts = np.clip((probs * 25_000).astype(np.int64), 25, 900)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    total = int(counts.sum())
    names = base_names[rng.integers(0, len(base_names), size=total)]
    sfx = suffix_names[rng.choice(len(suffix_names), size=total, p=suffix_probs)]
    return Region(
        zip5=np.array(zip5, dtype=object),
        city=np.array(city, dtype=object),
        zip_probs=probs,
        street_start=starts.astype(np.int64),
        street_count=counts,
        street_name=names,
        street_suffix=sfx,
    )
