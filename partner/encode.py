"""Encode a partner's raw export into a submission package (``carehub partner encode``).

Order of work: read and validate everything (mapping, secrets, input), encode, and only then
write. Input that is rejected leaves nothing behind: no package folder, no crosswalk lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from contract.findings import MAX_ROWS_LISTED
from contract.spec import EVENT_COLUMNS
from encoding.cmac import cmac_hex
from encoding.encoder import DEFAULT_SETTINGS, EncodingSettings, encode_persons, token_bits
from encoding.keys import EncodingKeys, SecretError
from encoding.plaintext import MIN_FREE_TEXT_ROWS, rows_with_own_names
from kernel import clock
from partner.ecosystem import EcosystemError, ecosystem_path, read_ecosystem
from partner.keyfiles import read_secret
from partner.keygen import pseudonym_key_path, read_signing_key, signing_key_paths
from partner.mapping import MappingError, load_mapping
from partner.package import PackageError, write_package
from partner.reader import InputError, read_input

Progress = Callable[[str], None]


class EncodeError(ValueError):
    """Encoding was refused; nothing was written. The message names file, column, row, fix."""


@dataclass(frozen=True)
class EncodeResult:
    """One written submission package."""

    package: Path
    submission_id: str
    partner_id: str
    persons_rows: int
    events_rows: int
    key_fingerprint: str
    crosswalk: Path
    report: dict[str, Any]


def default_crosswalk(secret_path: Path, partner_id: str) -> Path:
    """The crosswalk file kept next to the partner's keys (never in a package)."""
    return secret_path.parent / f"{partner_id}.crosswalk.csv"


def _events_table(
    events: pl.DataFrame, crosswalk: pl.DataFrame, keys: EncodingKeys
) -> pl.DataFrame:
    assert keys.event_id is not None
    joined = events.join(crosswalk, on="record_id", how="inner", maintain_order="left")
    event_id = cmac_hex(keys.event_id, joined["source_event_id"].cast(pl.String))
    return joined.with_columns(event_id=event_id).select(EVENT_COLUMNS)


def _date_report(persons: pl.DataFrame, fmt: str | None) -> dict[str, Any]:
    """Dates that did not parse, by format, with their data rows (row numbers, never values)."""
    bad = persons["dob_unparseable"]
    rows = (bad.arg_true() + 1).to_list()
    return {
        "dob": {
            "format": fmt,
            "unparseable": len(rows),
            "rows": rows[:MAX_ROWS_LISTED],
        }
    }


def _guard_program(
    events: pl.DataFrame, persons: pl.DataFrame, mapping: str
) -> tuple[pl.DataFrame, int]:
    """Keep free text that can carry identifiers out of ``program``, the one text column.

    A value holding the first and last name of a person of the export refuses the whole
    encode (a note was mapped by mistake); a value used by fewer than
    ``MIN_FREE_TEXT_ROWS`` events is left out and counted (a program or unit name repeats,
    a note does not), so the hub's detector never meets it.
    """
    rows = rows_with_own_names(
        events["program"].to_list(),
        zip(persons["first_name"].to_list(), persons["last_name"].to_list(), strict=True),
    )
    if rows:
        shown = ", ".join(map(str, rows[:MAX_ROWS_LISTED]))
        raise EncodeError(
            f"{mapping}: events column program: {len(rows)} value(s) hold the first and last "
            f"name of a person in this export (outgoing event rows {shown}"
            f"{' ...' if len(rows) > MAX_ROWS_LISTED else ''}). program takes a program or "
            "unit name only; map it to such a column (e.g. a department), or remove it from "
            "the mapping. Nothing was written"
        )
    uses = pl.col("program").count().over("program")
    rare = events.filter(pl.col("program").is_not_null() & (uses < MIN_FREE_TEXT_ROWS)).height
    if rare:
        events = events.with_columns(
            program=pl.when(uses < MIN_FREE_TEXT_ROWS).then(None).otherwise(pl.col("program"))
        )
    return events, rare


def _merge_crosswalk(path: Path, new: pl.DataFrame) -> None:
    """Upsert pseudonym -> record id pairs into the partner's crosswalk CSV (mode 0600)."""
    frame = new.select("record_pseudonym", "record_id")
    if path.exists():
        old = pl.read_csv(path, infer_schema=False)
        frame = pl.concat([old.select("record_pseudonym", "record_id"), frame]).unique(
            "record_pseudonym", keep="last", maintain_order=True
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        frame.write_csv(fh)
    os.replace(tmp, path)


def encode_partner(
    partner_id: str,
    secret_path: str | Path,
    mapping_path: str | Path,
    input_path: str | Path,
    out_dir: str | Path,
    *,
    as_of: date | None = None,
    supersedes: str | None = None,
    partner_key_path: str | Path | None = None,
    crosswalk_path: str | Path | None = None,
    signing_key_path: str | Path | None = None,
    ecosystem_file: str | Path | None = None,
    settings: EncodingSettings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    kind: str = "full",
) -> EncodeResult:
    """Encode one partner's export and write its submission package.

    Args:
        partner_id: Must equal the mapping's ``partner_id``.
        secret_path: The shared secret (0600).
        mapping_path: The partner's YAML mapping.
        input_path: Folder of the files the mapping names, or one CSV/Parquet persons file.
        out_dir: Parent folder of the package (e.g. the hub's ``landing/<partner_id>/``).
        as_of: Reference date (Safe Harbor top-coding, future-date checks); today (UTC) if None.
        supersedes: The submission id this package replaces as a whole.
        partner_key_path: Partner-only pseudonym key; default ``<partner_id>.pseudonym.key``
            next to the secret.
        crosswalk_path: Where the crosswalk is kept; default next to the secret.
        signing_key_path: The partner's Ed25519 package-signing key; default
            ``<partner_id>.ed25519.key`` next to the pseudonym key (keygen writes both
            there). The manifest is signed with it.
        ecosystem_file: The ecosystem size the steward announced with the shared secret
            (``partner.ecosystem``); default ``<secret>.ecosystem.json`` next to the secret.
            It sets ``settings.ecosystem_persons`` (the phone token's width), and the manifest
            records the widths (``token_bits``) for the hub to check.
        settings: Spec internals (all partners must agree; leave the default).
        progress: Called with a short message at each step.
        kind: ``full`` (an export) or ``events`` (a small package of new events for real-time
            alerts; docs/alerts.md).

    Raises:
        EncodeError: on any refused input; nothing is written.
    """
    say = progress or (lambda _msg: None)
    secret_file = Path(secret_path)
    try:
        mapping = load_mapping(mapping_path)
        if mapping.partner_id != partner_id:
            raise EncodeError(
                f"mapping file {mapping_path} is for partner {mapping.partner_id!r}, not "
                f"{partner_id!r}; pass that partner's mapping"
            )
        shared = read_secret(secret_file, "shared secret")
        announced = read_ecosystem(
            Path(ecosystem_file) if ecosystem_file else ecosystem_path(secret_file)
        )
        settings = replace(settings, ecosystem_persons=announced.persons)
        pkey_file = (
            Path(partner_key_path)
            if partner_key_path
            else pseudonym_key_path(secret_file.parent, partner_id)
        )
        partner_key = read_secret(pkey_file, "partner pseudonym key")
        signer = read_signing_key(
            Path(signing_key_path)
            if signing_key_path
            else signing_key_paths(pkey_file.parent, partner_id)[0]
        )
        keys = EncodingKeys.derive(shared, partner_key)
        when = as_of or clock.today()
        say("reading input")
        raw = read_input(mapping, Path(input_path), str(mapping_path), when)
        say(f"encoding {raw.persons.height} records")
        encoded = encode_persons(
            raw.persons,
            keys,
            partner_id=partner_id,
            as_of=when,
            dob_format=None,
            sex_values=mapping.persons.sex.values if mapping.persons.sex else None,
            settings=settings,
        )
    except (MappingError, InputError, SecretError, EcosystemError, ValueError) as exc:
        if isinstance(exc, EncodeError):
            raise
        raise EncodeError(str(exc)) from None

    say(f"encoding {raw.events.height} events")
    events = _events_table(raw.events, encoded.crosswalk, keys)
    events, rare = _guard_program(events, raw.persons, str(mapping_path))
    event_report = dict(raw.event_report)
    consent = event_report.pop("consent", {})
    report = encoded.report | {
        "dates": _date_report(raw.persons, mapping.persons.dob.format),
        "consent": consent,
        "events": {"rows": events.height, "program_rare_left_out": rare, **event_report},
    }
    say("writing package")
    try:
        package = write_package(
            out_dir,
            partner_id=partner_id,
            persons=encoded.persons,
            events=events,
            key_fingerprint=keys.fingerprint,
            report=report,
            supersedes=supersedes,
            signing_key=signer,
            kind=kind,
            token_bits=token_bits(settings),
        )
    except PackageError as exc:
        raise EncodeError(f"{exc}. Nothing was written") from None
    xwalk = Path(crosswalk_path) if crosswalk_path else default_crosswalk(secret_file, partner_id)
    _merge_crosswalk(xwalk, encoded.crosswalk)
    return EncodeResult(
        package=package,
        submission_id=package.name,
        partner_id=partner_id,
        persons_rows=encoded.persons.height,
        events_rows=events.height,
        key_fingerprint=keys.fingerprint,
        crosswalk=xwalk,
        report=report,
    )
