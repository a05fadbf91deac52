"""The synthetic region generator: determinism, error rates, overlap, ground-truth consistency."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import jellyfish
import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from carehub.cli import app
from synth import (
    PARTNER_IDS,
    PARTNERS,
    ErrorRates,
    SynthConfig,
    generate,
    load_config,
    load_record_errors,
    load_residents,
    load_truth,
)
from synth.config import PartnerId, config_from_dict, parse_rates, profile_config
from synth.names import COMMON_NAMES, nicknames

ROOT = Path(__file__).resolve().parents[1]
SMALL = 2_000
RATE = 0.15  # every error rate in the "noisy" region, so each is measurable at small N


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _within(observed: float, expected: float, n: int, sigmas: float = 4.0) -> bool:
    """Binomial tolerance: ``sigmas`` standard errors plus a small absolute slack."""
    se = math.sqrt(max(expected * (1 - expected), 1e-9) / max(n, 1))
    return abs(observed - expected) <= sigmas * se + 0.005


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("region")
    generate(out, residents=SMALL, seed=11, progress=False)
    return out


@pytest.fixture(scope="module")
def noisy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A region with every error rate at RATE and more people seen, to measure rates."""
    out = tmp_path_factory.mktemp("noisy")
    errors = ErrorRates(**dict.fromkeys(ErrorRates.__dataclass_fields__, RATE))
    overlap = config_from_dict(
        {
            "overlap": {
                t: {"presence": dict.fromkeys(PARTNER_IDS, 0.5)}
                for t in ("low", "moderate", "complex")
            }
        }
    ).overlap
    config = replace(SynthConfig(), errors=errors, overlap=overlap, chunk_size=2_500)
    generate(out, residents=6_000, seed=5, config=config, progress=False)
    return out


# --- determinism -------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(region: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", residents=SMALL, seed=11, progress=False)
    first, second = _digest(region), _digest(tmp_path / "again")
    assert first.keys() == second.keys()
    assert len(first) == 3 + 1 + sum(1 + len(s.event_files) for s in PARTNERS.values())
    assert first == second


def test_same_bytes_in_another_process_with_another_hash_seed(region: Path, tmp_path: Path) -> None:
    out = tmp_path / "proc"
    code = (
        "from pathlib import Path; from synth import generate; "
        f"generate(Path({str(out)!r}), {SMALL}, 11, progress=False)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    assert _digest(out) == _digest(region)


def test_other_seed_gives_other_region(region: Path, tmp_path: Path) -> None:
    generate(tmp_path / "other", residents=SMALL, seed=12, progress=False)
    first, second = _digest(region), _digest(tmp_path / "other")
    differing = [k for k in first if first[k] != second[k]]
    assert set(differing) >= {"ground_truth/truth.csv", "partners/mercy_hospital/patients.csv"}


def test_rerun_replaces_an_earlier_region_but_refuses_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "r"
    generate(out, residents=1_500, seed=1, progress=False)
    generate(out, residents=1_000, seed=1, progress=False)
    assert json.loads((out / "region.json").read_text())["residents"] == 1_000
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"region\.json"):
        generate(foreign, residents=1_000, seed=1, progress=False)
    assert (foreign / "notes.txt").read_text() == "mine"


# --- ground truth ------------------------------------------------------------------------


def _person_ids(region: Path, pid: str) -> pl.Series:
    spec = PARTNERS[pid]
    df = pl.read_csv(region / "partners" / pid / spec.person_file, infer_schema=False)
    return df.get_column(df.columns[0])


def test_truth_matches_the_exports_both_ways(region: Path) -> None:
    truth = load_truth(region)
    assert truth.columns == ["partner_id", "source_file", "source_record_id", "resident_id"]
    for pid in PARTNER_IDS:
        ids = _person_ids(region, pid)
        part = truth.filter(pl.col("partner_id") == pid)
        assert ids.n_unique() == len(ids), f"{pid}: record ids repeat"
        assert set(ids) == set(part["source_record_id"]), pid
        assert set(part["source_file"]) == {PARTNERS[pid].person_file}


def test_truth_residents_exist_and_duplicates_map_to_one_resident(region: Path) -> None:
    truth = load_truth(region)
    residents = load_residents(region)
    assert residents["resident_id"].n_unique() == SMALL
    assert set(truth["resident_id"]) <= set(residents["resident_id"])
    per = truth.group_by("partner_id", "resident_id").len()
    assert per["len"].max() == 2  # at most one duplicate registration per partner
    errors = load_record_errors(region)
    dups = errors.filter(pl.col("duplicate")).select("partner_id", "resident_id")
    twice = per.filter(pl.col("len") == 2).select("partner_id", "resident_id")
    assert dups.sort(pl.all()).equals(twice.sort(pl.all()))


def test_every_event_points_at_a_record_of_its_partner(region: Path) -> None:
    for pid, spec in PARTNERS.items():
        ids = set(_person_ids(region, pid))
        for name in spec.event_files:
            ev = pl.read_csv(region / "partners" / pid / name, infer_schema=False)
            key = (
                ev.columns[1]
                if pid != "mercy_hospital" or name != "chronic_conditions.csv"
                else "MRN"
            )
            assert ev.height > 0, f"{pid}/{name} is empty"
            assert set(ev[key]) <= ids, f"{pid}/{name}: events of unknown records"


def test_region_json_counts_match_files(region: Path) -> None:
    doc = json.loads((region / "region.json").read_text())
    truth = load_truth(region)
    assert doc["seed"] == 11 and doc["residents"] == SMALL
    assert doc["counts"]["records"] == truth.height
    errors = load_record_errors(region)
    for flag, count in doc["counts"]["records_with_error"].items():
        column = errors[flag]
        observed = column.is_not_null().sum() if flag == "placeholder" else column.sum()
        assert observed == count, flag
    for rel, rows in doc["files"].items():
        if rel.endswith(".csv"):
            assert pl.read_csv(region / rel, infer_schema=False).height == rows, rel
    assert doc["config"]["errors"] == json.loads(json.dumps(SynthConfig().to_dict()["errors"]))


# --- error rates -------------------------------------------------------------------------

_PER_RECORD = ("typo", "name_swap", "placeholder", "duplicate")


@pytest.mark.parametrize(
    ("flag", "rate"),
    [
        ("nickname", RATE),  # among records whose first name has a nickname
        ("dob_swap", RATE),  # among records whose day/month can be swapped
        ("name_swap", RATE),
        ("dob_error", RATE),
        ("surname_change", 0.5 * RATE),  # per adult resident; each record shows old or new
        ("old_address", 0.5 * RATE),
        ("other_phone", 0.5 * RATE),
        ("typo", RATE),
        ("placeholder", RATE),
    ],
)
def test_error_flags_follow_configured_rates(noisy: Path, flag: str, rate: float) -> None:
    errors = load_record_errors(noisy)
    residents = load_residents(noisy)
    df = errors.join(residents, on="resident_id")
    if flag == "nickname":
        table = nicknames()
        df = df.filter(pl.col("first_name").is_in(list(table)))
    if flag == "dob_swap":
        day, month = pl.col("dob").dt.day(), pl.col("dob").dt.month()
        df = df.filter((day <= 12) & (day != month))
    if flag == "dob_error":
        df = df.filter(~pl.col("dob_swap"))
    if flag == "surname_change":
        adults = (pl.lit(SynthConfig().as_of) - pl.col("dob")).dt.total_days() >= 18 * 366
        df = df.filter(adults)
    if flag == "typo":
        observed = (df["typo_first"] | df["typo_last"]).mean()
    elif flag == "placeholder":
        observed = df["placeholder"].is_not_null().mean()
    else:
        observed = df[flag].mean()
    assert isinstance(observed, float)
    assert _within(observed, rate, df.height), f"{flag}: {observed:.4f} vs {rate}"


def test_per_resident_rates(noisy: Path) -> None:
    residents = load_residents(noisy)
    n = residents.height
    twins = residents["twin_resident_id"].is_not_null().mean()
    common = residents["common_name"].mean()
    moved = residents["prev_street"].is_not_null().mean()
    second_phone = residents["alt_phone"].is_not_null().mean()
    assert isinstance(twins, float) and isinstance(common, float)
    assert isinstance(moved, float) and isinstance(second_phone, float)
    # Twins need a household member to pair with, so they land a little under the rate.
    assert 0.6 * RATE <= twins <= RATE + 0.01
    assert _within(common, RATE, n)
    assert _within(moved, RATE, n) and _within(second_phone, RATE, n)


def test_duplicate_rate(noisy: Path) -> None:
    errors = load_record_errors(noisy)
    firsts = errors.filter(~pl.col("duplicate")).height
    dups = errors.filter(pl.col("duplicate")).height
    assert _within(dups / firsts, RATE, firsts)


def test_twins_share_dob_surname_address_not_first_name(noisy: Path) -> None:
    r = load_residents(noisy)
    pairs = r.filter(pl.col("twin_resident_id").is_not_null()).join(
        r, left_on="twin_resident_id", right_on="resident_id", suffix="_twin"
    )
    assert pairs.height > 50
    assert (pairs["dob"] == pairs["dob_twin"]).all()
    assert (pairs["street"] == pairs["street_twin"]).all()
    assert (pairs["household_id"] == pairs["household_id_twin"]).all()
    common = pairs["common_name"] | pairs["common_name_twin"]
    plain = pairs.filter(~common)
    assert (plain["last_name"] == plain["last_name_twin"]).all()
    assert (plain["first_name"] != plain["first_name_twin"]).all()


def test_errors_are_visible_in_the_export(noisy: Path) -> None:
    """Measured from the raw riverside export against the true residents, not from flags."""
    pid: PartnerId = "riverside_health"
    persons = pl.read_csv(noisy / "partners" / pid / "persons.csv", infer_schema=False)
    truth = load_truth(noisy).filter(pl.col("partner_id") == pid)
    flags = load_record_errors(noisy).filter(pl.col("partner_id") == pid)
    df = (
        persons.join(truth, left_on="person_id", right_on="source_record_id")
        .join(load_residents(noisy), on="resident_id")
        .join(
            flags.drop("partner_id", "resident_id"),
            left_on="person_id",
            right_on="source_record_id",
        )
    )
    clean_name = ~pl.any_horizontal(
        "nickname", "typo_first", "typo_last", "given_replaced", "typo_ocr", "typo_phonetic"
    )
    clean_name = clean_name & pl.col("placeholder").is_null() & ~pl.col("surname_change")
    swapped = df.filter(clean_name & pl.col("name_swap"))
    assert swapped.height > 20
    assert (swapped["given_name"] == swapped["last_name"]).all()
    assert (swapped["family_name"] == swapped["first_name"]).all()
    straight = df.filter(clean_name & ~pl.col("name_swap"))
    assert (straight["given_name"] == straight["first_name"]).all()

    other_misspelling = pl.any_horizontal("given_replaced", "typo_ocr", "typo_phonetic")
    typos = df.filter(
        pl.col("typo_first")
        & ~pl.col("name_swap")
        & pl.col("placeholder").is_null()
        & ~other_misspelling
    )
    assert typos.height > 20
    dist = [
        jellyfish.damerau_levenshtein_distance(a, b)
        for a, b in zip(typos["given_name"], typos["first_name"], strict=True)
    ]
    nick = typos["nickname"].to_list()
    assert all(d == 1 for d, is_nick in zip(dist, nick, strict=True) if not is_nick)

    dob = pl.col("dob")
    swap = df.filter(pl.col("dob_swap") & pl.col("placeholder").is_null() & ~pl.col("missing_dob"))
    expected = pl.date(dob.dt.year(), dob.dt.day(), dob.dt.month()).dt.strftime("%Y-%m-%d")
    assert swap.height > 10
    assert swap.select((pl.col("birth_date") == expected).all()).item()

    nicks = df.filter(pl.col("nickname") & ~pl.col("typo_first") & ~pl.col("name_swap"))
    nicks = nicks.filter(pl.col("placeholder").is_null() & ~other_misspelling)
    table = nicknames()
    assert nicks.height > 10
    wrong = [
        (g, f)
        for g, f in zip(nicks["given_name"], nicks["first_name"], strict=True)
        if g not in table.get(f, ())
    ]
    assert not wrong

    old = df.filter(pl.col("old_address") & ~pl.col("missing_address"))
    assert old.height > 10
    assert (old["postal_code"] == old["prev_zip5"]).all()

    no_ssn = persons["ssn"].is_null().mean()
    assert isinstance(no_ssn, float)
    assert _within(no_ssn, SynthConfig().missing[pid].ssn, persons.height, sigmas=5)


_MISSING_FLAGS = {
    "ssn": "missing_ssn",
    "dob_year_only": "dob_year_only",
    "phone": "missing_phone",
    "address": "missing_address",
    "sex": "missing_sex",
}


@pytest.mark.parametrize("pid", PARTNER_IDS)
@pytest.mark.parametrize("field", list(_MISSING_FLAGS))
def test_missing_fields_follow_partner_rates(noisy: Path, pid: PartnerId, field: str) -> None:
    errors = load_record_errors(noisy).filter(pl.col("partner_id") == pid)
    observed = errors[_MISSING_FLAGS[field]].mean()
    expected = getattr(SynthConfig().missing[pid], field)
    assert isinstance(observed, float)
    assert _within(observed, expected, errors.height), (pid, field, observed, expected)


def test_region_demographics(region: Path) -> None:
    residents = load_residents(region)
    age = (pl.lit(SynthConfig().as_of) - pl.col("dob")).dt.total_days() / 365.25
    ages = residents.select(age.alias("age"))["age"]
    assert ages.min() >= 0 and ages.max() <= 101  # type: ignore[operator]
    assert (ages >= 90).sum() > 0 and (ages < 5).sum() > 0
    assert set(residents["sex"]) == {"F", "M"}
    zip3 = set(residents["zip5"].str.slice(0, 3))
    assert "036" in zip3 and len(zip3) == 8  # includes the low-population ZIP3
    assert residents["unit"].is_not_null().mean() > 0.2  # type: ignore[operator]


def test_common_names_are_common(region: Path) -> None:
    residents = load_residents(region)
    top = residents["last_name"].value_counts(sort=True).head(3)["last_name"].to_list()
    assert "Smith" in top
    singles = residents["last_name"].value_counts().filter(pl.col("count") == 1).height
    assert singles > 0.2 * residents["last_name"].n_unique()  # a long tail of rare surnames
    all_common = {f"{f} {last}" for names in COMMON_NAMES.values() for f, last in names}
    assert all_common


# --- overlap -----------------------------------------------------------------------------


def _presence(region: Path) -> pl.DataFrame:
    truth = load_truth(region).unique(["partner_id", "resident_id"])
    residents = load_residents(region)
    adults = residents.filter(
        (pl.lit(SynthConfig().as_of) - pl.col("dob")).dt.total_days() >= 18 * 366 + 5
    )
    seen = truth.select("partner_id", "resident_id", pl.lit(True).alias("seen"))
    grid = adults.select("resident_id", "tier").join(
        pl.DataFrame({"partner_id": list(PARTNER_IDS)}), how="cross"
    )
    return grid.join(seen, on=["partner_id", "resident_id"], how="left").with_columns(
        pl.col("seen").fill_null(False)
    )


def test_presence_follows_the_configured_tiers(tmp_path: Path) -> None:
    config = config_from_dict(
        {
            "overlap": {
                "low": {"share": 0.5},
                "moderate": {"share": 0.3},
                "complex": {"share": 0.2, "presence": {"harbor_housing": 0.6}},
            }
        }
    )
    generate(tmp_path, residents=6_000, seed=3, config=config, progress=False)
    residents = load_residents(tmp_path)
    for tier, cfg in config.overlap.items():
        share = (residents["tier"] == tier).mean()
        assert isinstance(share, float)
        assert _within(share, cfg.share, residents.height), tier
    rates = (
        _presence(tmp_path)
        .group_by("tier", "partner_id")
        .agg(pl.col("seen").mean().alias("rate"), pl.len().alias("n"))
    )
    for row in rates.iter_rows(named=True):
        expected = config.overlap[row["tier"]].presence[row["partner_id"]]
        assert _within(row["rate"], expected, row["n"]), row


def test_complex_residents_span_partners_most_people_do_not(region: Path) -> None:
    truth = load_truth(region).unique(["partner_id", "resident_id"])
    per = truth.group_by("resident_id").len()
    residents = (
        load_residents(region)
        .join(per, on="resident_id", how="left")
        .with_columns(pl.col("len").fill_null(0))
    )
    at_most_one = (residents["len"] <= 1).mean()
    assert isinstance(at_most_one, float) and at_most_one > 0.8
    by_tier = residents.group_by("tier").agg((pl.col("len") >= 2).mean().alias("multi"))
    multi = dict(by_tier.iter_rows())
    assert multi["complex"] > 2 * multi["moderate"] > 2 * multi["low"]


def test_utilisation_drops_after_cbo_services_for_some(tmp_path: Path) -> None:
    """The program effect is in the data: ED visits per person-day fall after the first service."""
    config = config_from_dict(
        {
            "program": {"responder_share": 1.0, "effect": 0.8},
            "overlap": {
                "low": {"share": 0.4},
                "moderate": {"share": 0.1},
                "complex": {"share": 0.5},
            },
        }
    )
    generate(tmp_path, residents=4_000, seed=2, config=config, progress=False)
    truth = load_truth(tmp_path)
    enc = pl.read_csv(tmp_path / "partners/mercy_hospital/encounters.csv", infer_schema=False)
    clients = pl.read_csv(tmp_path / "partners/northside_food/members.csv", infer_schema=False)
    start = (
        clients.join(truth, left_on="member_id", right_on="source_record_id")
        .select("resident_id", pl.col("enrolled_on").str.to_date("%-m/%-d/%Y").alias("start"))
        .group_by("resident_id")
        .agg(pl.col("start").min())
    )
    visits = (
        enc.filter(pl.col("ENC_TYPE") == "ED")
        .join(truth, left_on="MRN", right_on="source_record_id")
        .join(start, on="resident_id")
        .with_columns(pl.col("ADMIT_DT").str.to_datetime("%m/%d/%Y %H:%M").dt.date().alias("day"))
    )
    as_of = SynthConfig().as_of
    window_start = as_of - dt.timedelta(days=730)
    pre_days = start.select((pl.col("start") - window_start).dt.total_days().sum()).item()
    post_days = start.select((pl.lit(as_of) - pl.col("start")).dt.total_days().sum()).item()
    pre = visits.filter(pl.col("day") < pl.col("start")).height
    post = visits.filter(pl.col("day") >= pl.col("start")).height
    assert pre > 30
    assert post / max(post_days, 1) < 0.6 * pre / max(pre_days, 1)


# --- configuration and CLI -----------------------------------------------------------------


def test_config_yaml_overrides_and_errors_name_the_key(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("errors: {typo: 0.2}\nmissing: {harbor_housing: {ssn: 0.9}}\n")
    cfg = load_config(good)
    assert cfg.errors.typo == 0.2 and cfg.errors.nickname == ErrorRates().nickname
    assert cfg.missing["harbor_housing"].ssn == 0.9
    assert cfg.missing["harbor_housing"].dob_year_only == 0.12
    bad = tmp_path / "bad.yaml"
    bad.write_text("errors: {typoo: 0.2}\n")
    with pytest.raises(ValueError, match=r"bad\.yaml.*errors\.typoo"):
        load_config(bad)
    shares = tmp_path / "shares.yaml"
    shares.write_text("overlap: {low: {share: 0.9}}\n")
    with pytest.raises(ValueError, match="sum to 1"):
        load_config(shares)


def test_cli_writes_a_region_with_option_rates(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        app,
        ["synth", "--residents", "1200", "--seed", "4", "--out", str(out), "--typo", "0.3", "-q"],
    )
    assert result.exit_code == 0, result.output
    assert "partner records" in result.output and "ground_truth" in result.output
    doc = json.loads((out / "region.json").read_text())
    assert doc["config"]["errors"]["typo"] == 0.3
    assert doc["residents"] == 1200
    errors = load_record_errors(out)
    typo = (errors["typo_first"] | errors["typo_last"]).mean()
    assert isinstance(typo, float) and _within(typo, 0.3, errors.height)


@pytest.mark.parametrize("residents", [1, 7])
def test_tiny_regions_still_write_every_file(tmp_path: Path, residents: int) -> None:
    summary = generate(tmp_path, residents=residents, seed=3, progress=False)
    for pid in PARTNER_IDS:
        for path in summary.partner_files(pid):
            header = path.read_text(encoding="utf-8").splitlines()[0]
            assert header.count(",") >= 2, path
    assert load_truth(tmp_path).height == summary.records
    assert load_residents(tmp_path).height == residents


def test_ids_stay_unique_across_chunks(tmp_path: Path) -> None:
    config = replace(SynthConfig(), chunk_size=1_000)
    summary = generate(tmp_path, residents=5_500, seed=9, config=config, progress=False)
    truth = load_truth(tmp_path)
    assert truth.height == summary.records
    assert (
        truth.select(pl.struct("partner_id", "source_record_id").n_unique()).item() == truth.height
    )
    residents = load_residents(tmp_path)
    assert residents["ssn"].n_unique() == 5_500
    assert residents["resident_id"].to_list() == [f"R{i:08d}" for i in range(5_500)]
    for pid, spec in PARTNERS.items():
        for name in spec.event_files:
            ev = pl.read_csv(tmp_path / "partners" / pid / name, infer_schema=False)
            if name in {"screenings.csv", "chronic_conditions.csv"}:
                continue  # screenings repeat their id per domain; flags have no id
            assert ev[ev.columns[0]].n_unique() == ev.height, f"{pid}/{name}"
    assert np.isclose(summary.records / 5_500, 0.69, atol=0.08)


# --- error kinds of the hard profile (issue 15) --------------------------------------------


def _differs_by_one_keypad_error(a: str, b: str) -> bool:
    """One digit changed, or two adjacent digits swapped."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 1 or (
        len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
    )


# flag, only records without these other flags, check on (export row, true resident)
_KIND_CASES = [
    (
        "given_replaced",
        ("name_swap", "placeholder"),
        lambda r: r["given_name"] != r["first_name"],
    ),
    (
        "dob_typo",
        ("missing_dob", "placeholder"),
        lambda r: _differs_by_one_keypad_error(
            r["birth_date"].replace("-", ""), str(r["dob"]).replace("-", "")
        ),
    ),
    ("missing_dob", ("placeholder",), lambda r: r["birth_date"] is None),
    (
        "ssn_typo",
        ("placeholder", "partial_ssn"),
        lambda r: _differs_by_one_keypad_error(r["ssn"], r["true_ssn"].replace("-", "")),
    ),
    (
        "no_house_number",
        ("po_box", "old_address"),
        lambda r: r["address_line"].split()[0] != r["street"].split()[0],
    ),
    ("po_box", (), lambda r: r["address_line"].startswith("PO Box ")),
    ("missing_locality", (), lambda r: r["city"] is None),
    (
        "unit_dropped",
        ("po_box",),  # a PO box has no unit anyway (and "PO Box 12" ends with a unit "2")
        lambda r: (
            not any(r["address_line"].endswith(" " + u) for u in (r["unit"], r["prev_unit"]) if u)
        ),
    ),
    (
        "locality_variant",
        ("old_address",),
        lambda r: r["city"] not in (None, r["true_city"]),
    ),
]


@pytest.mark.parametrize(("flag", "unless", "check"), _KIND_CASES, ids=[c[0] for c in _KIND_CASES])
def test_new_error_kinds_are_visible_in_the_export(
    noisy: Path, flag: str, unless: tuple[str, ...], check: Any
) -> None:
    """Each flagged record shows its error in the raw riverside export (the truth beside it)."""
    pid: PartnerId = "riverside_health"
    persons = pl.read_csv(noisy / "partners" / pid / "persons.csv", infer_schema=False)
    residents = load_residents(noisy).rename({"ssn": "true_ssn", "city": "true_city"}, strict=False)
    flags = load_record_errors(noisy).filter(pl.col("partner_id") == pid)
    df = (
        persons.join(load_truth(noisy), left_on="person_id", right_on="source_record_id")
        .join(residents, on="resident_id")
        .join(
            flags.drop("partner_id", "resident_id"),
            left_on="person_id",
            right_on="source_record_id",
        )
        .with_columns(placeholder=pl.col("placeholder").is_not_null())
        .filter(pl.col(flag) & ~pl.col("missing_address") & ~pl.any_horizontal(*unless, False))
    )
    assert df.height > 10
    assert all(check(row) for row in df.iter_rows(named=True))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["dob_typo=0.05"], {"dob_typo": 0.05}),
        (["ssn_typo=0", "po_box=1"], {"ssn_typo": 0.0, "po_box": 1.0}),
        (["nope=0.1"], ValueError),
        (["dob_typo"], ValueError),
        (["dob_typo=1.5"], ValueError),
        (["dob_typo=x"], ValueError),
    ],
)
def test_parse_rates(items: list[str], expected: dict[str, float] | type[Exception]) -> None:
    if isinstance(expected, dict):
        assert parse_rates(items) == expected
    else:
        with pytest.raises(expected):
            parse_rates(items)


def test_profiles_differ_only_where_documented() -> None:
    default, hard = profile_config("default"), profile_config("hard")
    assert default == SynthConfig()
    assert hard.errors.given_replaced > 0 and default.errors.given_replaced == 0
    assert hard.missing["mercy_hospital"].ssn > default.missing["mercy_hospital"].ssn
    assert hard.overlap == default.overlap
    with pytest.raises(ValueError, match="unknown profile"):
        profile_config("easy")  # type: ignore[arg-type]


def test_cli_hard_profile_with_a_rate(tmp_path: Path) -> None:
    out = tmp_path / "hard"
    result = CliRunner().invoke(
        app,
        ["synth", "--residents", "1500", "--profile", "hard", "--rate", "po_box=0.5", "--out",
         str(out), "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads((out / "region.json").read_text())["config"]["errors"]
    assert (
        written["po_box"] == 0.5 and written["dob_typo"] == profile_config("hard").errors.dob_typo
    )
    bad = CliRunner().invoke(app, ["synth", "--rate", "po_box=2", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
