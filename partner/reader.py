"""Read a partner's raw CSV/Parquet files through its mapping into canonical frames.

Every column is read as text (ZIP and record ids keep their leading zeros). Errors name the file,
the column and, where it helps, the data row (1 = first row after the header), never a value.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from contract.spec import EVENT_COLUMNS, PROGRAM_MAX_CHARS
from contract.vocabulary import EVENT_TYPES, PART2_SERVICES
from encoding.normalise import parse_dates
from partner.mapping import CsvDialect, EventsMapping, Mapping, Source

# Share of non-empty dates that must parse before we call the format wrong, not the data.
DATE_FORMAT_MIN_PARSED = 0.5
# The event fields a mapping names: the submission's event columns, with the raw record id in
# place of the pseudonym (made later) and without ``part2`` (derived from the category).
_MAPPED_EVENT_FIELDS = (
    "record_id",
    *(c for c in EVENT_COLUMNS if c not in ("record_pseudonym", "part2")),
)


class InputError(ValueError):
    """The raw input cannot be read as the mapping says; names file, column, row and fix."""


@dataclass
class RawInput:
    """Canonical person fields, canonical events and counts for the encoding report."""

    persons: pl.DataFrame
    events: pl.DataFrame
    event_report: dict[str, Any] = field(default_factory=dict)


def read_table(path: Path, dialect: CsvDialect | None = None) -> pl.DataFrame:
    """Read one CSV or Parquet file with every column as text, in the mapping's CSV dialect."""
    if not path.is_file():
        raise InputError(
            f"input file {path} does not exist; check --input and the mapping's file names"
        )
    dialect = dialect or CsvDialect()
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pl.read_parquet(path)
            return frame.with_columns(
                pl.col(c).cast(pl.String)
                for c, t in frame.schema.items()
                if t not in (pl.Date, pl.Datetime)
            )
        if suffix in (".csv", ".txt", ".tsv"):
            separator = "\t" if suffix == ".tsv" and dialect.delimiter == "," else dialect.delimiter
            frame = pl.read_csv(
                _as_utf8(path, dialect.encoding),
                infer_schema=False,
                separator=separator,
                encoding="utf8",
            )
            # Spreadsheet exports often start with a byte-order mark glued to the first header.
            frame = frame.rename({c: c.lstrip("\ufeff") for c in frame.columns})
            _check_header(frame, path.name, separator)
            return frame
    except pl.exceptions.ComputeError as exc:
        if suffix != ".parquet" and suffix != ".pq":
            where = _csv_problem(path, dialect.encoding, separator)
            if where:
                raise InputError(f"input file {path.name}: {where}") from None
        kind = "not valid UTF-8" if "utf-8" in str(exc).lower() else "not a readable table"
        raise InputError(
            f"input file {path.name} is {kind}; export it again as UTF-8 CSV or Parquet"
        ) from None
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(
            f"input file {path.name} cannot be read ({type(exc).__name__}); export it again as "
            "UTF-8 CSV or Parquet"
        ) from None
    raise InputError(f"input file {path.name}: unsupported type {suffix!r}; use .csv or .parquet")


def _as_utf8(path: Path, encoding: str) -> io.BytesIO:
    """The file's bytes as UTF-8, decoded with the mapping's encoding; the error names the line.

    A UTF-8 file is handed to polars as read (no re-encoding). Any other encoding is decoded here
    strictly: a byte that is not text in that encoding is an export error to fix, not a
    character to guess.
    """
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        fix = (
            "add `csv: {encoding: cp1252}` (or the export's encoding) to the mapping, or export "
            "it again as UTF-8"
            if encoding == "utf-8"
            else "set `csv: encoding:` in the mapping to the encoding the export was written in"
        )
        raise InputError(
            f"input file {path.name} is not valid {encoding} text at line {line} "
            f"(byte {exc.start}); {fix}"
        ) from None
    # The bytes already read go to polars: the file is read from disk once.
    return io.BytesIO(data if encoding == "utf-8" else text.encode("utf-8"))


def _check_header(frame: pl.DataFrame, file: str, separator: str) -> None:
    """A header that repeats a name, or one that holds another usual delimiter (one column)."""
    # polars renames a repeated header name to NAME_duplicated_N; which column the mapping
    # meant is then a guess, so the export must name its columns once each.
    repeated = [c.rsplit("_duplicated_", 1)[0] for c in frame.columns if "_duplicated_" in c]
    if repeated:
        raise InputError(
            f"input file {file}: the header names column {repeated[0]!r} more than once; "
            "give each column its own name in the export"
        )
    if frame.width != 1:
        return
    header = frame.columns[0]
    for other in (";", "\t", "|", ","):
        if other != separator and header.count(other) >= 2:
            shown = "\\t" if other == "\t" else other
            raise InputError(
                f"input file {file} reads as one column but its header holds {header.count(other)} "
                f"{shown!r}: the file is {shown!r}-separated; add `csv: {{delimiter: {shown!r}}}` "
                "to the mapping"
            )


def _csv_problem(path: Path, encoding: str, separator: str) -> str | None:
    """Where a CSV file that polars refused breaks: the first row with too many fields, or a
    quote never closed. Run only after a refusal, so a good file is read once (speed)."""
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        return None
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        width = len(next(rows))
        for number, row in enumerate(rows, start=1):
            if len(row) > width:
                return (
                    f"data row {number} (line {rows.line_num}) has {len(row)} fields, the "
                    f"header {width}; quote values that hold {separator!r} or remove the extra "
                    "fields, then export again"
                )
    except csv.Error:
        return (
            f"a quoted value is not closed by line {rows.line_num}; close the quote (or double "
            "a quote inside a value) and export again"
        )
    except StopIteration:
        return None
    return None


def _check_columns(
    frame: pl.DataFrame, wanted: dict[str, Source | None], file: str, mapping: str
) -> None:
    for key, src in wanted.items():
        for col in src.columns if src else []:
            if col not in frame.columns:
                close = difflib.get_close_matches(col, frame.columns, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise InputError(
                    f"input file {file} has no column {col!r} named by {mapping} key {key}{hint}; "
                    f"the file has {len(frame.columns)} columns: {', '.join(frame.columns[:20])}"
                )


def _column(frame: pl.DataFrame, src: Source | None) -> pl.Series:
    """The text of a mapped field: columns joined with a space, or a constant."""
    if src is None:
        return pl.Series([None] * frame.height, dtype=pl.String)
    if src.constant is not None:
        return pl.Series([src.constant] * frame.height)
    cols = src.columns
    if len(cols) == 1:
        return frame[cols[0]]
    return frame.select(
        pl.concat_str([pl.col(c).fill_null("") for c in cols], separator=" ")
        .str.strip_chars()
        .replace("", None)
    ).to_series()


def _mapped(series: pl.Series, src: Source | None) -> tuple[pl.Series, int]:
    """Apply a value map; returns the mapped series and how many non-empty codes were unmapped."""
    if src is None or src.values is None or src.constant is not None:
        return series, 0
    text = series.cast(pl.String).str.strip_chars()
    values = {str(k).strip(): v for k, v in src.values.items()}
    sample = next((v for v in values.values() if v is not None), None)
    dtype: Any = pl.Boolean if isinstance(sample, bool) else pl.String
    mapped = text.replace_strict(
        list(values), list(values.values()), default=None, return_dtype=dtype
    )
    unmapped = int((text.is_not_null() & (text != "") & ~text.is_in(list(values))).sum())
    return mapped, unmapped


def parse_date_column(
    series: pl.Series, fmt: str | None, file: str, column: str, mapping: str, key: str
) -> pl.Series:
    """Parse dates; reject the whole input when the format, not the odd value, is wrong."""
    if series.dtype == pl.Date:
        return series
    if series.dtype == pl.Datetime:
        return series.dt.date()
    text = series.cast(pl.String).str.strip_chars()
    if fmt and any(t in fmt for t in ("%H", "%I", "%M", "%S")):
        parsed = text.str.to_datetime(fmt, strict=False).dt.date()
    else:
        parsed = parse_dates(text, fmt)
    present = text.is_not_null() & (text != "")
    n_present = int(present.sum())
    failed = present & parsed.is_null()
    n_failed = int(failed.sum())
    if n_present and (n_present - n_failed) / n_present < DATE_FORMAT_MIN_PARSED:
        row = int(failed.arg_true()[0]) + 1
        raise InputError(
            f"input file {file} column {column!r}: {n_failed} of {n_present} dates do not match "
            f"the format {fmt!r} (first at data row {row}); fix {key}.format in {mapping}"
        )
    return parsed


def _flag(frame: pl.DataFrame, src: Source) -> tuple[pl.Series, int]:
    if src.constant is not None:
        return pl.Series([bool(src.constant)] * frame.height, dtype=pl.Boolean), 0
    series, unmapped = _mapped(_column(frame, src), src)
    if series.dtype != pl.Boolean:
        series = (
            series.cast(pl.String)
            .str.to_lowercase()
            .replace_strict(
                {
                    "true": True,
                    "false": False,
                    "1": True,
                    "0": False,
                    "y": True,
                    "n": False,
                    "yes": True,
                    "no": False,
                },
                default=None,
                return_dtype=pl.Boolean,
            )
        )
    return series, unmapped


def read_persons(
    mapping: Mapping, source: Path, mapping_name: str
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The persons file as canonical raw fields (see ``encoding.CANONICAL_FIELDS``)."""
    pm = mapping.persons
    frame = read_table(source, mapping.csv)
    file = source.name
    if frame.height == 0:
        raise InputError(
            f"input file {file} has no data rows; export the partner's records, then encode again"
        )
    fields: dict[str, Source | None] = {
        "persons.record_id": pm.record_id,
        "persons.first_name": pm.first_name,
        "persons.middle_name": pm.middle_name,
        "persons.last_name": pm.last_name,
        "persons.dob": pm.dob,
        "persons.birth_year": pm.birth_year,
        "persons.sex": pm.sex,
        "persons.address": pm.address,
        "persons.locality": pm.locality,
        "persons.zip": pm.zip,
        "persons.phone": pm.phone,
        "persons.ssn": pm.ssn,
        "persons.consented": pm.consented,
        "persons.part2_consent": pm.part2_consent,
    }
    _check_columns(frame, fields, file, mapping_name)
    dob_col = pm.dob.columns[0] if pm.dob.columns else "dob"
    dob = parse_date_column(
        _column(frame, pm.dob), pm.dob.format, file, dob_col, mapping_name, "persons.dob"
    )
    dob_text = _column(frame, pm.dob).cast(pl.String).str.strip_chars()
    # A date that is there but does not parse (02/30/2023, another format) is `unparseable`,
    # never `missing`: the encoder reports it under that reason, the package by format and rows.
    dob_unparseable = (dob_text.is_not_null() & (dob_text != "") & dob.is_null()).fill_null(False)
    consented, unmapped_consent = _flag(frame, pm.consented)
    part2, unmapped_part2 = _flag(frame, pm.part2_consent)
    sex_raw = _column(frame, pm.sex)
    out = pl.DataFrame(
        {
            "record_id": _column(frame, pm.record_id).cast(pl.String),
            "first_name": _column(frame, pm.first_name).cast(pl.String),
            "middle_name": _column(frame, pm.middle_name).cast(pl.String),
            "last_name": _column(frame, pm.last_name).cast(pl.String),
            "dob": dob,
            "dob_unparseable": dob_unparseable,
            "birth_year": _column(frame, pm.birth_year).cast(pl.String),
            "sex": sex_raw.cast(pl.String),
            "street": _column(frame, pm.address).cast(pl.String),
            "locality": _column(frame, pm.locality).cast(pl.String),
            "zip": _column(frame, pm.zip).cast(pl.String),
            "phone": _column(frame, pm.phone).cast(pl.String),
            "ssn": _column(frame, pm.ssn).cast(pl.String),
            # Unknown consent is treated as no consent: such records never leave in an extract.
            "consented": consented.fill_null(False),
            "part2_consent": part2.fill_null(False),
        }
    )
    counts = {
        "consent_unmapped": unmapped_consent,
        "part2_consent_unmapped": unmapped_part2,
        "not_consented": int((~out["consented"]).sum()),
        "part2_consented": int(out["part2_consent"].sum()),
    }
    return out, counts


def read_events(
    em: EventsMapping,
    source: Path,
    mapping_name: str,
    as_of: date,
    index: int,
    dialect: CsvDialect | None = None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """One event file as canonical events (record ids still raw; pseudonymised later)."""
    frame = read_table(source, dialect)
    file = source.name
    key = f"events[{index}]"
    fields: dict[str, Source | None] = {
        f"{key}.{name}": getattr(em, name) for name in _MAPPED_EVENT_FIELDS
    }
    _check_columns(frame, fields, file, mapping_name)
    counts: dict[str, int] = {"rows": frame.height}
    if frame.height == 0:
        return _empty_events(), counts
    etype, counts["unmapped_event_type"] = _mapped(_column(frame, em.event_type), em.event_type)
    category, counts["unmapped_category"] = _mapped(_column(frame, em.category), em.category)
    result, counts["unmapped_result"] = _mapped(_column(frame, em.result), em.result)
    date_col = em.event_date.columns[0] if em.event_date.columns else "event_date"
    event_date = parse_date_column(
        _column(frame, em.event_date),
        em.event_date.format,
        file,
        date_col,
        mapping_name,
        f"{key}.event_date",
    )
    end_date = pl.Series([None] * frame.height, dtype=pl.Date)
    if em.end_date is not None:
        end_col = em.end_date.columns[0] if em.end_date.columns else "end_date"
        end_date = parse_date_column(
            _column(frame, em.end_date),
            em.end_date.format,
            file,
            end_col,
            mapping_name,
            f"{key}.end_date",
        )
    program = (
        _column(frame, em.program).cast(pl.String).str.strip_chars().str.slice(0, PROGRAM_MAX_CHARS)
    )
    ev = pl.DataFrame(
        {
            "record_id": _column(frame, em.record_id).cast(pl.String).str.strip_chars(),
            "source_event_id": _column(frame, em.event_id).cast(pl.String),
            "event_type": etype.cast(pl.String),
            "event_date": event_date,
            "end_date": end_date,
            "category": category.cast(pl.String),
            "result": result.cast(pl.String),
            "program": program,
        }
    )
    ev = ev.with_columns(source_event_id=pl.lit(f"{file}|") + pl.col("source_event_id"))
    if em.end_date is not None and em.end_date.only_for:
        ev = ev.with_columns(
            end_date=pl.when(pl.col("event_type").is_in(em.end_date.only_for)).then(
                pl.col("end_date")
            )
        )
    # Categories must fit the event type; a category where the type has none becomes null.
    allowed = _category_fits()
    ev = ev.with_columns(fits=allowed)
    counts["category_not_allowed"] = int((~ev["fits"]).sum())
    ev = ev.with_columns(category=pl.when(pl.col("fits")).then(pl.col("category"))).drop("fits")
    ev = ev.with_columns(
        part2=pl.lit(em.part2)
        | (
            pl.col("event_type").is_in(["service", "referral"])
            & pl.col("category").is_in(list(PART2_SERVICES))
        ).fill_null(False)
    )
    checks = {
        "no_record_id": pl.col("record_id").is_null() | (pl.col("record_id") == ""),
        "no_event_id": pl.col("source_event_id").is_null(),
        "no_event_type": pl.col("event_type").is_null(),
        "no_event_date": pl.col("event_date").is_null(),
        "future_date": pl.col("event_date") > as_of,
        "before_1900": pl.col("event_date") < date(1900, 1, 1),
    }
    for name, cond in checks.items():
        bad = ev.select(cond.fill_null(False)).to_series()
        counts[f"dropped_{name}"] = int(bad.sum())
        ev = ev.filter(~bad)
    bad_end = (
        ev.select((pl.col("end_date") < pl.col("event_date")) | (pl.col("end_date") > as_of))
        .to_series()
        .fill_null(False)
    )
    counts["end_date_nulled"] = int(bad_end.sum())
    ev = ev.with_columns(end_date=pl.when(~bad_end).then(pl.col("end_date")))
    dup = ev["source_event_id"].is_duplicated() & ~ev["source_event_id"].is_first_distinct()
    counts["dropped_duplicate_event_id"] = int(dup.sum())
    ev = ev.filter(~dup)
    return ev, counts


def _category_fits() -> pl.Expr:
    conds = [pl.col("category").is_null()]
    for etype, cats in EVENT_TYPES.items():
        if cats:
            conds.append((pl.col("event_type") == etype) & pl.col("category").is_in(list(cats)))
    return pl.any_horizontal(conds).fill_null(False)


def _empty_events() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "record_id": pl.String,
            "source_event_id": pl.String,
            "event_type": pl.String,
            "event_date": pl.Date,
            "end_date": pl.Date,
            "category": pl.String,
            "result": pl.String,
            "program": pl.String,
            "part2": pl.Boolean,
        }
    )


def read_input(mapping: Mapping, input_path: Path, mapping_name: str, as_of: date) -> RawInput:
    """Read the persons file and every event file of a mapping.

    ``input_path`` is a folder holding the files the mapping names, or a single CSV/Parquet
    file used as the persons file (events are then empty).
    """
    if input_path.is_dir():
        persons_path = input_path / mapping.persons.file
        persons, person_counts = read_persons(mapping, persons_path, mapping_name)
        frames, event_counts = [], {}
        for i, em in enumerate(mapping.events):
            ev, counts = read_events(em, input_path / em.file, mapping_name, as_of, i, mapping.csv)
            frames.append(ev)
            event_counts[em.file] = counts
        events = pl.concat(frames) if frames else _empty_events()
    elif input_path.exists():
        persons, person_counts = read_persons(mapping, input_path, mapping_name)
        events, event_counts = _empty_events(), {}
    else:
        raise InputError(f"input {input_path} does not exist; pass a folder or a CSV/Parquet file")
    known = persons["record_id"].str.strip_chars()
    orphan = ~events["record_id"].is_in(known.implode())
    n_orphan = int(orphan.sum())
    events = events.filter(~orphan)
    return RawInput(
        persons=persons,
        events=events,
        event_report={
            "files": event_counts,
            "dropped_unknown_record": n_orphan,
            "consent": person_counts,
        },
    )
