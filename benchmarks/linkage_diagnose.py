"""Where linkage errs on a synthetic region: false positives and false negatives by error kind.

Reads a work folder kept by ``benchmarks/linkage_accuracy.py --keep DIR`` (the hub database,
the model it trained, the region's ground truth and the partners' crosswalks) and re-scores
with the saved model (a) every true pair, blocked or not, and (b) every pair of records of two
residents that ended in one person. Prints:

* false negatives: never compared (no blocking rule) vs scored below the threshold, by the
  error kinds the generator applied to either record, with the most common comparison levels;
* false positives: twins, other household members or strangers, linked directly or only
  through a chain, with their comparison levels.

    .venv/bin/python benchmarks/linkage_diagnose.py /tmp/acc/hard-20000
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linkage.accuracy import truth_from_crosswalks  # noqa: E402
from linkage.model import current_model, load_settings, register, splink_api  # noqa: E402
from linkage.records import read_records  # noqa: E402
from linkage.run import quiet_splink  # noqa: E402
from linkage.settings import LinkageSettings  # noqa: E402
from synth.truth import load_record_errors, load_residents  # noqa: E402

KEY = ["partner_id", "record_pseudonym"]


def _truth(work: Path) -> pl.DataFrame:
    """partner_id, record_pseudonym, resident_id, source_record_id of every record."""
    keys = work / "keys"
    crosswalks = {p.name.split(".")[0]: p for p in keys.glob("*.crosswalk.csv")}
    truth = truth_from_crosswalks(work / "region" / "ground_truth" / "truth.csv", crosswalks)
    xw = pl.concat(
        pl.read_csv(p, infer_schema=False)
        .select("record_pseudonym", pl.col("record_id").alias("source_record_id"))
        .with_columns(partner_id=pl.lit(pid))
        for pid, p in crosswalks.items()
    )
    return truth.join(xw, on=KEY)


def _error_flags(work: Path, truth: pl.DataFrame) -> pl.DataFrame:
    errors = load_record_errors(work / "region")
    flags = [c for c, t in errors.schema.items() if t == pl.Boolean]
    errors = errors.with_columns(
        kinds=pl.concat_list(
            [pl.when(pl.col(c)).then(pl.lit(c)).otherwise(pl.lit(None)) for c in flags]
        ).list.drop_nulls()
    ).select("partner_id", "source_record_id", "kinds")
    return truth.join(errors, on=["partner_id", "source_record_id"], how="left")


def _score(records: Any, model: dict[str, Any], pairs: pl.DataFrame) -> pl.DataFrame:
    """Splink's prediction (levels and probability) for the given pairs of records."""
    model = json.loads(json.dumps(model))
    model["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": "l.pair_group = r.pair_group", "sql_dialect": "duckdb"}
    ]
    db_api = splink_api()
    con = db_api.duckdb_con
    con.register("recs", records)
    con.register("pairs_df", pairs.to_arrow())
    # One row per (record, pair): a record in several pairs is copied with another group.
    con.execute(
        """CREATE TABLE grouped AS
        SELECT r.* EXCLUDE (record_pseudonym), r.record_pseudonym || '#' || p.pair_group
               AS record_pseudonym, p.pair_group
        FROM pairs_df p JOIN recs r
          ON (r.partner_id = p.partner_id_l AND r.record_pseudonym = p.record_pseudonym_l)
          OR (r.partner_id = p.partner_id_r AND r.record_pseudonym = p.record_pseudonym_r)"""
    )
    from splink import Linker

    with quiet_splink():
        linker = Linker(
            [register(db_api, con.table("grouped").to_arrow_table(), "grouped_records")],
            model,
            log_level=None,
            validate_settings=False,
        )
        preds = linker.inference.predict(threshold_match_probability=0.0, warning_mode="never")
        out = pl.from_arrow(preds.as_duckdbpyrelation().to_arrow_table())
    assert isinstance(out, pl.DataFrame)
    con.close()
    return out.with_columns(
        pair_group=pl.col("record_pseudonym_l").str.split("#").list.get(1)
    ).unique("pair_group")


def _blocked(con: duckdb.DuckDBPyConnection, pairs: pl.DataFrame) -> pl.Series:
    rules = LinkageSettings().blocking
    cond = " OR ".join(
        "(" + " AND ".join(f"l.{c} = r.{c}" for c in rule.columns) + ")" for rule in rules
    )
    con.register("bp", pairs.to_arrow())
    query = (
        f"SELECT bp.pair_group, ({cond}) AS blocked FROM bp "  # noqa: S608 - own column names
        "JOIN recs l ON l.partner_id = bp.partner_id_l "
        "AND l.record_pseudonym = bp.record_pseudonym_l "
        "JOIN recs r ON r.partner_id = bp.partner_id_r "
        "AND r.record_pseudonym = bp.record_pseudonym_r"
    )
    got = pl.from_arrow(con.sql(query).to_arrow_table())
    assert isinstance(got, pl.DataFrame)
    return pairs.join(got, on="pair_group")["blocked"].fill_null(False)


def _levels_summary(scored: pl.DataFrame, top: int = 12) -> list[str]:
    gammas = [c for c in scored.columns if c.startswith("gamma_")]
    patterns = Counter(
        " ".join(f"{g[6:]}={row[g]}" for g in gammas) for row in scored.iter_rows(named=True)
    )
    return [f"    {n:5d}  {p}" for p, n in patterns.most_common(top)]


def _kinds_summary(kinds: pl.Series, top: int = 15) -> list[str]:
    counts: Counter[str] = Counter()
    for ks in kinds.to_list():
        for k in set(ks or []):
            counts[k] += 1
    return [f"    {k:20s} {n:5d}" for k, n in counts.most_common(top)]


def diagnose(work: Path) -> None:
    home = work / "home"
    hub = duckdb.connect(str(home / "warehouse" / "hub.duckdb"), read_only=True)
    info = current_model(home / "models")
    assert info is not None
    model = load_settings(info)
    threshold = info.link_threshold
    records = read_records(hub, "staging.current_persons")
    persons = pl.from_arrow(
        hub.sql(
            "SELECT partner_id, record_pseudonym, person_key FROM linkage.person_records"
        ).to_arrow_table()
    )
    assert isinstance(persons, pl.DataFrame)
    hub.close()
    truth = _error_flags(work, _truth(work)).join(persons, on=KEY)
    residents = load_residents(work / "region").select(
        "resident_id", "household_id", "twin_resident_id"
    )
    truth = truth.join(residents, on="resident_id", how="left")
    side = truth.select(
        *KEY, "resident_id", "person_key", "kinds", "household_id", "twin_resident_id"
    )
    pairs = (
        side.join(side, how="cross", suffix="_r")
        .rename({c: f"{c}_l" for c in side.columns})
        .filter(
            pl.concat_str("partner_id_l", "record_pseudonym_l")
            < pl.concat_str("partner_id_r", "record_pseudonym_r")
        )
        if side.height <= 4000
        else None
    )
    if pairs is None:
        # Only pairs of one resident or one person: a cross join at 20k+ is too big.
        a = side.rename({c: f"{c}_l" for c in side.columns})
        b = side.rename({c: f"{c}_r" for c in side.columns})
        pairs = pl.concat(
            [
                a.join(b, left_on="resident_id_l", right_on="resident_id_r").with_columns(
                    resident_id_r=pl.col("resident_id_l")
                ),
                a.join(b, left_on="person_key_l", right_on="person_key_r").with_columns(
                    person_key_r=pl.col("person_key_l")
                ),
            ],
            how="diagonal_relaxed",
        ).filter(
            pl.concat_str("partner_id_l", "record_pseudonym_l")
            < pl.concat_str("partner_id_r", "record_pseudonym_r")
        )
    pairs = pairs.filter(
        (pl.col("resident_id_l") == pl.col("resident_id_r"))
        | (pl.col("person_key_l") == pl.col("person_key_r"))
    ).unique(["partner_id_l", "record_pseudonym_l", "partner_id_r", "record_pseudonym_r"])
    pairs = pairs.with_row_index("pair_group").with_columns(pl.col("pair_group").cast(pl.String))
    con = duckdb.connect()
    con.register("recs", records)
    pairs = pairs.with_columns(blocked=_blocked(con, pairs))
    con.close()
    scored = _score(
        records,
        model,
        pairs.select(
            "pair_group",
            *[c for c in pairs.columns if c.startswith(("partner_id", "record_pseudonym"))],
        ),
    )
    scored = scored.select(
        "pair_group",
        "match_probability",
        "match_weight",
        *[c for c in scored.columns if c.startswith("gamma_")],
    )
    full = pairs.join(scored, on="pair_group", how="left")
    true = full.filter(pl.col("resident_id_l") == pl.col("resident_id_r"))
    fn = true.filter(pl.col("person_key_l") != pl.col("person_key_r"))
    fp = full.filter(pl.col("resident_id_l") != pl.col("resident_id_r"))
    print(
        f"threshold {threshold:.4f}; true pairs {true.height:,}; false negatives {fn.height:,}; "
        f"false positives {fp.height:,}"
    )
    kinds = fn.with_columns(kinds=pl.col("kinds_l").list.concat(pl.col("kinds_r")))
    never = kinds.filter(~pl.col("blocked"))
    low = kinds.filter(pl.col("blocked"))
    print(f"\nFALSE NEGATIVES never compared (no blocking rule): {never.height}")
    print("\n".join(_kinds_summary(never["kinds"])))
    print(f"\nFALSE NEGATIVES compared, scored below the threshold: {low.height}")
    prob = pl.col("match_probability")
    print(
        "  by match probability: "
        + ", ".join(
            f"{lo}-{hi}: {low.filter(prob.is_between(lo, hi, 'left')).height}"
            for lo, hi in ((0, 0.001), (0.001, 0.1), (0.1, 0.5), (0.5, 1.01))
        )
    )
    print("\n".join(_kinds_summary(low["kinds"])))
    print("  comparison levels (gamma):")
    print("\n".join(_levels_summary(low)))
    fp = fp.with_columns(
        relation=pl.when(pl.col("twin_resident_id_l") == pl.col("resident_id_r"))
        .then(pl.lit("twin"))
        .when(pl.col("household_id_l") == pl.col("household_id_r"))
        .then(pl.lit("household"))
        .otherwise(pl.lit("stranger")),
        direct=pl.col("match_probability") >= threshold,
        kinds=pl.col("kinds_l").list.concat(pl.col("kinds_r")),
    )
    print("\nFALSE POSITIVES by relation and direct (pair above threshold) vs through a chain:")
    for row in fp.group_by("relation", "direct").len().sort("relation", "direct").iter_rows():
        print(f"    {row[0]:10s} direct={row[1]!s:5s} {row[2]:5d}")
    direct = fp.filter(pl.col("direct"))
    print("  direct false links, error kinds:")
    print("\n".join(_kinds_summary(direct["kinds"])))
    print("  direct false links, comparison levels (gamma):")
    print("\n".join(_levels_summary(direct)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path, help="a folder kept by linkage_accuracy.py --keep")
    diagnose(parser.parse_args().work)


if __name__ == "__main__":
    main()
