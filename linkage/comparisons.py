"""Splink comparisons and settings over the encoded columns.

Bloom-filter Dice is written with integer ``bit_count`` sums so the same SQL runs on DuckDB and
Spark: each ``bit_count`` is cast to INTEGER before summing (DuckDB returns TINYINT).
The per-record popcounts (``bfn_<field>``) are precomputed by ``prepare_records.sql``.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from contract.spec import BLOOM_FIELDS, bloom_columns
from linkage.guards import (
    NAMESAKE_GUARD_LEVEL,
    SSN_EXACT_LEVEL,
    TWIN_GUARD_LEVEL,
    TWIN_PHONE_GUARD_LEVEL,
)
from linkage.settings import BlockingRule, LinkageSettings, LocationSettings, NameSettings

UNIQUE_ID = "record_pseudonym"
SOURCE_DATASET = "partner_id"


def popcount_column(field: str) -> str:
    """The precomputed number of set bits of one Bloom filter."""
    if field not in BLOOM_FIELDS:
        raise ValueError(f"unknown Bloom field {field!r}; known: {', '.join(BLOOM_FIELDS)}")
    return f"bfn_{field}"


def dice_sql(left_field: str, right_field: str | None = None) -> str:
    """Dice coefficient between the ``_l`` filter of one field and the ``_r`` filter of another."""
    right_field = right_field or left_field
    pairs = zip(bloom_columns(left_field), bloom_columns(right_field), strict=True)
    inter = " + ".join(f"CAST(bit_count({a}_l & {b}_r) AS INTEGER)" for a, b in pairs)
    total = f"({popcount_column(left_field)}_l + {popcount_column(right_field)}_r)"
    return f"(2.0 * ({inter}) / NULLIF({total}, 0))"


def _null(field: str) -> str:
    return f"({bloom_columns(field)[0]}_l IS NULL OR {bloom_columns(field)[0]}_r IS NULL)"


def _eq(col: str) -> str:
    return f"{col}_l = {col}_r"


# tok_first_dob equality implies the same (swap-invariant) birth date. Its u, sampled over all
# pairs, would count the date a second time on top of the date-of-birth comparison; training
# divides it out (see model.correct_salted_u). Spec 1.0 salted the name filters with the birth
# year, so its name Dice levels were divided likewise; spec 2.0 does not salt them: none are.
SAME_BIRTH_YEAR_LEVELS: tuple[str, ...] = ()
# Dice of two DOB filters one digit apart (same name bucket); see docs/encoding.md.
DOB_DICE_CLOSE = 0.7
# Dice of two filters of the same value with the same salts (only the flips could differ, and
# they are seeded by the DOB): identical values, not a near miss.
SAME_VALUE_DICE = 0.99
# The name levels that hold the DOB (equal tok_first_dob) have a set u, P(level | same birth
# date), so training divides none of them (name_comparison, NameSettings.first_name_agreement).
SAME_DOB_SWAP_LEVELS: tuple[str, ...] = ()
# Spec 2.1 has no DOB token: the DOB level "same date" is read from tokens that hold the date
# with a name or a place, and from identical DOB filters. Its sampled u counts the agreeing
# names or place too; training replaces it by P(same birth date) (model.correct_salted_u).
SAME_DOB_LEVEL = "same date (or day/month swap)"
# The DOB filters' Dice at least DOB_DICE_CLOSE. The filter is salted by both names' buckets, so
# two random records (other names) almost never reach it: its sampled u is the names'
# agreement, not the dates'; training measures it among namesakes (model.correct_close_dob_u).
DOB_CLOSE_LEVEL = "one digit off"
EXACT_NAME_LEVEL = "exact name (or exact swap)"
FAR_YEARS_LEVEL = "birth years far apart"
# Dice of two SSN filters one digit apart (0.85) or with two digits transposed (0.84); two
# other people's SSNs give ~0.3 (docs/encoding.md).
SSN_DICE_CLOSE = 0.8


def name_comparison(s: NameSettings) -> cl.CustomComparison:
    """One comparison of first and last name, so a swap or a twin counts once."""
    first, last = dice_sql("first"), dice_sql("last")
    # Cross Dice works because both name filters share one key and role-free salts.
    cross = (
        f"({dice_sql('first', 'last')} >= {s.swap_dice} "
        f"AND {dice_sql('last', 'first')} >= {s.swap_dice})"
    )
    # An exact level must be a bare equality for Splink's term-frequency adjustment.
    exact: ComparisonLevelCreator = cll.CustomLevel(
        _eq("tok_fullname"), label_for_charts=EXACT_NAME_LEVEL
    )
    if s.tf_adjust_fullname:
        exact = exact.configure(tf_adjustment_column="tok_fullname", tf_adjustment_weight=1.0)
    # Only the exact surname token: widening it to a similar surname with the same DOB token
    # (a twin's surname typo) kept 0.13 points more precision on the hard profile but lost
    # 0.86 points of recall (nickname and surname typo together): F1 0.9745 -> 0.9706.
    # Two twin guards, learned apart: twins share a phone far less often than one person's
    # records do, so within twin-like pairs a shared phone says more than elsewhere.
    twins = [
        cll.CustomLevel(guard_conditions(s)[label], label_for_charts=label).configure(
            m_probability=s.twin_guard_m,
            u_probability=s.twin_guard_u,
            fix_m_probability=True,
            fix_u_probability=True,
        )
        for label in (TWIN_PHONE_GUARD_LEVEL, TWIN_GUARD_LEVEL)
    ]
    levels: list[Any] = [
        cll.CustomLevel(f"{_null('first')} OR {_null('last')}").configure(is_null_level=True),
        exact,
        cll.CustomLevel(cross, label_for_charts="first/last swapped (cross Dice)"),
        *twins,
        cll.CustomLevel(
            f"{first} >= {s.high_dice} AND {last} >= {s.high_dice}", label_for_charts="both similar"
        ),
        # The two levels of an equal first name + DOB token get their u from the settings,
        # fixed: sampled, it was mostly true pairs (small regions: u 0.1-0.7, -1 to -3 bits)
        # or none at all (1M: Splink's default u by level position, +2.8 and +0.2 bits).
        cll.CustomLevel(
            f"({_eq('tok_first_dob')}) AND {last} >= {s.nickname_last_dice}",
            label_for_charts="nickname, surname similar",
        ).configure(
            u_probability=s.first_name_agreement * s.surname_near_agreement,
            fix_u_probability=True,
        ),
        cll.CustomLevel(f"{first} >= {s.one_name_dice}", label_for_charts="first name only"),
        # Spec 2.0 salts each name filter by buckets of the other name and of the DOB, so a
        # married name halves the first-name Dice; equal first name and DOB tokens still agree.
        cll.CustomLevel(
            _eq("tok_first_dob"), label_for_charts="first name and DOB, other surname"
        ).configure(u_probability=s.first_name_agreement, fix_u_probability=True),
        cll.CustomLevel(f"{last} >= {s.one_name_dice}", label_for_charts="surname only"),
        cll.CustomLevel(
            f"{first} >= {s.partial_dice} AND {last} >= {s.partial_dice}",
            label_for_charts="both partly similar",
        ),
        # Each name filter ORs a pass salted by the DOB's bucket: with one DOB missing that half
        # never agrees, so the same names reach about half their Dice, and a typo less.
        cll.CustomLevel(
            f"{_null('dob')} AND {first} + {last} >= {s.no_dob_dice_sum}",
            label_for_charts="one DOB missing, names half similar",
        ),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(
        comparison_levels=levels,
        output_column_name="name",
        comparison_description="first and last name (Bloom Dice, tokens)",
    )


def same_dob_sql() -> str:
    """Both records hold the same birth date (a day/month swap included), as far as the
    encodings of spec 2.1 tell without a DOB token: a token of the date with a name or a place
    agrees, or the DOB filters are identical (same date, same name buckets)."""
    return (
        f"({_eq('tok_first_dob')} OR {_eq('tok_last_dob')} OR {_eq('tok_dob_zip5_sex')} "
        f"OR {dice_sql('dob')} >= {SAME_VALUE_DICE})"
    )


def dob_comparison(s: NameSettings) -> cl.CustomComparison:
    """Birth dates; the namesake guard (same full name, another birth year, SSNs not agreeing)
    sits above "same year": parent and child of one name share an address and often a phone,
    which naive Bayes would count as if they were independent (see linkage/guards.py)."""
    namesake = cll.CustomLevel(
        guard_conditions(s)[NAMESAKE_GUARD_LEVEL],
        label_for_charts=NAMESAKE_GUARD_LEVEL,
    ).configure(
        m_probability=s.namesake_guard_m,
        u_probability=s.namesake_guard_u,
        fix_m_probability=True,
        fix_u_probability=True,
    )
    # A year-only DOB (no DOB filter) still has its clear birth year: such a pair is null
    # only when a birth year is missing too, so the namesake guard and the year levels see it.
    year_known = "birth_year_l IS NOT NULL AND birth_year_r IS NOT NULL"
    return cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel(f"{_null('dob')} AND NOT ({year_known})").configure(is_null_level=True),
            cll.CustomLevel(same_dob_sql(), label_for_charts=SAME_DOB_LEVEL),
            # No year-month token (spec 2.0: it fell to frequency alignment within the clear
            # birth year); the error-tolerant DOB filter gives one-digit-off evidence.
            cll.CustomLevel(
                f"{dice_sql('dob')} >= {DOB_DICE_CLOSE}", label_for_charts=DOB_CLOSE_LEVEL
            ),
            namesake,
            cll.CustomLevel(
                f"NOT {_null('dob')} AND {_eq('birth_year')}", label_for_charts="same year"
            ),
            cll.CustomLevel(_eq("birth_year"), label_for_charts="one DOB year only, same year"),
            # Learned by EM like any level: years a generation apart are strong evidence of
            # two people (a parent and a child), never a fixed veto.
            cll.CustomLevel(
                f"abs(birth_year_l - birth_year_r) >= {s.far_years}",
                label_for_charts=FAR_YEARS_LEVEL,
            ),
            cll.ElseLevel(),
        ],
        output_column_name="dob",
        comparison_description="date of birth (DOB Bloom Dice, date+name and date+place tokens, "
        "clear birth year)",
    )


def same_address_sql() -> str:
    """Same street line and ZIP5 as far as spec 2.1 tells without an address token: the first
    name + address token agrees, or the address filters are identical (same value, and the same
    first-name and DOB buckets salting its two passes)."""
    return f"({_eq('tok_first_addr')} OR {dice_sql('addr')} >= {SAME_VALUE_DICE})"


def location_comparison(s: LocationSettings) -> cl.CustomComparison:
    """Street and ZIP together: a move changes both, and separate comparisons break EM."""
    exact = cll.CustomLevel(same_address_sql(), label_for_charts="same address")
    return cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel(f"{_null('addr')} AND (zip3_l IS NULL OR zip3_r IS NULL)").configure(
                is_null_level=True
            ),
            exact,
            *_street_levels(s),
        ],
        output_column_name="location",
        comparison_description="address: street+ZIP Bloom Dice, tok_first_addr, zip3",
    )


def _street_levels(s: LocationSettings) -> list[ComparisonLevelCreator]:
    """The levels below an exact address match: similar street, then ZIP3, else.

    Spec 2.0 has no ZIP5 token (it fell to frequency alignment within the clear ZIP3): the
    ZIP5 is inside the address filter, so street Dice already counts a ZIP that agrees. In spec
    2.1 the filter's two passes are salted by the first-name and DOB buckets: with one of the
    two in error, half the filter still agrees (see docs/linkage.md for the measured Dice).
    """
    addr = dice_sql("addr")
    return [
        cll.CustomLevel(
            f"({_eq('zip3')}) AND {addr} >= {s.addr_dice_high}",
            label_for_charts="similar street, same ZIP3",
        ),
        cll.CustomLevel(f"{addr} >= {s.addr_dice_high}", label_for_charts="similar street"),
        cll.CustomLevel(
            f"({_eq('zip3')}) AND {addr} >= {s.addr_dice_low}",
            label_for_charts="partly similar street, same ZIP3",
        ),
        cll.CustomLevel(_eq("zip3"), label_for_charts="same ZIP3"),
        cll.ElseLevel(),
    ]


def contact_comparison(s: LocationSettings) -> cl.CustomComparison:
    """Address and phone together: household members share both, so as two comparisons
    their agreement would be counted twice (the same trap as address sub-fields)."""
    addr = dice_sql("addr")
    # Spec 2.2: tok_phone is a keyed bucket of the phone (floor(log2(E)) bits for the
    # ecosystem's E persons), so "same phone" below means "same phone bucket": a person's
    # records always agree, two unrelated phones with probability about 1/E, and EM learns
    # the levels' m and u (and the blocking rule on it scores about R * R / E / 2 more pairs).
    phone = _eq("tok_phone")
    # No term-frequency adjustment on the address: spec 2.1 has no address token (tok_addr's
    # counts within the clear birth year gave households away), and a first name + address
    # token is near-unique.
    both = cll.CustomLevel(
        f"{same_address_sql()} AND {phone}", label_for_charts="same address and phone"
    )
    same_addr = cll.CustomLevel(same_address_sql(), label_for_charts="same address")
    return cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel(
                f"{_null('addr')} AND (zip3_l IS NULL OR zip3_r IS NULL) "
                "AND (tok_phone_l IS NULL OR tok_phone_r IS NULL)"
            ).configure(is_null_level=True),
            both,
            same_addr,
            cll.CustomLevel(
                f"{phone} AND {addr} >= {s.addr_dice_low}",
                label_for_charts="same phone, address nearby",
            ),
            cll.CustomLevel(phone, label_for_charts="same phone, moved"),
            *_street_levels(s),
        ],
        output_column_name="contact",
        comparison_description="address and phone: tok_first_addr, street+ZIP Bloom Dice, zip3, "
        "tok_phone (a keyed bucket of the phone: equal means the same bucket)",
    )


def _exact(column: str, label: str, *, tf: bool, level_label: str = "exact") -> cl.CustomComparison:
    exact: ComparisonLevelCreator = cll.CustomLevel(_eq(column), label_for_charts=level_label)
    if tf:
        exact = exact.configure(tf_adjustment_column=column, tf_adjustment_weight=1.0)
    return cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel(f"{column}_l IS NULL OR {column}_r IS NULL").configure(
                is_null_level=True
            ),
            exact,
            cll.ElseLevel(),
        ],
        output_column_name=label,
        comparison_description=f"{label} ({column})",
    )


def _ssn_agrees() -> str:
    """The SSN tokens agree (false when one is missing)."""
    return f"coalesce({_eq('tok_ssn')}, false)"


def guard_conditions(s: NameSettings, *, exclude_agreeing_ssn: bool = True) -> dict[str, str]:
    """The SQL condition of each guard level, by label (see linkage/guards.py).

    A pair whose SSNs agree exactly is never at a guard (the SSN counts in full); training
    learns the guards' weights on the conditions without that exclusion
    (``exclude_agreeing_ssn=False``), where the agreeing SSNs are the matches to count.
    """
    unless = f" AND NOT {_ssn_agrees()}" if exclude_agreeing_ssn else ""
    twin = f"{_twin_like()} AND {dice_sql('first')} < {s.twin_first_dice}"
    return {
        TWIN_PHONE_GUARD_LEVEL: f"{twin} AND {_eq('tok_phone')}{unless}",
        TWIN_GUARD_LEVEL: f"{twin}{unless}",
        NAMESAKE_GUARD_LEVEL: f"{_eq('tok_fullname')} AND birth_year_l <> birth_year_r{unless}",
    }


def _twin_like() -> str:
    """The twin guard's token condition: same surname and birth date, another first name."""
    return f"{_eq('tok_last_dob')} AND tok_first_dob_l <> tok_first_dob_r"


def ssn_comparison() -> cl.CustomComparison:
    """Exact SSN token, then the SSN digit filter: a one-digit typo is strong evidence, not none.

    The near level skips twin-like pairs (same surname and DOB, another first name): twins'
    SSNs are often issued one after the other, one digit apart, so for them a near SSN is no
    evidence; only an exact SSN outweighs the twin guard (model.bound_twin_guard). A pair
    without a DOB token is not twin-like (coalesce), so its near SSN still counts.
    No term-frequency adjustment: a valid SSN is unique, repeats are placeholders (nulled).
    """
    return cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel("tok_ssn_l IS NULL OR tok_ssn_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel(_eq("tok_ssn"), label_for_charts=SSN_EXACT_LEVEL),
            cll.CustomLevel(
                f"{dice_sql('ssn')} >= {SSN_DICE_CLOSE} AND NOT coalesce({_twin_like()}, false)",
                label_for_charts="one digit off",
            ),
            cll.ElseLevel(),
        ],
        output_column_name="ssn",
        comparison_description="SSN (tok_ssn, SSN digit Bloom Dice)",
    )


def sex_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel(
                "sex_l IS NULL OR sex_r IS NULL OR sex_l = 'U' OR sex_r = 'U'"
            ).configure(is_null_level=True),
            cll.CustomLevel(_eq("sex"), label_for_charts="exact"),
            cll.ElseLevel(),
        ],
        output_column_name="sex",
        comparison_description="sex (clear, Safe Harbor)",
    )


def blocking_sql(rule: BlockingRule) -> str:
    """A blocking rule as a SQL condition over ``l`` and ``r``."""
    return " AND ".join(f"l.{c} = r.{c}" for c in rule.columns)


def settings_creator(settings: LinkageSettings) -> SettingsCreator:
    """The Splink settings for ``settings``: comparisons, blocking, id columns."""
    return SettingsCreator(
        link_type=settings.link_type,
        unique_id_column_name=UNIQUE_ID,
        source_dataset_column_name=SOURCE_DATASET,
        comparisons=[
            name_comparison(settings.names),
            dob_comparison(settings.names),
            *(
                [contact_comparison(settings.location)]
                if settings.location.contact == "combined"
                else [location_comparison(settings.location), _exact("tok_phone", "phone", tf=True)]
            ),
            ssn_comparison(),
            sex_comparison(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on(*rule.columns) for rule in settings.blocking
        ],
        em_convergence=settings.training.em_convergence,
        max_iterations=settings.training.max_iterations,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


TF_COLUMNS: tuple[str, ...] = ("tok_fullname", "tok_phone")
