"""Weighted name pools drawn once from Faker's provider tables, sampled with numpy.

Calling Faker per row is far too slow for millions of residents, so the tables behind
``Faker("en_US").first_name()`` are read once and sampled vectorised. The US tables give the
head of the distribution (Smith, Johnson, Garcia, James, Maria...); names from other Latin-script
Faker locales, with Zipf weights, give the long tail of rare names a real region has.
"""

from __future__ import annotations

import csv
import importlib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
from faker.providers.person.en_US import Provider as UsPerson

# Share of residents whose surname (given name) comes from the US frequency table; the rest
# come from the rare tail. The top 1000 US surnames cover roughly 60% of people in a census.
_US_SURNAME_MASS: Final = 0.52
_US_GIVEN_MASS: Final = 0.85
_TAIL_LOCALES: Final = (
    "es_MX", "es_ES", "it_IT", "de_DE", "fr_FR", "en_IE", "en_IN", "vi_VN", "pt_BR",
    "nl_NL", "yo_NG", "sw", "pl_PL",
)  # fmt: skip

# Very common full names, by sex: the hardest cases for linkage without other identifiers.
COMMON_NAMES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "F": (
        ("Maria", "Garcia"),
        ("Maria", "Rodriguez"),
        ("Maria", "Hernandez"),
        ("Mary", "Smith"),
        ("Jennifer", "Smith"),
        ("Jennifer", "Johnson"),
        ("Linda", "Smith"),
        ("Patricia", "Johnson"),
    ),
    "M": (
        ("James", "Smith"),
        ("John", "Smith"),
        ("Michael", "Smith"),
        ("Robert", "Smith"),
        ("Michael", "Johnson"),
        ("David", "Smith"),
        ("Jose", "Garcia"),
        ("James", "Johnson"),
        ("Robert", "Johnson"),
        ("David", "Rodriguez"),
    ),
}


@dataclass(frozen=True)
class Pool:
    """Values with sampling probabilities."""

    values: np.ndarray  # object array of str
    probs: np.ndarray

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` values drawn with replacement by weight."""
        idx = rng.choice(len(self.values), size=n, p=self.probs)
        return self.values[idx]

    def sample_with_singletons(self, rng: np.random.Generator, n: int, share: float) -> np.ndarray:
        """Like ``sample``, but a ``share`` of values are spliced from two names (``Ander`` +
        ``ville``): near-unique names, so even millions of residents keep a tail of rare ones."""
        out = self.sample(rng, n)
        pick = np.flatnonzero(rng.random(n) < share)
        heads, tails = self.sample(rng, len(pick)), self.sample(rng, len(pick))
        for i, head, tail in zip(pick, heads, tails, strict=True):
            cut_h, cut_t = max(2, len(head) // 2), len(tail) // 2
            out[i] = head[:cut_h] + tail[cut_t:].lower()
        return out


def _is_latin_name(name: str) -> bool:
    if not name or not name[0].isalpha() or len(name) > 24:
        return False
    return all(ch in " -'" or unicodedata.name(ch, "").startswith("LATIN") for ch in name)


def _tail(attribute: str, exclude: Iterable[str]) -> list[str]:
    seen = set(exclude)
    out: list[str] = []
    for locale in _TAIL_LOCALES:
        module = importlib.import_module(f"faker.providers.person.{locale}")
        table = getattr(module.Provider, attribute, None)
        if table is None and attribute.startswith("first_names_"):
            table = getattr(module.Provider, "first_names", ())
        for name in table or ():
            if _is_latin_name(name) and name not in seen:
                seen.add(name)
                out.append(name)
    return out


def _pool(head: Mapping[str, float], tail: list[str], head_mass: float) -> Pool:
    head_names = list(head)
    head_w = np.array([head[n] for n in head_names], dtype=float)
    head_w = head_w / head_w.sum() * head_mass
    # Zipf-like tail in a fixed shuffled order (the tables are alphabetical); the offset keeps
    # the most frequent tail name well below the US head (Smith ~1.3%, tail top ~0.05%).
    tail = [tail[i] for i in np.random.default_rng(0).permutation(len(tail))]
    ranks = np.arange(len(tail), dtype=float)
    tail_w = 1.0 / (ranks + 200.0)
    tail_w = tail_w / tail_w.sum() * (1.0 - head_mass)
    values = np.array(head_names + tail, dtype=object)
    probs = np.concatenate([head_w, tail_w])
    return Pool(values=values, probs=probs / probs.sum())


@dataclass(frozen=True)
class NamePools:
    """Surname and sex-specific given-name pools."""

    surnames: Pool
    female: Pool
    male: Pool


@cache
def name_pools() -> NamePools:
    """The pools (built once per process)."""
    surnames = _pool(
        UsPerson.last_names, _tail("last_names", UsPerson.last_names), _US_SURNAME_MASS
    )
    female = _pool(
        UsPerson.first_names_female,
        _tail("first_names_female", UsPerson.first_names_female),
        _US_GIVEN_MASS,
    )
    male = _pool(
        UsPerson.first_names_male,
        _tail("first_names_male", UsPerson.first_names_male),
        _US_GIVEN_MASS,
    )
    return NamePools(surnames=surnames, female=female, male=male)


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    """Formal given name -> its nicknames, from ``synth/data/nicknames.csv``."""
    table: dict[str, list[str]] = {}
    with resources.files("synth.data").joinpath("nicknames.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table.setdefault(row["name"], []).append(row["nickname"])
    return {name: tuple(nicks) for name, nicks in table.items()}
