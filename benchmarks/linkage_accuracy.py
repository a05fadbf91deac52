"""Linkage accuracy: our encoded pipeline vs the best plaintext Splink model, same records.

(a) every synthetic partner's export goes through the real partner encoder
    (``partner.encode_partner``) and the hub's linkage (``linkage.run_linkage``);
(b) the same records, normalised the same way but left in plaintext, go through a Splink
    model built for plaintext (Jaro-Winkler names, date-of-birth and location comparisons).

Both are scored against the generator's ground truth: pairwise precision/recall/F1, cluster
B-cubed F1 and blocking recall, with the run's label-free estimate beside the truth, on the
default and the hard error profile. Targets (issue 15): encoded F1 >= plaintext F1 - 0.002,
precision >= 0.999, estimated F1 within 0.01 of the truth, and F1 >= 0.995 on the hard profile.

    .venv/bin/python benchmarks/linkage_accuracy.py --residents 20000 200000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Its sibling script, also when a test loads this file by path (benchmarks/ is no package);
# last on the path, so that the repository's packages (synth/) win over the scripts (synth.py).
sys.path.append(str(ROOT / "benchmarks"))

from privacy_attacks import add_set_option, announces_size, band_years, settings_with  # noqa: E402

from encoding.encoder import DEFAULT_SETTINGS, EncodingSettings  # noqa: E402
from kernel.home import HubHome  # noqa: E402
from linkage.accuracy import Metrics, evaluate  # noqa: E402
from linkage.guards import SSN_EXACT_LEVEL, TWIN_GUARD_LEVEL  # noqa: E402
from linkage.model import bound_twin_guard, round_parameters  # noqa: E402
from linkage.run import quiet_splink, run_linkage  # noqa: E402
from synth import load_residents  # noqa: E402
from tests.test_linkage_support import encoded_region, plaintext_region  # noqa: E402

PLAIN_BLOCKING = [
    ("first", "last", "dob"),
    ("first", "dob"),
    ("last", "dob"),
    ("first", "last", "zip5"),
    ("first", "last", "birth_year"),
    ("ssn",),
    ("phone",),
    ("street", "zip5", "birth_year"),
    ("street", "zip5", "sex"),
    ("dob", "zip5"),
]


def plaintext_settings() -> SettingsCreator:
    """A strong plaintext model: fuzzy names with TF, DOB with swaps, one location comparison."""
    # Address and phone in one comparison, as in the encoded model (households share both).
    contact = cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel(
                "(street_l IS NULL OR street_r IS NULL) AND (zip5_l IS NULL OR zip5_r IS NULL) "
                "AND (phone_l IS NULL OR phone_r IS NULL)"
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "street_l = street_r AND zip5_l = zip5_r AND phone_l = phone_r",
                "same address and phone",
            ),
            cll.CustomLevel("street_l = street_r AND zip5_l = zip5_r", "same address"),
            cll.CustomLevel("phone_l = phone_r AND zip5_l = zip5_r", "same phone, same ZIP"),
            cll.CustomLevel("phone_l = phone_r", "same phone, moved"),
            cll.CustomLevel(
                "jaro_winkler_similarity(street_l, street_r) >= 0.9 AND zip5_l = zip5_r",
                "similar street, same ZIP",
            ),
            cll.CustomLevel("jaro_winkler_similarity(street_l, street_r) >= 0.9", "similar street"),
            cll.CustomLevel("zip5_l = zip5_r", "same ZIP"),
            cll.ElseLevel(),
        ],
        output_column_name="contact",
    )
    jw = "jaro_winkler_similarity"
    same_year = "birth_year_l = birth_year_r"
    name = cl.CustomComparison(
        comparison_levels=[
            cll.CustomLevel(
                "first_l IS NULL OR first_r IS NULL OR last_l IS NULL OR last_r IS NULL"
            ).configure(is_null_level=True),
            cll.CustomLevel("first_last_l = first_last_r", "exact name").configure(
                tf_adjustment_column="first_last", tf_adjustment_weight=1.0
            ),
            cll.CustomLevel("first_l = last_r AND last_l = first_r", "first/last swapped"),
            # Same twin guard as the encoded model: fixed during EM, then bounded by the SSN
            # weight (linkage.model.bound_twin_guard), so an agreeing SSN outweighs it.
            cll.CustomLevel(
                f"last_l = last_r AND dob_l = dob_r AND {jw}(first_l, first_r) < 0.7",
                TWIN_GUARD_LEVEL,
            ).configure(
                m_probability=1e-10,
                u_probability=0.05,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            # Fuzzy levels compare names within one birth year, as the encoded model does
            # (its name filters are salted by birth year): household members who share a
            # surname, address and phone but not a birth year are not linked on the surname.
            cll.CustomLevel(
                f"{jw}(first_l, first_r) >= 0.92 AND {jw}(last_l, last_r) >= 0.92 AND {same_year}",
                "both similar",
            ),
            cll.CustomLevel(f"first_l = first_r AND {same_year}", "first name only"),
            cll.CustomLevel(f"last_l = last_r AND {same_year}", "surname only"),
            cll.CustomLevel(
                f"{jw}(first_l, first_r) >= 0.8 AND {jw}(last_l, last_r) >= 0.8 AND {same_year}",
                "both partly similar",
            ),
            cll.ElseLevel(),
        ],
        output_column_name="name",
    )
    return SettingsCreator(
        link_type="link_and_dedupe",
        unique_id_column_name="record_pseudonym",
        source_dataset_column_name="partner_id",
        comparisons=[
            name,
            cl.DateOfBirthComparison("dob", input_is_string=False),
            contact,
            cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("ssn"),
                    cll.CustomLevel("ssn_l = ssn_r", SSN_EXACT_LEVEL),
                    cll.ElseLevel(),
                ],
                output_column_name="ssn",
            ),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[block_on(*b) for b in PLAIN_BLOCKING],
        retain_intermediate_calculation_columns=False,
    )


# The yardstick's u sample: seeded, so two runs on the same records train the same model.
PLAIN_U_SEED = 42


def _plain_frame(records: pl.DataFrame) -> pl.DataFrame:
    return records.with_columns(first_last=pl.concat_str(["first", "last"], separator=" "))


def train_plaintext(records: pl.DataFrame, db_api: DuckDBAPI | None = None) -> dict[str, Any]:
    """Train the plaintext model: lambda from deterministic rules, u from a seeded random
    sample, m by EM (Splink samples EM pairs by hash, not at random); the same post-training
    steps as the encoded model (the twin guard bounded by the SSN, parameters rounded)."""
    db_api = db_api or DuckDBAPI(connection=duckdb.connect())
    with quiet_splink():
        linker = Linker(
            [db_api.register(_plain_frame(records).to_arrow(), dataset_display_name="plain")],
            plaintext_settings(),
            None,
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first", "last", "dob"), block_on("ssn", "dob")], recall=0.8
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=PLAIN_U_SEED)
        for block in (("dob",), ("first", "last")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*block), estimate_without_term_frequencies=True, max_pairs=2e6
            )
        model = linker.misc.save_model_to_json()
    model.pop("linker_uid", None)  # Splink's random name for its work tables
    return round_parameters(bound_twin_guard(model, 1.0))


def link_plaintext(records: pl.DataFrame, threshold: float = 0.95) -> tuple[pl.DataFrame, float]:
    """Train and run the plaintext model; returns (partner_id, record_pseudonym, cluster_id)."""
    started = time.perf_counter()
    db_api = DuckDBAPI(connection=duckdb.connect())
    model = train_plaintext(records, db_api)
    with quiet_splink():
        linker = Linker(
            [db_api.register(_plain_frame(records).to_arrow(), dataset_display_name="plain2")],
            model,
            None,
        )
        preds = linker.inference.predict(threshold_match_probability=threshold)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            preds, threshold_match_probability=threshold
        )
        out = pl.from_arrow(
            clusters.as_duckdbpyrelation()
            .select("partner_id, record_pseudonym, cluster_id")
            .to_arrow_table()
        )
    assert isinstance(out, pl.DataFrame)
    return out, time.perf_counter() - started


def plaintext_metrics(
    clusters: pl.DataFrame, records: pl.DataFrame, truth: pl.DataFrame
) -> Metrics:
    """Score plaintext clusters with the same evaluation code, in a scratch database."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA linkage")
    con.register("c", clusters.to_arrow())
    con.execute(
        "CREATE TABLE linkage.person_records AS SELECT partner_id, record_pseudonym, "
        "cluster_id AS person_key FROM c"
    )
    metrics = evaluate(con, truth.to_arrow(), relation=None)
    # Blocking recall of the plaintext rules over the true pairs.
    con.register("plain", records.to_arrow())
    con.register("t", truth.to_arrow())
    any_rule = " OR ".join(
        "(" + " AND ".join(f"l.{c} = r.{c}" for c in rule) + ")" for rule in PLAIN_BLOCKING
    )
    # Column names from PLAIN_BLOCKING above, no values.
    query = (
        "WITH s AS (SELECT t.resident_id, p.* FROM t JOIN plain p USING (partner_id, "  # noqa: S608
        "record_pseudonym)) SELECT avg(CASE WHEN " + any_rule + " THEN 1.0 ELSE 0.0 END) "
        "FROM s l JOIN s r ON l.resident_id = r.resident_id AND l.partner_id || "
        "l.record_pseudonym < r.partner_id || r.record_pseudonym"
    )
    recall = con.execute(query).fetchall()[0][0]
    con.close()
    return Metrics(
        **{
            **metrics.as_dict(),
            "blocking_recall": float(recall or 0.0),
            "blocking_recall_by_rule": {},
        }
    )


def household_merges(
    con: duckdb.DuckDBPyConnection, truth: pl.DataFrame, region: Path
) -> tuple[int, int, int, int]:
    """Hard non-matches: pairs of records of two residents of one household (twins among
    them) that became one person. Returns (merged, pairs, twins merged, twin pairs)."""
    residents = load_residents(region).select("resident_id", "household_id", "twin_resident_id")
    con.register("truth_df", truth.to_arrow())
    con.register("residents_df", residents.to_arrow())
    row = con.execute(
        """
        WITH r AS (
            SELECT t.resident_id, h.household_id, h.twin_resident_id, p.person_key
            FROM linkage.person_records AS p
            JOIN truth_df AS t USING (partner_id, record_pseudonym)
            JOIN residents_df AS h USING (resident_id)
        )
        SELECT
            count(*) FILTER (WHERE a.person_key = b.person_key),
            count(*),
            count(*) FILTER (WHERE a.person_key = b.person_key
                AND a.twin_resident_id = b.resident_id),
            count(*) FILTER (WHERE a.twin_resident_id = b.resident_id)
        FROM r AS a JOIN r AS b
            ON a.household_id = b.household_id AND a.resident_id < b.resident_id
        """
    ).fetchall()[0]
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def run(
    residents: int,
    seed: int,
    work: Path,
    profile: str,
    key_seed: int | None = None,
    settings: EncodingSettings = DEFAULT_SETTINGS,
    year_band: int = 1,
    announce_seen: bool = False,
) -> dict[str, object]:
    print(f"\n== {residents:,} residents, profile {profile} (seed {seed}) ==", flush=True)
    t0 = time.perf_counter()
    records, truth = encoded_region(
        work,
        residents=residents,
        seed=seed,
        profile=profile,
        key_seed=key_seed,
        settings=settings,
        announce_seen=announce_seen,
    )
    if year_band > 1:
        records = records.with_columns(birth_year=band_years(records["birth_year"], year_band))
    print(
        f"region + real partner encoder: {records.height:,} partner records, "
        f"{time.perf_counter() - t0:.1f}s",
        flush=True,
    )
    home = HubHome(work / "home").ensure()
    con = duckdb.connect(str(home.hub_db))
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.register("records_df", records.to_arrow())
    con.execute("CREATE OR REPLACE TABLE staging.current_persons AS SELECT * FROM records_df")
    t1 = time.perf_counter()
    result = run_linkage(con, home)
    encoded_s = time.perf_counter() - t1
    encoded = evaluate(con, truth.to_arrow())
    household = household_merges(con, truth, work / "region")
    con.close()
    plain_records = plaintext_region(work)
    clusters, plain_s = link_plaintext(plain_records)
    plain = plaintext_metrics(clusters, plain_records, truth)
    print(f"{'':24s}{'encoded':>12s}{'plaintext':>12s}")
    for label, attr in (
        ("pairwise precision", "precision"),
        ("pairwise recall", "recall"),
        ("pairwise F1", "f1"),
        ("B-cubed F1", "bcubed_f1"),
        ("blocking recall", "blocking_recall"),
    ):
        print(f"{label:24s}{getattr(encoded, attr):12.4f}{getattr(plain, attr):12.4f}")
    print(f"{'persons':24s}{result.persons:12,d}{clusters['cluster_id'].n_unique():12,d}")
    est = result.estimate
    if est is not None:
        print(
            f"{'estimated F1 (no truth)':24s}{est.f1:12.4f}{'':>12s}  "
            f"(precision {est.precision:.4f}, recall {est.recall:.4f}; "
            f"true - estimated F1 {encoded.f1 - est.f1:+.4f})"
        )
    print(f"{'link threshold':24s}{result.model.info.link_threshold:12.4f}{0.95:12.4f}")
    if result.chains is not None:
        c = result.chains
        print(
            f"{'chains split':24s}{c.persons_split:12,d}  of {c.persons_checked:,d} persons "
            f"checked ({c.pairs_scored:,d} pairs scored, {c.links_refused:,d} links refused)"
        )
    print(
        f"{'household pairs merged':24s}{household[0]:12,d}  of {household[1]:,d} pairs of "
        f"records of two people of one household (twins {household[2]:,d} of {household[3]:,d})"
    )
    print(f"{'train+link seconds':24s}{encoded_s:12.1f}{plain_s:12.1f}")
    print(f"{'scored pairs':24s}{result.scored_pairs:12,d}")
    targets = {
        "F1 >= plaintext - 0.002": encoded.f1 >= plain.f1 - 0.002,
        "precision >= 0.999": encoded.precision >= 0.999,
        "estimated F1 within 0.01": est is not None and abs(encoded.f1 - est.f1) <= 0.01,
        **({"F1 >= 0.995 (hard)": encoded.f1 >= 0.995} if profile == "hard" else {}),
    }
    print("targets: " + ", ".join(f"{k} {'MET' if v else 'NOT MET'}" for k, v in targets.items()))
    print(
        "encoded blocking recall by rule: "
        + ", ".join(f"{k} {v:.3f}" for k, v in encoded.blocking_recall_by_rule.items())
    )
    return {"residents": residents, "encoded": encoded, "plaintext": plain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--profile", nargs="+", default=["default", "hard"], choices=["default", "hard"]
    )
    parser.add_argument("--keep", type=Path, help="keep the work folder here")
    parser.add_argument(
        "--key-seed",
        type=int,
        help="fixed encoding keys (compare two code versions on the same encodings); "
        "default: fresh keys each run",
    )
    add_set_option(parser)
    parser.add_argument(
        "--year-band",
        type=int,
        default=1,
        help="the hub sees the birth year in bands of this many years (as privacy_attacks.py)",
    )
    args = parser.parse_args()
    settings = settings_with(args.set)
    seen = not announces_size(args.set)
    print(
        f"encoding settings {settings}; clear birth year in bands of {args.year_band}; "
        + ("ecosystem size announced: the residents some partner knows" if seen else "")
    )
    for profile in args.profile:
        for n in args.residents:
            work = (
                args.keep / f"{profile}-{n}"
                if args.keep
                else Path(tempfile.mkdtemp(prefix="linkacc-"))
            )
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            try:
                run(n, args.seed, work, profile, args.key_seed, settings, args.year_band, seen)
            finally:
                if not args.keep:
                    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
