"""Reading a region's ground truth back (for tests and linkage benchmarks, never the hub)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from synth.generate import ERRORS_FILE, RESIDENTS_FILE, TRUTH_FILE


def _require(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: is this a folder written by `carehub synth`?")
    return path


def load_truth(region_dir: Path) -> pl.DataFrame:
    """``truth.csv``: partner_id, source_file, source_record_id, resident_id (all strings)."""
    return pl.read_csv(_require(Path(region_dir) / TRUTH_FILE), infer_schema=False)


def load_residents(region_dir: Path) -> pl.DataFrame:
    """``residents.parquet``: true demographics and needs profile of every resident."""
    return pl.read_parquet(_require(Path(region_dir) / RESIDENTS_FILE))


def load_record_errors(region_dir: Path) -> pl.DataFrame:
    """``record_errors.parquet``: the identifier errors applied to each partner record."""
    return pl.read_parquet(_require(Path(region_dir) / ERRORS_FILE))
