"""Attacks inside the clear strata the hub sees, and quasi-identifier uniqueness.

Helpers of ``benchmarks/privacy_attacks.py`` (no entry point of their own). The hub holds
``birth_year``, ``zip3`` and ``sex`` in clear, so every encoded column is attacked inside every
stratum those make (each alone and every combination): frequency alignment of the column's
values, or of its Bloom-filter clusters, against the exact plaintext frequencies of the very
persons attacked. Only certain recoveries count: the column's count is unique among the codes
of its stratum and the same count is unique among the plaintext values of the stratum (which
has at least two values), so the attacker knows his guess; it is counted when it is right.

The recovered values then sharpen the clear quasi-identifiers: a person whose ZIP5 or birth
month is recovered is looked up in a voter list on (sex, ZIP5 or ZIP3, DOB or birth month or
birth year). ``qi_uniqueness`` gives the share of persons unique on that against the clear
fields alone.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

CLEAR = {"year": "birth_year", "zip3": "zip3", "sex": "sex"}
# Every stratum the hub can form from its clear fields: each field alone and every combination.
STRATA: dict[str, list[str]] = {"all": []} | {
    "+".join(names): [CLEAR[n] for n in names]
    for r in (1, 2, 3)
    for names in itertools.combinations(CLEAR, r)
}
# The strata the quadratic similarity-graph attack runs in (finer strata only shrink clusters).
GRAPH_STRATA = ("all", "year", "zip3", "sex", "year+sex")


def add_strata(df: pl.DataFrame) -> pl.DataFrame:
    """One ``s_<name>`` column per stratum of ``STRATA`` (null clear values form their own)."""
    return df.with_columns(
        pl.concat_str(
            [pl.lit("all"), *(pl.col(c).cast(pl.String).fill_null("?") for c in cols)],
            separator="|",
        ).alias(f"s_{name}")
        for name, cols in STRATA.items()
    )


def certain_recovery(df: pl.DataFrame, code: str, plain: str, stratum: str) -> np.ndarray:
    """Per row: whether frequency alignment within ``stratum`` recovers ``plain`` for certain.

    ``code`` is what the hub sees (a token, a filter pattern or a cluster label); ``plain`` the
    plaintext whose frequency the attacker knows. Both null-free rows only.
    """
    t = df.select(s=pl.col(stratum), c=pl.col(code), p=pl.col(plain)).with_row_index("row")
    have = t.filter(pl.col("c").is_not_null() & pl.col("p").is_not_null())
    codes = have.group_by("s", "c").agg(n=pl.len())
    code_unique = (
        codes.group_by("s", "n").agg(k=pl.len(), c=pl.col("c").first()).filter(pl.col("k") == 1)
    )
    plains = have.group_by("s", "p").agg(n=pl.len())
    values = plains.group_by("s").agg(v=pl.len()).filter(pl.col("v") >= 2)
    plain_unique = (
        plains.group_by("s", "n")
        .agg(k=pl.len(), guess=pl.col("p").first())
        .filter(pl.col("k") == 1)
    )
    sure = code_unique.join(plain_unique, on=["s", "n"]).join(values, on="s")
    hit = have.join(sure.select("s", "c", "guess"), on=["s", "c"]).filter(
        pl.col("p") == pl.col("guess")
    )
    out = np.zeros(df.height, dtype=bool)
    out[hit["row"].to_numpy()] = True
    return out


def qi_uniqueness(
    df: pl.DataFrame, zip5_known: np.ndarray, month_known: np.ndarray, dob_known: np.ndarray
) -> dict[str, float]:
    """Share of persons unique in the attacked population on the quasi-identifiers they expose.

    Args:
        df: One row per person with clear ``sex``, ``birth_year``, ``zip3`` and the plaintext
            ``p_zip``, ``p_dob_ym``, ``p_dob`` (the voter list the attacker matches against).
        zip5_known, month_known, dob_known: per row, what the encodings gave away for certain.
    """
    loc_levels = {"zip3": "zip3", "zip5": "p_zip"}
    dob_levels = {"year": "birth_year", "month": "p_dob_ym", "dob": "p_dob"}
    counts: dict[tuple[str, str], np.ndarray] = {}
    for (ln, lc), (dn, dc) in itertools.product(loc_levels.items(), dob_levels.items()):
        counts[ln, dn] = (
            df.select(pl.len().over(["sex", lc, dc]).alias("n"))["n"].to_numpy().astype(np.int64)
        )
    # A recovered value the voter list lacks (null plaintext) cannot single anyone out.
    zip5 = zip5_known & df["p_zip"].is_not_null().to_numpy()
    dob = dob_known & df["p_dob"].is_not_null().to_numpy()
    month = (month_known | dob) & df["p_dob_ym"].is_not_null().to_numpy()
    recovered = np.where(
        zip5,
        np.where(
            dob,
            counts["zip5", "dob"],
            np.where(month, counts["zip5", "month"], counts["zip5", "year"]),
        ),
        np.where(
            dob,
            counts["zip3", "dob"],
            np.where(month, counts["zip3", "month"], counts["zip3", "year"]),
        ),
    )
    return {
        "clear fields alone (sex, ZIP3, birth year)": float((counts["zip3", "year"] == 1).mean()),
        "clear + what the encodings gave away": float((recovered == 1).mean()),
        "(sex, ZIP5, birth year and month) if all known": float(
            (counts["zip5", "month"] == 1).mean()
        ),
        # The yardstick: the month of the year alone, as a voter list may give it.
        "(sex, ZIP5, month of year) if all known": float(
            (
                df.select(pl.len().over(["sex", "p_zip", pl.col("p_dob_ym").str.slice(5, 2)]))
                .to_series()
                .to_numpy()
                == 1
            ).mean()
        ),
    }
