"""Typed linkage settings: what the model compares, how it blocks, how it trains and links.

The dataclasses here are the single place a steward tunes linkage; :mod:`linkage.comparisons`
turns them into a Splink ``SettingsCreator``. Column names come from ``contract.spec``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from linkage.backends import LinkageBackend

TokenColumn = Literal[
    "tok_name_dob",
    "tok_first_dob",
    "tok_last_dob",
    "tok_fullname",
    "tok_first_addr",
    "tok_dob_zip5_sex",
    "tok_phone",
    "tok_ssn",
]
ClearColumn = Literal["birth_year", "zip3", "sex"]
BlockColumn = TokenColumn | ClearColumn


@dataclass(frozen=True)
class BlockingRule:
    """Candidate pairs agree exactly on every column (all non-null)."""

    columns: tuple[BlockColumn, ...]

    @property
    def name(self) -> str:
        return "+".join(self.columns)


def _rules(*groups: tuple[BlockColumn, ...]) -> tuple[BlockingRule, ...]:
    return tuple(BlockingRule(g) for g in groups)


# Prediction blocking: each rule is a combination token (or a rare identifier), so blocks stay
# small while any one surviving agreement (name+dob, phone, SSN, address) finds the pair.
# (tok_dob, zip3) and (tok_fullname, zip3) rules were dropped: at 1M records they made 2.7M
# of 3.4M candidate pairs, were the only rules to find 6 and 292 of 444,692 true pairs, and
# F1 went from 0.9901 to 0.9909 without them (docs/linkage.md, "Blocking"). No tok_name_dob
# rule: equal tok_name_dob implies equal tok_first_dob, so it would only add a join.
#
# The last three find pairs with two fields in error, which every rule above misses (a DOB typo
# together with a changed name, SSN or phone). On the hard profile (20k residents, 7,156 true
# pairs) they raise blocking recall from 0.9852 to 0.9939 for at most 17,833 more candidate pairs
# (docs/linkage.md, "Blocking"): same name in the same ZIP (DOB typo, birth year unknown),
# same address and sex (DOB typo and another name), same DOB in the same ZIP (another name).
# Spec 2.0 has no ZIP5 token (a ZIP5 inside its ZIP3 was 86% recoverable by frequency), so the
# name rule blocks on the clear ZIP3. Spec 2.1 has no single-field DOB or address token (within
# the clear strata, twins, shared birthdays and households gave them away): the address rules
# block on first name + address, the DOB rule on DOB + ZIP5 + sex, combinations near-unique
# per person.
DEFAULT_BLOCKING = _rules(
    ("tok_first_dob",),
    ("tok_last_dob",),
    ("tok_fullname", "birth_year"),
    ("tok_ssn",),
    ("tok_phone",),
    ("tok_first_addr",),
    ("tok_fullname", "zip3"),
    ("tok_dob_zip5_sex",),
)
# EM sessions: each one fixes the comparisons its block uses and estimates the others. Spec 2.1
# has no DOB token: the DOB comparison reads tok_dob_zip5_sex, so a session blocked on it fixes
# the DOB (as one blocked on tok_dob did). Blocking on tok_ssn instead (nearly all matches)
# merged 12 of 28 twin pairs at 5k residents (default profile, F1 0.9878 against 0.9919).
DEFAULT_TRAINING_BLOCKS = _rules(("tok_dob_zip5_sex",), ("tok_fullname",))
# Deterministic rules that estimate lambda (the prior match probability).
DEFAULT_DETERMINISTIC = _rules(
    ("tok_name_dob",),
    ("tok_ssn", "birth_year"),
    ("tok_fullname", "tok_phone"),
)


@dataclass(frozen=True)
class NameSettings:
    """Levels of the combined first/last name comparison (Dice on the name Bloom filters)."""

    swap_dice: float = 0.85
    high_dice: float = 0.8
    nickname_last_dice: float = 0.7
    one_name_dice: float = 0.9
    partial_dice: float = 0.6
    twin_first_dice: float = 0.5
    # With one DOB missing: the sum of first and last name Dice (each about halved).
    no_dob_dice_sum: float = 0.8
    # The twin guard is not trained by EM: twins and duplicates both agree on household and
    # birth date and differ in the first name only, and the levels that agree for twins are
    # correlated (naive Bayes counts them separately). Its weight comes from the trained model
    # instead: an exact SSN outweighs it by ``twin_ssn_margin_bits`` (model.bound_twin_guard),
    # so a true pair whose given name was replaced but whose SSN agrees still links.
    twin_ssn_margin_bits: float = 1.0
    # During EM only (twin pairs must not teach EM that a new first name is a match): the
    # twin level starts at m/u = 2^-20 and keeps it until the bound above replaces it.
    twin_guard_m: float = 0.05 * 2.0**-20
    twin_guard_u: float = 0.05
    # The namesake guard (same full name, another birth year) likewise stays fixed during EM,
    # at about the weight of two unrelated birth dates; linkage/guards.py then learns both
    # guards' weights from the pairs whose SSNs are known.
    namesake_guard_m: float = 0.01 * 2.0**-8
    namesake_guard_u: float = 0.01
    # u of the two name levels that agree on the first name and DOB token (nickname/surname
    # typo, married name), given the same birth date (the DOB comparison counts the date): the
    # encodings hide name frequencies, and random sampling cannot measure these (too rare
    # among non-matches at any size, outnumbered by the true pairs it also draws in a small
    # region), so they are set from public name statistics (docs/linkage.md, "u of the levels
    # that hold the DOB"). P(two people share a first name) is about 0.004 in the US (SSA
    # given-name shares); 0.01 leaves room for nickname canonicalisation and local names.
    first_name_agreement: float = 0.01
    # P(two people's different surnames reach the nickname level's surname Dice): spelling
    # variants (SMITH/SMYTHE) and short names; US surnames share one name at about 0.001.
    surname_near_agreement: float = 0.005
    tf_adjust_fullname: bool = True
    # Birth years at least this far apart (DOB comparison): a generation, not a typo (a typo in
    # the year's last digit is under 10 years and its DOB filter sits at "one digit off").
    far_years: int = 15


@dataclass(frozen=True)
class LocationSettings:
    """One combined location comparison (street line + ZIP5): movers change all at once."""

    # "combined": address and phone in one comparison (households share both);
    # "separate": a location comparison and a phone comparison.
    contact: Literal["combined", "separate"] = "combined"
    addr_dice_high: float = 0.85
    addr_dice_low: float = 0.7


@dataclass(frozen=True)
class TrainingSettings:
    """u by random sampling, m by EM, lambda by deterministic rules."""

    u_max_pairs: float = 1e6
    seed: int = 42
    # Training reads about this many records at most: a uniform sample (by pseudonym, which is a
    # keyed PRF output) keeps the share of matches among blocked pairs, so lambda, u and m
    # come out the same while EM's blocked joins stay small (docs/linkage.md, "Training").
    max_training_records: int = 250_000
    em_blocks: tuple[BlockingRule, ...] = DEFAULT_TRAINING_BLOCKS
    # EM sees at most about this many pairs per session (a sample when the block is larger):
    # a million records share a birth date with ~16M others.
    em_max_pairs: float | None = 2e6
    deterministic_rules: tuple[BlockingRule, ...] = DEFAULT_DETERMINISTIC
    deterministic_recall: float = 0.8
    em_convergence: float = 0.0001
    max_iterations: int = 25
    # The unlinkables chart scores each record against itself: a sample is enough.
    chart_sample_records: int = 50_000
    # The link threshold is chosen from the trained model's probabilities over a uniform
    # sample of this many training records: matches and non-matches among candidate pairs
    # both shrink with the square of the sample, so the expected-F1 curve keeps its shape,
    # and the extra predict stays small (on all training records it would score as many pairs
    # as a full run up to 250k records).
    threshold_sample_records: int = 50_000
    # The u of the DOB level "one digit off" is its rate among namesakes (two people of one
    # full name by their SSNs) with this many pairs at the sampled u added, so a few namesakes
    # (small data) move it little (model.correct_close_dob_u).
    namesake_prior_pairs: float = 100.0
    # No m below this after EM: a level EM drove to ~0 would act as a veto (see docs/linkage.md).
    m_floor: float = 1e-3


@dataclass(frozen=True)
class LinkageSettings:
    """Everything that decides how records become persons."""

    link_type: Literal["link_and_dedupe"] = "link_and_dedupe"
    # Where Splink scores a run (DuckDB or Spark): the one backend config, which the Dagster
    # resource builds and linkage.run reads.
    backend: LinkageBackend = field(default_factory=LinkageBackend)
    blocking: tuple[BlockingRule, ...] = DEFAULT_BLOCKING
    names: NameSettings = field(default_factory=NameSettings)
    location: LocationSettings = field(default_factory=LocationSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    # A pair is an accepted link (stored, clustered) at or above the model's link threshold:
    # the match probability with the best expected F1 whose expected precision is at least
    # ``min_expected_precision``, from the model's probabilities over its training records
    # (linkage.estimate.choose_threshold), within ``threshold_bounds``. ``link_threshold`` is
    # used only when no pair was scored in the bounds.
    min_expected_precision: float = 0.999
    threshold_bounds: tuple[float, float] = (0.5, 0.99)
    link_threshold: float = 0.95
    # A full run splits a person joined through a chain where two of its records score below
    # this match weight (bits): the model holds them to be two people (linkage/chains.py).
    # None: plain connected components.
    chain_split_weight: float | None = -30.0
    # Asset-check bands.
    max_cluster_size: int = 50
    singleton_share_band: tuple[float, float] = (0.05, 0.98)
    partner_match_rate_band: tuple[float, float] = (0.02, 0.995)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
