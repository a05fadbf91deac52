"""Training, saving and loading the Splink model.

A model file ``models/linkage-model-<version>.json`` is Splink's own model JSON plus one extra
key, ``carehub``, with the version, the training-data fingerprint and the spec version.
``models/current.json`` names the model in use; older versions stay for audit.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI, Linker, block_on
from splink.internals.splink_dataframe import SplinkDataFrame

from contract.spec import SPEC_VERSION
from kernel import clock
from linkage.comparisons import (
    DOB_CLOSE_LEVEL,
    EXACT_NAME_LEVEL,
    SAME_BIRTH_YEAR_LEVELS,
    SAME_DOB_LEVEL,
    SAME_DOB_SWAP_LEVELS,
    guard_conditions,
    settings_creator,
)
from linkage.estimate import ESTIMATE_FLOOR, ThresholdChoice, choose_threshold
from linkage.guards import (
    GUARD_BLOCKING_COLUMNS,
    GUARD_LABELS,
    SSN_EXACT_LEVEL,
    TWIN_GUARD_LEVEL,
    TWIN_PHONE_GUARD_LEVEL,
    GuardFit,
    calibrate_guards,
    gamma_of,
)
from linkage.records import sql, training_fingerprint
from linkage.settings import LinkageSettings
from linkage.splink_model import (
    BlockingRuleSpec,
    Level,
    SplinkModel,
    from_splink,
    read_model,
    to_splink,
)

CURRENT = "current.json"
MODEL_KEY = "carehub"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """What a saved model is: version, where it lives, and what it was trained on."""

    version: str
    path: Path
    fingerprint: str
    spec_version: str
    trained_at: str
    training_records: int
    probability_two_random_records_match: float
    link_threshold: float
    # What the model expects at its threshold, over its training records (None: older models).
    threshold_expected: dict[str, float] | None = None

    def as_metadata(self) -> dict[str, Any]:
        out = asdict(self)
        out["path"] = str(self.path)
        return out


# Splink's work database stays inside this budget and spills the rest to a temp folder, so a
# million-record run fits the 4 GiB goal (the records themselves hold encodings only).
SPLINK_MEMORY_LIMIT = "2GB"


def splink_api() -> DuckDBAPI:
    """A fresh in-memory DuckDB for Splink's work tables (never the hub's file)."""
    spill = Path(tempfile.gettempdir()) / "carehub-splink"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        ":memory:",
        config={
            "memory_limit": SPLINK_MEMORY_LIMIT,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        },
    )
    return DuckDBAPI(connection=con)


def register(db_api: DuckDBAPI, records: pa.Table, name: str) -> SplinkDataFrame:
    """Register an Arrow table of prepared records with Splink under ``name``."""
    return db_api.register(records, dataset_display_name=name, table_name=name)


def _version(fingerprint: str) -> str:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return f"m{stamp}-{fingerprint[:8]}-{secrets.token_hex(2)}"


def train(
    records: pa.Table,
    models_dir: Path,
    settings: LinkageSettings | None = None,
) -> ModelInfo:
    """Train on ``records`` and save the model as the current one.

    u comes from random sampling, m from EM sessions blocked on the training blocks, lambda
    from the deterministic rules; all with a fixed seed, so the same data gives the same model.

    Returns:
        The saved model's info.
    """
    settings = settings or LinkageSettings()
    t = settings.training
    records = uniform_sample(records, t.max_training_records)
    db_api = splink_api()
    # Splink's settings validation (~0.8 s) is left to tests/test_linkage_settings.py: the
    # settings are generated from typed dataclasses, and check_relation vets the columns.
    linker = Linker(
        [register(db_api, records, "records")],
        settings_creator(settings),
        log_level=None,
        validate_settings=False,
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*r.columns) for r in t.deterministic_rules], recall=t.deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=t.u_max_pairs, seed=t.seed)
    sampled = bound_unobserved_u(from_splink(linker.misc.save_model_to_json()), t.u_max_pairs)
    model = correct_salted_u(sampled, same_value_rates(records))
    sample = _lowest_pseudonyms(records, t.threshold_sample_records)
    # Before EM, so that EM weighs a namesake's close birth date as it is.
    _score_namesakes(db_api, sample, model)
    model = correct_close_dob_u(db_api.duckdb_con, model, t.namesake_prior_pairs)
    linker = Linker(
        [register(db_api, records, "records_u")],
        to_splink(without_guard_conditions(model)),
        log_level=None,
        validate_settings=False,
    )
    for rule in t.em_blocks:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*rule.columns),
            estimate_without_term_frequencies=True,
            max_pairs=t.em_max_pairs,
        )
    trained = with_conditions_of(from_splink(linker.misc.save_model_to_json()), model)
    model = floor_m_probabilities(trained, t.m_floor)
    model = bound_twin_guard(model, settings.names.twin_ssn_margin_bits)
    fits = learn_guards(db_api, sample, model, settings)
    log.info("guard weights learned from SSN-labelled pairs: %s", fits)
    model = round_parameters(model)
    choice = model_threshold(db_api, sample, model, settings)
    db_api.duckdb_con.close()  # the training work tables are done with
    fingerprint = training_fingerprint(records)
    version = _version(fingerprint)
    info = ModelInfo(
        version=version,
        path=models_dir / f"linkage-model-{version}.json",
        fingerprint=fingerprint,
        spec_version=SPEC_VERSION,
        trained_at=clock.now().isoformat(timespec="seconds"),
        training_records=records.num_rows,
        probability_two_random_records_match=float(model["probability_two_random_records_match"]),
        link_threshold=choice.threshold,
        threshold_expected={
            "precision": round(choice.expected_precision, 6),
            "recall": round(choice.expected_recall, 6),
            "f1": round(choice.expected_f1, 6),
        },
    )
    _save(model, info, models_dir)
    return info


# Birth dates per year: spec 2.1 has no DOB token to count equal dates by, so P(same date) is
# P(same birth year) / 365.25 (birthdays spread near evenly over the year).
DAYS_PER_YEAR = 365.25


def same_value_rates(records: pa.Table) -> dict[str, float]:
    """P(two random records agree) on birth year and on the birth date."""
    con = duckdb.connect()
    try:
        con.register("records", records)
        row = con.execute(sql("same_value_rates")).fetchall()[0]
    finally:
        con.close()
    year = float(row[0] or 1.0)
    return {"birth_year": year, "dob": year / DAYS_PER_YEAR}


# The comparisons whose unobserved levels get the bound below. The name comparison's levels
# are the ones issue 21 measured; the same gap holds elsewhere at 1M (contact "same address
# and phone", ssn "same SSN", dob "same date" took Splink's default u there), left to the
# training work of issue 15.
UNOBSERVED_U_COMPARISONS = ("name",)


def bound_unobserved_u(
    model: SplinkModel, pairs: float, comparisons: tuple[str, ...] = UNOBSERVED_U_COMPARISONS
) -> SplinkModel:
    """Give each level of ``comparisons`` that random sampling never met u = 1 / ``pairs``:
    fewer than one non-match in the pairs sampled.

    Splink marks such a level "not observed" and scores it with u = 1e-6 while that linker
    lives, but leaves u out of the model JSON; read back (as training does after sampling),
    the level gets Splink's default u by its position in the comparison, weights from -5 to
    +3 bits. At 100k-1M records "both similar", "surname only" and "both partly similar"
    then counted against a match (benchmarks/RESULTS.md, issue 21: alert recall through name
    evidence); in a small region the same levels are sampled and weigh 10-15 bits.
    """
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in comparisons:
            continue
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and "u_probability" not in level:
                level["u_probability"] = 1.0 / pairs
    return model


def correct_salted_u(model: SplinkModel, rates: dict[str, float]) -> SplinkModel:
    """Count the birth date once, by its own comparison.

    Divide the u of birth-year-salted name levels by P(same birth year) and of the name levels
    that hold the date (nickname, married name) by P(same birth date). The DOB level "same
    date" is read from tokens that also hold a name or a place: its sampled u counts those too,
    so it becomes P(same birth date).
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            label, u = level.get("label_for_charts"), level.get("u_probability")
            if u is None:
                continue
            if label in SAME_BIRTH_YEAR_LEVELS:
                level["u_probability"] = min(u / rates["birth_year"], 1.0)
            elif label in SAME_DOB_SWAP_LEVELS:
                level["u_probability"] = min(u / rates["dob"], 1.0)
            elif label == SAME_DOB_LEVEL and comparison["output_column_name"] == "dob":
                level["u_probability"] = rates["dob"]
    return model


def correct_close_dob_u(
    con: duckdb.DuckDBPyConnection, model: SplinkModel, prior_pairs: float
) -> SplinkModel:
    """Set the u of the DOB level "one digit off" to its rate among namesakes.

    The DOB filter is salted by both names' buckets, so two random records almost never reach
    the level (sampled u 2.4e-5 at a million records) while two people of one full name, whose
    filters share the salts, do in 5% of pairs (their dates one or two digits apart): the
    sampled u counted the names' agreement a second time, and the level gave a namesake with a
    close birth date +13 bits (benchmarks/RESULTS.md, issue 15 at 1M). The rate is measured on
    the pairs of one full name in view ``namesakes`` (``_score_namesakes``) that their SSNs
    show to be two people, with ``prior_pairs`` pairs at the sampled u added (few namesakes in
    small data).
    """
    # The SSN comparison has a level of that label too.
    sampled = [
        level
        for comparison in model["comparisons"]
        if comparison["output_column_name"] == "dob"
        for level in comparison["comparison_levels"]
        if level.get("label_for_charts") == DOB_CLOSE_LEVEL
    ]
    gamma = gamma_of(model, "dob", DOB_CLOSE_LEVEL)
    name_exact = gamma_of(model, "name", EXACT_NAME_LEVEL)
    if len(sampled) != 1 or gamma is None or name_exact is None:
        return model
    u = sampled[0].get("u_probability")
    if u is None:
        return model
    counts = dict(con.execute(sql("namesake_dob_levels"), {"name_exact": name_exact}).fetchall())
    pairs, close = sum(counts.values()), counts.get(gamma, 0)
    sampled[0]["u_probability"] = (close + prior_pairs * u) / (pairs + prior_pairs)
    log.info("DOB one digit off: %d of %d namesake pairs (sampled u %.3g)", close, pairs, u)
    return model


def _score_namesakes(db_api: DuckDBAPI, sample: pa.Table, model: SplinkModel) -> None:
    """Every pair of ``sample`` of one full name, with its comparison levels, into view
    ``namesakes`` (for ``correct_close_dob_u``)."""
    namesakes = copy.deepcopy(model)
    namesakes["blocking_rules_to_generate_predictions"] = [
        cast(BlockingRuleSpec, block_on("tok_fullname").get_blocking_rule("duckdb").as_dict())  # type: ignore[no-untyped-call]
    ]
    _predict_sample(db_api, sample, namesakes, None, "namesakes")


# EM never fires a guard level (their m and u are fixed, then learned from SSN agreement).
NEVER = "1 = 0"


def without_guard_conditions(model: SplinkModel) -> SplinkModel:
    """A copy of ``model`` for EM whose guard levels never fire.

    Splink leaves out of an EM session every comparison that reads a column of the session's
    blocking rule. The namesake guard reads ``tok_fullname``, so with it the DOB comparison
    sat out the session blocked on ``tok_fullname``, as it must out of the one blocked on
    ``tok_dob_zip5_sex``, and its m were never estimated: Splink's defaults (0.95 for "same
    date", 0.05 shared by the rest) stood in (model 2, found in issue 15). Without the guard
    conditions EM estimates the DOB levels on the pairs of one full name (after
    ``correct_close_dob_u``: with the sampled u of "one digit off", EM took a million records'
    namesakes with close birth dates for matches).
    """
    copied = copy.deepcopy(model)
    for label in GUARD_LABELS:
        for level in _levels(copied, label):
            level["sql_condition"] = NEVER
    return copied


def with_conditions_of(trained: SplinkModel, model: SplinkModel) -> SplinkModel:
    """``trained`` with the guard levels' conditions of ``model`` put back."""
    for label in GUARD_LABELS:
        for level, original in zip(_levels(trained, label), _levels(model, label), strict=True):
            level["sql_condition"] = original["sql_condition"]
    return trained


def floor_m_probabilities(model: SplinkModel, floor: float) -> SplinkModel:
    """Raise every estimated m below ``floor`` to it (fixed levels stay as set).

    EM drives m to ~0 for a level true matches never show in the training data (say phone
    disagreement when no one changed phone); such a level would then veto every later match.
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            m = level.get("m_probability")
            if m is not None and not level.get("fix_m_probability") and m < floor:
                level["m_probability"] = floor
    return model


def _predict_sample(
    db_api: DuckDBAPI, sample: pa.Table, model: SplinkModel, floor: float | None, view: str
) -> None:
    """Score every candidate pair of ``sample`` with ``model`` down to ``floor`` (None: all)
    into view ``view`` of Splink's work database."""
    linker = Linker(
        [register(db_api, sample, f"records_{view}")],
        to_splink(model),
        log_level=None,
        validate_settings=False,
    )
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    predictions.as_duckdbpyrelation().create_view(view, replace=True)


def learn_guards(
    db_api: DuckDBAPI, sample: pa.Table, model: SplinkModel, settings: LinkageSettings
) -> list[GuardFit]:
    """Learn the guard levels' weights (linkage.guards) from the pairs of ``sample`` that
    share a surname and DOB or a full name, all scored (a guard pair without an agreeing SSN
    is far below any floor), by a copy of ``model`` whose guards also hold the pairs with
    agreeing SSNs; set them in ``model``. Full runs only: an incremental run applies no
    cluster check (sql/guarded_links.sql)."""
    learner = copy.deepcopy(model)
    # Only the pairs a guard can hold: twin-like pairs share tok_last_dob, namesakes
    # tok_fullname (scoring every candidate pair would double the training's scoring time).
    learner["blocking_rules_to_generate_predictions"] = [
        cast(BlockingRuleSpec, block_on(column).get_blocking_rule("duckdb").as_dict())  # type: ignore[no-untyped-call]
        for column in GUARD_BLOCKING_COLUMNS
    ]
    conditions = guard_conditions(settings.names, exclude_agreeing_ssn=False)
    for label, condition in conditions.items():
        for level in _levels(learner, label):
            level["sql_condition"] = condition
    _predict_sample(db_api, sample, learner, None, "scored_all")
    fits = calibrate_guards(db_api.duckdb_con, learner)
    for label in conditions:
        for level, learned in zip(_levels(model, label), _levels(learner, label), strict=True):
            level["m_probability"] = learned["m_probability"]
    return fits


def model_threshold(
    db_api: DuckDBAPI, sample: pa.Table, model: SplinkModel, settings: LinkageSettings
) -> ThresholdChoice:
    """The link threshold of the trained ``model``: its best expected F1 at the expected
    precision the settings ask for, from its own match probabilities over ``sample``, a uniform
    sample of the training records (which keeps the share of matches among candidate pairs)."""
    _predict_sample(db_api, sample, model, ESTIMATE_FLOOR, "scored")
    return choose_threshold(
        db_api.duckdb_con,
        min_precision=settings.min_expected_precision,
        bounds=settings.threshold_bounds,
        fallback=settings.link_threshold,
    )


def _levels(model: SplinkModel, label: str) -> list[Level]:
    return [
        level
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("label_for_charts") == label
    ]


def bound_twin_guard(model: SplinkModel, margin_bits: float) -> SplinkModel:
    """Give the twin guard the weight -(w_ssn - ``margin_bits``), w_ssn the trained weight of
    an exact SSN, so an agreeing SSN always outweighs it (a true pair whose given name was
    replaced still links on its SSN) while twins without an SSN stay apart.

    A no-op for a model without either level.
    """
    ssn = _levels(model, SSN_EXACT_LEVEL)
    twins = _levels(model, TWIN_GUARD_LEVEL) + _levels(model, TWIN_PHONE_GUARD_LEVEL)
    if len(ssn) != 1 or not twins:
        return model
    if "u_probability" not in ssn[0] or any("u_probability" not in t for t in twins):
        # Random sampling met no pair at that level, so Splink left u untrained: there is no
        # trained SSN weight to bound the guard by (seen at 100k-1M records); keep it as trained.
        return model
    w_ssn = math.log2(ssn[0]["m_probability"] / ssn[0]["u_probability"])
    for twin in twins:
        twin["m_probability"] = twin["u_probability"] * 2.0 ** (margin_bits - w_ssn)
    return model


def round_parameters(model: SplinkModel, digits: int = 10) -> SplinkModel:
    """Round every m, u and lambda to ``digits`` significant digits.

    EM sums floats over threads in whatever order DuckDB runs them, so the last bits of the
    trained parameters can differ between two runs on the same data; rounded, the same
    records give the same model file, the same probabilities and so the same persons.
    """

    def rounded(x: float) -> float:
        return float(f"{x:.{digits}g}")

    model["probability_two_random_records_match"] = rounded(
        model["probability_two_random_records_match"]
    )
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in ("m_probability", "u_probability"):
                if level.get(key) is not None:
                    level[key] = rounded(level[key])
    return model


def uniform_sample(records: pa.Table, max_records: int) -> pa.Table:
    """About ``max_records`` of ``records`` (all when there are not more): those whose
    pseudonym falls below the matching quantile.

    Pseudonyms are keyed PRF outputs, uniform over their hex range, so this is a uniform
    random sample; the same records give the same sample, in one pass.
    """
    if records.num_rows <= max_records:
        return records
    bound = format(int(max_records / records.num_rows * 16**8), "08x")
    return records.filter(pc.less(records.column("record_pseudonym"), bound))


def _lowest_pseudonyms(records: pa.Table, k: int) -> pa.Table:
    """The ``k`` records with the lowest pseudonyms: a uniform sample of ``records`` even when
    they are a pseudonym-quantile sample already (where ``uniform_sample``'s bound, computed
    from the row count, would keep far more than ``k``)."""
    if records.num_rows <= k:
        return records
    keys = [("record_pseudonym", "ascending"), ("partner_id", "ascending")]
    return records.take(pc.select_k_unstable(records, k, sort_keys=keys))


def sample_linker(records: pa.Table, info: ModelInfo, max_records: int) -> Linker:
    """A linker over a uniform sample of ``records`` (for charts), with the saved model."""
    return Linker(
        [register(splink_api(), uniform_sample(records, max_records), "records_sample")],
        to_splink(load_settings(info)),
        log_level=None,
        validate_settings=False,
    )


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _save(model: SplinkModel, info: ModelInfo, models_dir: Path) -> None:
    models_dir.mkdir(parents=True, exist_ok=True)
    meta = info.as_metadata()
    meta.pop("path")
    _write_atomic(info.path, json.dumps({**model, MODEL_KEY: meta}, indent=2))
    _write_atomic(
        models_dir / CURRENT, json.dumps({"version": info.version, "file": info.path.name})
    )


def current_model(models_dir: Path) -> ModelInfo | None:
    """The model in use, or None when none was trained yet."""
    pointer = models_dir / CURRENT
    if not pointer.exists():
        return None
    path = models_dir / json.loads(pointer.read_text())["file"]
    return _info(path)


def _info(path: Path) -> ModelInfo:
    meta = json.loads(path.read_text())[MODEL_KEY]
    return ModelInfo(path=path, **meta)


def load_settings(info: ModelInfo) -> SplinkModel:
    """The saved model: Splink's settings and parameters (without our metadata key)."""
    model = read_model(info.path)
    to_splink(model).pop(MODEL_KEY, None)
    return model
