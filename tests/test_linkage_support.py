"""Encoded synthetic regions for the linkage tests and benchmarks (no tests in here).

Everything goes through the real parts: ``synth.generate`` writes a region, every partner's
export is encoded by ``partner.encode_partner`` under one shared secret, and the ground truth
is joined through each partner's crosswalk. The hub never sees the truth; tests do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl

from carehub.demo_keys import write_seeded_keys
from encoding.encoder import DEFAULT_SETTINGS, EncodingSettings
from linkage.settings import LinkageSettings, TrainingSettings

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "partner" / "mappings"
AS_OF = date(2026, 11, 26)


def fast_settings() -> LinkageSettings:
    """Default linkage settings with a smaller u sample, to keep the default test suite fast."""
    return LinkageSettings(training=TrainingSettings(u_max_pairs=3e5))


def encoded_region(
    workdir: Path,
    residents: int,
    seed: int = 11,
    profile: str = "default",
    key_seed: int | None = None,
    settings: EncodingSettings = DEFAULT_SETTINGS,
    announce_seen: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A synthetic region of error ``profile`` (``default``/``hard``) run through the real
    partner encoder (under ``settings``: a variant of the spec's internals being measured).

    ``announce_seen``: the steward announces as the ecosystem size the residents some partner
    knows (as the demo does) instead of ``settings.ecosystem_persons``.

    ``key_seed`` fixes the shared secret and the pseudonym keys, so a test sees the same
    encodings every run (a Bloom-filter Dice near a level's edge must not pass or fail by the
    draw of a key); ``None`` draws fresh keys, as a benchmark should, to average over them.

    Returns:
        Every partner's encoded persons rows (with ``partner_id``) and the ground truth
        ``(partner_id, record_pseudonym, resident_id)`` via each partner's crosswalk.
    """
    from linkage.accuracy import truth_from_crosswalks
    from partner.encode import encode_partner
    from partner.keygen import keygen
    from synth import PARTNER_IDS, generate, profile_config
    from synth.generate import TRUTH_FILE

    region = workdir / "region"
    keys = workdir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    config = profile_config(profile)  # type: ignore[arg-type]  # checked inside
    summary = generate(region, residents=residents, seed=seed, config=config, progress=False)
    if announce_seen:
        settings = replace(settings, ecosystem_persons=summary.residents_seen)
    secret = keys / "shared.secret"
    if key_seed is not None:
        write_seeded_keys(keys, secret, key_seed, PARTNER_IDS)
    persons, crosswalks = [], {}
    for pid in PARTNER_IDS:
        # The steward's announcement of spec 2.2: the ecosystem size of the settings measured.
        keygen(keys, pid, shared_secret=secret, ecosystem_persons=settings.ecosystem_persons)
        result = encode_partner(
            pid,
            secret,
            MAPPINGS / f"{pid}.yaml",
            region / "partners" / pid,
            workdir / "landing" / pid,
            as_of=AS_OF,
            settings=settings,
        )
        frame = pl.read_parquet(result.package / "persons.parquet")
        persons.append(frame.with_columns(partner_id=pl.lit(pid)))
        crosswalks[pid] = result.crosswalk
    truth = truth_from_crosswalks(region / TRUTH_FILE, crosswalks)
    return pl.concat(persons, how="diagonal_relaxed"), truth


def plaintext_region(workdir: Path) -> pl.DataFrame:
    """The same partner records as :func:`encoded_region`, normalised but NOT encoded.

    For the plaintext baseline of ``benchmarks/linkage_accuracy.py`` only: the same mapping
    reader and normalisation as the encoder, so the two models see the same information.
    """
    from encoding import normalise
    from partner.mapping import load_mapping
    from partner.reader import read_input
    from synth import PARTNER_IDS

    frames = []
    for pid in PARTNER_IDS:
        mapping_path = MAPPINGS / f"{pid}.yaml"
        mapping = load_mapping(mapping_path)
        raw = read_input(mapping, workdir / "region" / "partners" / pid, str(mapping_path), AS_OF)
        p = raw.persons
        sex_values = mapping.persons.sex.values if mapping.persons.sex else None

        def col(name: str, frame: pl.DataFrame = p) -> pl.Series:
            return (
                frame[name].cast(pl.String)
                if name in frame.columns
                else pl.Series(name, [None] * frame.height, pl.String)
            )

        dob = normalise.normalise_dob(col("dob"), None, AS_OF).values
        frame = pl.DataFrame(
            {
                "record_id": col("record_id").str.strip_chars(),
                "first": normalise.normalise_names(col("first_name"), "first").values,
                "last": normalise.normalise_names(col("last_name"), "last").values,
                "dob": dob,
                "birth_year": dob.dt.year(),
                "street": normalise.normalise_street(col("street")).values,
                "zip5": normalise.normalise_zip(col("zip")).values,
                "phone": normalise.normalise_phone(col("phone")).values,
                "ssn": normalise.normalise_ssn(col("ssn")).values,
                "sex": normalise.normalise_sex(col("sex"), sex_values).values,
            }
        )
        xwalk = pl.read_csv(workdir / "keys" / f"{pid}.crosswalk.csv", infer_schema=False)
        frames.append(
            frame.join(xwalk, on="record_id").drop("record_id").with_columns(partner_id=pl.lit(pid))
        )
    return pl.concat(frames, how="diagonal_relaxed")
