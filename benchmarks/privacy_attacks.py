"""What a curious hub could re-identify: frequency and Bloom-filter attacks on the encodings.

    .venv/bin/python benchmarks/privacy_attacks.py --region /tmp/region20k
    .venv/bin/python benchmarks/privacy_attacks.py --residents 20000   # runs carehub synth first

The attacker holds everything the hub receives (all five partners' persons.parquet) and knows
the exact plaintext frequency of every identifier over those very records (worse than a census
list). Attacks, each with random tie-breaking averaged over several shuffles:

* frequency alignment: rank encoded values by count, rank plaintext values by count, pair ranks;
  run on every deterministic token, globally and within each clear Safe Harbor stratum
  (birth year + sex, or ZIP3), keeping the attacker's best;
* Bloom filters, exact-pattern alignment: identical filters grouped and aligned as above;
* Bloom filters, similarity-graph attack: within a stratum, link filters with Dice >= t, take
  connected components as "same value" clusters, align cluster sizes to value frequencies;
  best threshold t for the attacker.

Printed by default (``benchmarks/strata_attacks.py``): for every token and Bloom filter of the
current spec, the share of persons re-identified with certainty by alignment within every
stratum of the clear fields (birth year, ZIP3, sex, each alone and every combination; the graph
attack in the coarser ones), per identifier the best and the union, and the share of persons
unique on the clear fields alone against the clear fields sharpened by what was recovered.
``--tiers`` adds the population-level tables: the fraction of records whose first name,
surname, full date of birth, address, phone or SSN is re-identified, for the current spec, for
plain single-field HMAC tokens (the baseline), and for unhardened Bloom filters (no bit flips).
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import hmac
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

# A sibling module: the script's own folder is first on sys.path when it runs.
from strata_attacks import (
    GRAPH_STRATA,
    STRATA,
    add_strata,
    certain_recovery,
    qi_uniqueness,
)

from contract.spec import BLOOM_FIELDS, bloom_columns
from encoding import normalise as nz
from encoding.encoder import DEFAULT_SETTINGS, EncodingSettings, encode_persons
from encoding.keys import EncodingKeys
from partner.mapping import load_mapping
from partner.reader import read_input

ROOT = Path(__file__).resolve().parents[1]
PARTNERS = (
    "mercy_hospital",
    "riverside_health",
    "county_public_health",
    "harbor_housing",
    "northside_food",
)
AS_OF = date(2026, 6, 30)
IDENTIFIERS = ("first", "last", "dob", "addr", "phone", "ssn")
LABELS = {
    "first": "first name",
    "last": "surname",
    "dob": "full DOB",
    "addr": "address",
    "phone": "phone",
    "ssn": "SSN",
}
SHUFFLES = 5
# Strata the attacker may use per identifier: public by-year (and by-sex) name tables, the
# year inside a DOB, the ZIP3 inside an address; phones and SSNs: the whole population.
TIERS = {
    # The attacker: the exact population frequency of each identifier (a census list).
    "A: census frequencies": {t: ["stratum_all"] for t in IDENTIFIERS},
    # Stronger: frequencies within every clear Safe Harbor stratum (by-year and by-sex name
    # tables, the year inside a DOB, the ZIP3 inside an address).
    "B: + per-stratum frequencies": {
        "first": ["stratum_all", "stratum_year", "stratum_person"],
        "last": ["stratum_all", "stratum_year"],
        "dob": ["stratum_all", "stratum_year"],
        "addr": ["stratum_all", "stratum_zip3"],
        "phone": ["stratum_all"],
        "ssn": ["stratum_all"],
    },
}
DETAIL: list[str] = []


def shared_secret(key_seed: int | None) -> bytes:
    """The benchmark's shared secret: a fixed one, or one per ``--key-seed``.

    How much a Bloom filter gives away depends on the key (which names collide in a bucket),
    so a variant is measured under several keys and the worst is reported.
    """
    if key_seed is None:
        return b"attack-benchmark-shared-secret-000000"
    return hashlib.sha256(f"attack-benchmark-key-seed-{key_seed}".encode()).digest()


def load_region(
    region: Path,
    settings: EncodingSettings,
    dedupe: bool = True,
    key_seed: int | None = None,
    year_band: int = 1,
) -> pl.DataFrame:
    """Encode every partner of a region; keep each record's normalised plaintext beside it.

    ``year_band`` > 1 plays a hub that sees the birth year only in bands of that many years
    (the band's first year), the exact year staying inside the keyed encodings.
    """
    keys = EncodingKeys.derive(shared_secret(key_seed), b"attack-benchmark-partner-key-0000000")
    frames = []
    for pid in PARTNERS:
        mapping = load_mapping(ROOT / "partner" / "mappings" / f"{pid}.yaml")
        raw = read_input(mapping, region / "partners" / pid, pid, AS_OF).persons
        enc = encode_persons(
            raw,
            keys,
            partner_id=pid,
            as_of=AS_OF,
            sex_values=mapping.persons.sex.values if mapping.persons.sex else None,
            settings=settings,
        ).persons
        plain = pl.DataFrame(
            {
                "p_first": nz.normalise_names(raw["first_name"], "first").values,
                "p_last": nz.normalise_names(raw["last_name"], "last").values,
                "p_dob": nz.normalise_dob(raw["dob"], None, AS_OF).values.dt.strftime("%Y-%m-%d"),
                "p_street": nz.normalise_street(raw["street"]).values,
                "p_zip": nz.normalise_zip(raw["zip"]).values,
                "p_phone": nz.normalise_phone(raw["phone"]).values,
                "p_ssn": nz.normalise_ssn(raw["ssn"]).values,
            }
        )
        frames.append(
            pl.concat([enc, plain], how="horizontal").with_columns(
                partner=pl.lit(pid), source_record_id=raw["record_id"]
            )
        )
    df = pl.concat(frames)
    if year_band > 1:
        df = df.with_columns(birth_year=band_years(df["birth_year"], year_band))
    truth = pl.read_csv(region / "ground_truth" / "truth.csv", infer_schema=False)
    df = df.join(
        truth.select(
            partner="partner_id", source_record_id="source_record_id", resident="resident_id"
        ),
        on=["partner", "source_record_id"],
        how="left",
    )
    # The hub links records into persons; a census gives per-person frequencies: attack one
    # record per person (the first seen).
    if dedupe:
        df = df.unique("resident", keep="first", maintain_order=True)
    return df.with_columns(
        p_addr=pl.concat_str(["p_street", "p_zip"], separator="|"),
        p_dob_swap=pl.concat_str(
            [
                pl.col("p_dob").str.slice(0, 4),
                pl.min_horizontal(pl.col("p_dob").str.slice(5, 2), pl.col("p_dob").str.slice(8, 2)),
                pl.max_horizontal(pl.col("p_dob").str.slice(5, 2), pl.col("p_dob").str.slice(8, 2)),
            ],
            separator="|",
        ),
        p_dob_ym=pl.col("p_dob").str.slice(0, 7),
        stratum_person=pl.concat_str(
            [pl.col("birth_year").cast(pl.String).fill_null("?"), pl.col("sex")], separator="|"
        ),
        stratum_year=pl.col("birth_year").cast(pl.String).fill_null("?"),
        stratum_zip3=pl.col("zip3").fill_null("?"),
        stratum_all=pl.lit("all"),
    ).pipe(add_strata)


def settings_with(overrides: list[str]) -> EncodingSettings:
    """The spec's settings with ``FIELD=VALUE`` overrides (``--set``) applied."""
    settings = DEFAULT_SETTINGS
    for item in overrides:
        name, _, value = item.partition("=")
        kind = type(getattr(DEFAULT_SETTINGS, name))
        settings = replace(settings, **{name: kind(value)})
    return settings


def announces_size(overrides: list[str]) -> bool:
    """Whether ``--set`` names the ecosystem size; else a script announces, as the demo's steward
    does, the residents some partner knows (the library's 1M would leave a small region's phone
    tokens at full width)."""
    return any(item.partition("=")[0] == "ecosystem_persons" for item in overrides)


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """``--set FIELD=VALUE`` (repeatable): the variant of the encoding a script measures."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="measure a variant: override an EncodingSettings field (e.g. name_salt=buckets)",
    )


def band_years(years: pl.Series, band: int) -> pl.Series:
    """The clear birth year coarsened to the first year of its ``band``-year band."""
    return ((years // band) * band).cast(years.dtype)


def align(
    codes: np.ndarray, truth: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Frequency alignment: pair encoded groups and plaintext values by count rank.

    Args:
        codes: group id per record (what the attacker sees; -1 = no encoding).
        truth: plaintext value id per record (what the attacker knows the distribution of).
    Returns:
        Per record, the plaintext id the attacker assigns (-1 if none), and whether the
        assignment is certain: the group's count is unique on both sides (a 1-1 match).
    """
    out = np.full(codes.shape, -1)
    certain = np.zeros(codes.shape, dtype=bool)
    have = codes >= 0
    if not have.any():
        return out, certain
    c_ids, c_inv, c_counts = np.unique(codes[have], return_inverse=True, return_counts=True)
    p_ids, p_counts = np.unique(truth[have], return_counts=True)
    c_order = np.lexsort((rng.random(len(c_ids)), -c_counts))
    p_order = np.lexsort((rng.random(len(p_ids)), -p_counts))
    k = min(len(c_order), len(p_order))
    assigned = np.full(len(c_ids), -1)
    assigned[c_order[:k]] = p_ids[p_order[:k]]
    out[have] = assigned[c_inv]
    count_values, count_freq = np.unique(c_counts, return_counts=True)
    p_values, p_freq = np.unique(p_counts, return_counts=True)
    unique_c = set(count_values[count_freq == 1].tolist()) & set(p_values[p_freq == 1].tolist())
    # With a single plaintext value the stratum alone gives it away: not the encoding's doing.
    if len(p_ids) >= 2:
        certain[have] = np.isin(c_counts, list(unique_c))[c_inv]
    return out, certain


def _ids(series: pl.Series) -> np.ndarray:
    return series.cast(pl.String).rank("dense").fill_null(0).cast(pl.Int64).to_numpy() - 1


def frequency_attack(
    df: pl.DataFrame,
    code_col: str,
    plain_cols: list[str],
    target: str,
    strata: list[str],
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Best fractions of records whose ``target`` the attack recovers: (certain, expected).

    ``certain`` counts 1-1 matches (a unique frequency on both sides, so the attacker knows it
    is right); ``expected`` also counts lucky guesses among tied frequencies.
    """
    target_ids = _ids(df[f"p_{target}"])
    has_target = df[f"p_{target}"].is_not_null().to_numpy()
    plain_key = df.select(
        pl.concat_str([pl.col(c) for c in plain_cols], separator="\x1f")
    ).to_series()
    best, best_expected = 0.0, 0.0
    for stratum in strata:
        keys = df.select(
            pl.concat_str([pl.col(stratum), pl.col(code_col).cast(pl.String)], separator="#")
        ).to_series()
        codes = _ids(keys)
        codes[df[code_col].is_null().to_numpy()] = -1
        pkey = df.select(pl.concat_str([pl.col(stratum), plain_key], separator="#")).to_series()
        pids = _ids(pkey)
        # Map each plaintext key back to the target value it implies.
        key_to_target = np.full(pids.max() + 2, -1)
        key_to_target[pids] = target_ids
        hits, sure = 0.0, 0.0
        strat = _ids(df[stratum])
        for _ in range(SHUFFLES):
            guess = np.full(len(df), -1)
            certain = np.zeros(len(df), dtype=bool)
            for sv in np.unique(strat):
                rows = strat == sv
                guess[rows], certain[rows] = align(codes[rows], pids[rows], rng)
            ok = (guess >= 0) & has_target & (key_to_target[np.maximum(guess, 0)] == target_ids)
            hits += ok.sum()
            sure += (ok & certain).sum()
        best = max(best, sure / SHUFFLES / len(df))
        best_expected = max(best_expected, hits / SHUFFLES / len(df))
    return best, best_expected


def _words(df: pl.DataFrame, field: str) -> tuple[np.ndarray, np.ndarray]:
    cols = bloom_columns(field)
    present = df[cols[0]].is_not_null().to_numpy()
    words = (
        df.select(pl.col(c).fill_null(0) for c in cols).to_numpy().astype(np.int64).view(np.uint64)
    )
    return words, present


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x).sum(axis=-1)


def _components(words: np.ndarray, threshold: float, chunk: int = 512) -> np.ndarray:
    """Connected components of the graph "Dice >= threshold" over the rows of ``words``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ones = _popcount(words)
    rows, cols = [], []
    for start in range(0, len(words), chunk):
        block = words[start : start + chunk]
        inter = np.zeros((len(block), len(words)), dtype=np.int32)
        for j in range(words.shape[1]):
            inter += np.bitwise_count(block[:, None, j] & words[None, :, j]).astype(np.int32)
        dice = 2 * inter / np.maximum(ones[start : start + chunk, None] + ones[None, :], 1)
        r, c = np.nonzero(dice >= threshold)
        rows.append(r + start)
        cols.append(c)
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(len(words), len(words)))
    return connected_components(graph, directed=False)[1]


def bloom_graph_attack(
    df: pl.DataFrame,
    field: str,
    target: str,
    stratum: str,
    thresholds: tuple[float, ...],
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Similarity-graph clustering within strata, then frequency alignment of clusters."""
    words, present = _words(df, field)
    strata = _ids(df[stratum])
    best = (0.0, 0.0)
    for t in thresholds:
        labels = np.full(len(df), -1)
        next_label = 0
        for s in np.unique(strata):
            idx = np.flatnonzero((strata == s) & present)
            if idx.size == 0:
                continue
            labels[idx] = _components(words[idx], t) + next_label
            next_label += idx.size
        tmp = df.with_columns(code=pl.Series(labels).cast(pl.Int64))
        tmp = tmp.with_columns(code=pl.when(pl.col("code") >= 0).then(pl.col("code")))
        score = frequency_attack(tmp, "code", [f"p_{target}"], target, [stratum], rng)
        best = (max(best[0], score[0]), max(best[1], score[1]))
    return best


def bloom_exact_attack(
    df: pl.DataFrame, field: str, target: str, stratum: str, rng: np.random.Generator
) -> tuple[float, float]:
    cols = [f"bf_{field}_{i}" for i in range(8)]
    tmp = df.with_columns(
        code=pl.concat_str([pl.col(c).cast(pl.String) for c in cols], separator=",")
    )
    return frequency_attack(tmp, "code", [f"p_{target}"], target, [stratum, "stratum_all"], rng)


def _best(scores: list[tuple[float, float]]) -> tuple[float, float]:
    return max(s[0] for s in scores), max(s[1] for s in scores)


def carehub_attacks(
    df: pl.DataFrame, rng: np.random.Generator, graph: bool, strata_for: dict[str, list[str]]
) -> dict[str, tuple[float, float]]:
    token_plain = {
        "tok_name_dob": ["p_first", "p_last", "p_dob"],
        "tok_first_dob": ["p_first", "p_dob_swap"],
        "tok_last_dob": ["p_last", "p_dob_swap"],
        "tok_fullname": ["p_first", "p_last"],
        "tok_dob": ["p_dob"],
        "tok_dob_swap": ["p_dob_swap"],
        "tok_dob_ym": ["p_dob_ym"],
        "tok_addr": ["p_addr"],
        "tok_zip5": ["p_zip"],
        "tok_phone": ["p_phone"],
        "tok_ssn": ["p_ssn"],
    }
    reveals = {
        "first": ["tok_name_dob", "tok_first_dob", "tok_fullname"],
        "last": ["tok_name_dob", "tok_last_dob", "tok_fullname"],
        "dob": ["tok_name_dob", "tok_dob"],
        "addr": ["tok_addr"],
        "phone": ["tok_phone"],
        "ssn": ["tok_ssn"],
    }
    out: dict[str, tuple[float, float]] = {}
    for target, cols in reveals.items():
        strata = strata_for[target]
        scores = [frequency_attack(df, c, token_plain[c], target, strata, rng) for c in cols]
        DETAIL.extend(
            f"  {target:<6} via {c:<14} certain {100 * x[0]:5.2f}%  expected {100 * x[1]:5.2f}%"
            for c, x in zip(cols, scores, strict=True)
        )
        out[target] = _best(scores)
    for field, target in (("first", "first"), ("last", "last"), ("addr", "street")):
        key = "addr" if target == "street" else target
        stratum = strata_for[key][-1]
        scores = [bloom_exact_attack(df, field, target, stratum, rng)]
        if graph:
            scores.append(bloom_graph_attack(df, field, target, stratum, (0.6, 0.7, 0.8, 0.9), rng))
        DETAIL.extend(
            f"  {key:<6} via bf_{field} {kind:<8} "
            f"certain {100 * x[0]:5.2f}%  expected {100 * x[1]:5.2f}%"
            for kind, x in zip(("exact", "graph"), scores, strict=False)
        )
        scores.append(out[key])
        out[key] = _best(scores)
    return out


def baseline_attacks(
    df: pl.DataFrame, rng: np.random.Generator, strata_for: dict[str, list[str]]
) -> dict[str, tuple[float, float]]:
    """Plain single-field HMAC tokens: one deterministic token per identifier."""
    key = b"baseline-single-field-key-0000000000"
    out = {}
    for target in IDENTIFIERS:
        col = f"p_{target}"
        tokens = pl.Series(
            [
                None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32]
                for v in df[col].to_list()
            ],
            dtype=pl.String,
        )
        tmp = df.with_columns(base=tokens)
        out[target] = frequency_attack(tmp, "base", [col], target, strata_for[target], rng)
    return out


# What each encoded column encodes (plaintext columns of load_region) and which identifiers a
# certain recovery of it gives away. Columns missing from a spec's output are skipped.
ENCODED_PLAIN: dict[str, tuple[list[str], list[str]]] = {
    "tok_name_dob": (["p_first", "p_last", "p_dob"], ["first", "last", "dob", "month"]),
    # A name with the swap-invariant DOB gives the DOB away too (up to a day/month swap, none
    # when the day is above 12): counted since spec 2.1's benchmark (twins share tok_last_dob).
    "tok_first_dob": (["p_first", "p_dob_swap"], ["first", "dob", "month"]),
    "tok_last_dob": (["p_last", "p_dob_swap"], ["last", "dob", "month"]),
    "tok_fullname": (["p_first", "p_last"], ["first", "last"]),
    "tok_dob": (["p_dob"], ["dob", "month"]),
    "tok_dob_swap": (["p_dob_swap"], []),
    "tok_dob_ym": (["p_dob_ym"], ["month"]),
    "tok_addr": (["p_addr"], ["addr", "zip5"]),
    "tok_zip5": (["p_zip"], ["zip5"]),
    # Spec 2.1's combination tokens for blocking.
    "tok_first_addr": (["p_first", "p_addr"], ["first", "addr", "zip5"]),
    "tok_dob_zip5_sex": (["p_dob", "p_zip", "sex"], ["dob", "month", "zip5"]),
    "tok_phone": (["p_phone"], ["phone"]),
    "tok_ssn": (["p_ssn"], ["ssn"]),
}
# Bloom field -> (plaintext it encodes, identifiers a recovery gives away).
BLOOM_PLAIN: dict[str, tuple[str, list[str]]] = {
    "first": ("p_first", ["first"]),
    "last": ("p_last", ["last"]),
    "addr": ("p_addr", ["addr"]),  # spec 2.1: street (no unit) and ZIP5, locality inside
    "dob": ("p_dob", ["dob", "month"]),
    "ssn": ("p_ssn", ["ssn"]),
}
STRATA_TARGETS = ("first", "last", "dob", "month", "addr", "zip5", "phone", "ssn")
STRATA_LABELS = LABELS | {"month": "birth month", "zip5": "ZIP5"}


def _cluster_codes(df: pl.DataFrame, field: str, stratum: str, threshold: float) -> pl.Series:
    """Similarity-graph clusters (Dice >= threshold) of one filter, within each stratum."""
    words, present = _words(df, field)
    strata = _ids(df[f"s_{stratum}"])
    labels = np.full(len(df), -1, dtype=np.int64)
    offset = 0
    for s in np.unique(strata):
        idx = np.flatnonzero((strata == s) & present)
        if idx.size:
            labels[idx] = _components(words[idx], threshold) + offset
            offset += idx.size
    codes = pl.Series("c", labels)
    return pl.select(pl.when(codes >= 0).then(codes)).to_series()


Known = dict[str, np.ndarray]  # per identifier: whose value was recovered for certain


def strata_attacks(
    df: pl.DataFrame, graph: bool
) -> tuple[dict[str, dict[str, float]], Known, dict[str, tuple[float, str]], dict[str, Known]]:
    """Certain recoveries of every encoded column within every clear stratum.

    Returns the share of persons recovered per (column, stratum); per identifier, the union of
    its certain recoveries over all columns and strata (what the attacker ends up knowing);
    per identifier the best single (column, stratum) with its share; and the union per
    column (what each column alone gives away, for the quasi-identifier breakdown).
    """
    table: dict[str, dict[str, float]] = {}
    known = {t: np.zeros(df.height, dtype=bool) for t in STRATA_TARGETS}
    best: dict[str, tuple[float, str]] = {t: (0.0, "-") for t in STRATA_TARGETS}
    by_column: dict[str, Known] = {}

    def record(column: str, stratum: str, mask: np.ndarray, targets: list[str]) -> None:
        share = float(mask.mean())
        row = table.setdefault(column, {})
        row[stratum] = max(row.get(stratum, 0.0), share)
        mine = by_column.setdefault(
            column, {t: np.zeros(df.height, dtype=bool) for t in STRATA_TARGETS}
        )
        for t in targets:
            known[t] |= mask
            mine[t] |= mask
            if share > best[t][0]:
                best[t] = (share, f"{column} in {stratum}")

    for col, (plain, targets) in ENCODED_PLAIN.items():
        if col not in df.columns:
            continue
        tmp = df.with_columns(_plain=pl.concat_str(plain, separator="\x1f"))
        for stratum in STRATA:
            record(col, stratum, certain_recovery(tmp, col, "_plain", f"s_{stratum}"), targets)
    fields = [f for f in BLOOM_FIELDS if f in BLOOM_PLAIN]
    for field in fields:
        plain, targets = BLOOM_PLAIN[field]
        tmp = df.with_columns(
            _code=pl.concat_str(
                [pl.col(c).cast(pl.String) for c in bloom_columns(field)], separator=","
            )
        )
        for stratum in STRATA:
            mask = certain_recovery(tmp, "_code", plain, f"s_{stratum}")
            record(f"bf_{field} (exact)", stratum, mask, targets)
        if not graph:
            continue
        for stratum in GRAPH_STRATA:
            for t in (0.6, 0.7, 0.8, 0.9):
                tmp = df.with_columns(_code=_cluster_codes(df, field, stratum, t))
                mask = certain_recovery(tmp, "_code", plain, f"s_{stratum}")
                record(f"bf_{field} (graph)", stratum, mask, targets)
    return table, known, best, by_column


def _qi(df: pl.DataFrame, known: Known) -> dict[str, float]:
    return qi_uniqueness(df, known["zip5"] | known["addr"], known["month"], known["dob"])


QI_RECOVERED: Final = "clear + what the encodings gave away"


def print_qi_by_column(df: pl.DataFrame, known: Known, by_column: dict[str, Known]) -> None:
    """Which columns make the combined quasi-identifiers more unique than the clear fields:
    each column's recoveries alone, and all columns but that one (leave-one-out)."""
    clear = _qi(df, {t: np.zeros(df.height, dtype=bool) for t in STRATA_TARGETS})
    base = clear["clear fields alone (sex, ZIP3, birth year)"]
    full = _qi(df, known)[QI_RECOVERED]
    print(
        f"\nquasi-identifier uniqueness by column (clear alone {100 * base:.2f}%, all columns "
        f"{100 * full:.2f}%): the column's recoveries alone | all columns but it"
    )
    for column, mine in by_column.items():
        alone = _qi(df, mine)[QI_RECOVERED]
        others = {
            t: np.logical_or.reduce(
                [m[t] for c, m in by_column.items() if c != column]
                or [np.zeros(df.height, dtype=bool)]
            )
            for t in STRATA_TARGETS
        }
        without = _qi(df, others)[QI_RECOVERED]
        if alone > base or without < full:
            print(f"  {column:<22} {100 * alone:6.2f}% | {100 * without:6.2f}%")


def print_strata(df: pl.DataFrame, graph: bool, qi_by_column: bool = False) -> None:
    table, known, best, by_column = strata_attacks(df, graph)
    print(
        "\nfrequency alignment within every clear stratum -- share of persons whose encoded "
        "value is re-identified with certainty; goal < 1%"
    )
    names = list(STRATA)
    print(f"{'column':<22}" + "".join(f"{n:>14}" for n in names))
    for col, row in table.items():
        print(
            f"{col:<22}"
            + "".join(f"{100 * row[n]:>13.2f}%" if n in row else f"{'':>14}" for n in names)
        )
    print("\nper identifier: best single column and stratum | union over all of them")
    for t in STRATA_TARGETS:
        share, where = best[t]
        print(
            f"  {STRATA_LABELS[t]:<12} {100 * share:6.2f}%  ({where})"
            f" | {100 * known[t].mean():6.2f}%"
        )
    qi = _qi(df, known)
    print("\nquasi-identifier uniqueness: share of persons unique in the population on")
    for label, share in qi.items():
        print(f"  {label:<45} {100 * share:6.2f}%")
    if qi_by_column:
        print_qi_by_column(df, known, by_column)


def _pair_dice(words: np.ndarray, present: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ok = present[a] & present[b]
    a, b = a[ok], b[ok]
    inter = np.bitwise_count(words[a] & words[b]).sum(axis=1)
    return 2 * inter / np.maximum(_popcount(words[a]) + _popcount(words[b]), 1)


def dice_separation(region: Path, settings: EncodingSettings) -> dict[str, tuple[float, ...]]:
    """Accuracy side: Dice of true-match pairs vs same-birth-year non-match pairs, per filter.

    Returns per field: (median Dice of matches, 5th percentile of matches, share of matches
    >= 0.8, median of non-matches, 99th percentile of non-matches, share of non-matches >= 0.8).
    """
    df = load_region(region, settings, dedupe=False)
    rng = np.random.default_rng(3)
    residents = df["resident"].to_numpy()
    order = np.argsort(residents, kind="stable")
    same = residents[order][1:] == residents[order][:-1]
    m_a, m_b = order[:-1][same], order[1:][same]
    years = df["stratum_year"].to_numpy()
    n_a = rng.integers(0, df.height, 20 * len(m_a))
    n_b = rng.integers(0, df.height, 20 * len(m_a))
    keep = (residents[n_a] != residents[n_b]) & (years[n_a] == years[n_b])
    n_a, n_b = n_a[keep], n_b[keep]
    out: dict[str, tuple[float, ...]] = {}
    for field in ("first", "last", "addr"):
        words, present = _words(df, field)
        m, nm = _pair_dice(words, present, m_a, m_b), _pair_dice(words, present, n_a, n_b)
        out[field] = (
            float(np.median(m)),
            float(np.quantile(m, 0.05)),
            float((m >= 0.8).mean()),
            float(np.median(nm)),
            float(np.quantile(nm, 0.99)),
            float((nm >= 0.8).mean()),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--region", type=Path, help="a region written by `carehub synth`")
    parser.add_argument(
        "--residents", type=int, default=20_000, help="synthesise a region this size if no --region"
    )
    parser.add_argument(
        "--dice", action="store_true", help="only the accuracy side: Dice of matches"
    )
    parser.add_argument("--detail", action="store_true", help="print every attack's score")
    add_set_option(parser)
    parser.add_argument(
        "--tiers",
        action="store_true",
        help="also the population-level tables (attackers A and B, single-field baseline)",
    )
    parser.add_argument(
        "--no-graph", action="store_true", help="skip the (quadratic) similarity-graph attack"
    )
    parser.add_argument(
        "--qi-by-column",
        action="store_true",
        help="break the combined quasi-identifier uniqueness down by encoded column",
    )
    parser.add_argument(
        "--key-seed",
        type=int,
        help="draw the shared secret from this seed (default: one fixed secret); the leak of "
        "the Bloom filters depends on the key: measure a change under two seeds at least",
    )
    parser.add_argument(
        "--year-band",
        type=int,
        default=1,
        help="the hub sees the birth year in bands of this many years (default 1: the year); "
        "the strata and the clear fields of the uniqueness measure use the band",
    )
    args = parser.parse_args()
    region = args.region
    if region is None:
        region = Path(tempfile.mkdtemp()) / "region"
        subprocess.run(
            [
                str(Path(sys.executable).with_name("carehub")),
                "synth",
                "--residents",
                str(args.residents),
                "--seed",
                "11",
                "--out",
                str(region),
            ],
            check=True,
        )
        atexit.register(shutil.rmtree, region.parent, ignore_errors=True)
    rng = np.random.default_rng(7)
    start = time.perf_counter()
    if args.dice:
        print("Dice of true-match record pairs vs same-birth-year non-match pairs")
        head = "match median   p5  >=0.8 | non-match median  p99  >=0.8"
        for label, st in (
            ("spec 2.0", DEFAULT_SETTINGS),
            ("no flips", replace(DEFAULT_SETTINGS, noise_flips=0)),
            ("record-seeded flips", replace(DEFAULT_SETTINGS, noise_seed="record")),
        ):
            print(f"\n{label}: {head}")
            for field, v in dice_separation(region, st).items():
                print(
                    f"  {field:<6} {v[0]:>13.3f} {v[1]:5.3f} {v[2]:6.3f} |"
                    f" {v[3]:>16.3f} {v[4]:5.3f} {v[5]:6.4f}"
                )
        return
    settings = settings_with(args.set)
    if not announces_size(args.set):
        counts = json.loads((region / "region.json").read_text(encoding="utf-8"))["counts"]
        settings = replace(settings, ecosystem_persons=counts["residents_seen"])
    ours = load_region(region, settings, key_seed=args.key_seed, year_band=args.year_band)
    print(
        f"persons attacked (one record each): {ours.height:,} from {region}\n"
        f"settings {settings}\nkey seed {args.key_seed}; clear birth year in bands of "
        f"{args.year_band}"
    )
    print_strata(ours, not args.no_graph, args.qi_by_column)
    if not args.tiers:
        print(f"\n({time.perf_counter() - start:.0f} s)")
        return
    plain_bloom = load_region(region, replace(DEFAULT_SETTINGS, noise_flips=0))
    for tier, strata_for in TIERS.items():
        DETAIL.append(f"tier {tier}")
        rows = {
            "carehub spec 1.0": carehub_attacks(ours, rng, not args.no_graph, strata_for),
            "plain single-field HMAC": baseline_attacks(ours, rng, strata_for),
            "spec 1.0 without bit flips": carehub_attacks(plain_bloom, rng, False, strata_for),
        }
        for i, title in enumerate(
            (
                "re-identified with certainty (1-1 frequency match); goal < 1%",
                "guessed right, lucky guesses among tied frequencies included",
            )
        ):
            print(f"\nattacker {tier} -- fraction of persons whose value is {title}")
            print(f"{'encoding':<30}" + "".join(f"{LABELS[t]:>12}" for t in IDENTIFIERS))
            for name, scores in rows.items():
                print(f"{name:<30}" + "".join(f"{100 * scores[t][i]:>11.2f}%" for t in IDENTIFIERS))
    if args.detail:
        print("\nper attack (spec 1.0 with flips, then without):")
        print("\n".join(DETAIL))
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
