"""Great Expectations: one file-mode project in ``<home>/quality/gx/``, suites built from rules.

Route (documented in docs/ingest.md): GX's SQL datasource does not work with DuckDB here
(duckdb-engine fetches rows after the connection has closed), and GX does not take polars frames.
So each file of a submission is loaded into a DuckDB temp table, handed to GX as one pandas
batch (DuckDB -> Arrow -> pandas), and validated against the suites below.

Results never carry a value: every checkpoint uses ``result_format`` BASIC with
``partial_unexpected_count`` 0, so validation results, the stored JSON and the Data Docs hold
counts and percentages only. Great Expectations is imported lazily (5-7 s), only here.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from quality.rules import (
    DRIFT_COLUMNS,
    EVENTS,
    PERSONS,
    RULES,
    TODAY,
    FileName,
    Rule,
)

SITE_NAME: Final = "carehub"
DATASOURCE: Final = "submissions"
# Counts only: no unexpected value may reach results, stores, logs or Data Docs.
RESULT_FORMAT: Final[dict[str, Any]] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
}
SUITES: Final[dict[FileName, tuple[str, str]]] = {
    PERSONS: ("persons_spec_1_0", "persons_drift"),
    EVENTS: ("events_spec_1_0", "events_drift"),
}
ASSETS: Final[dict[FileName, str]] = {PERSONS: "persons", EVENTS: "events"}

_lock = threading.Lock()
_cache: dict[Path, GxProject] = {}


@dataclass
class GxProject:
    """An open GX file context with its validation definitions (spec, drift) per package file.

    Validation definitions are run directly: each run stores its result in the project's
    validation results store (the Data Docs source). A checkpoint would add a freshness check
    that re-reads the stored configuration on every run (seconds per submission).
    """

    context: Any
    definitions: dict[FileName, list[Any]]
    docs_dir: Path


def pair_column(rule: Rule) -> str:
    """Name of the derived ``a:b`` column a pair rule is validated on."""
    return f"{rule.column}__{rule.column_b}"


def param_name(kind: str, column: str) -> str:
    """Name of a suite parameter bound at run time (drift bounds)."""
    return f"{kind}__{column}"


EPOCH: Final = date(1970, 1, 1)


def epoch_days(day: date) -> int:
    """Days since 1970-01-01: how dates are handed to GX (see quality.validate)."""
    return (day - EPOCH).days


def _bound(value: int | str | None, *, year: bool) -> Any:
    if value == TODAY:
        return {"$PARAMETER": "this_year" if year else "today_days"}
    if isinstance(value, str):
        return epoch_days(date.fromisoformat(value))
    return value


def expectation_for(rule: Rule) -> Any:
    """The GX expectation of one rule, tagged with the rule id in ``meta``."""
    import great_expectations.expectations as gxe

    meta = {"rule": rule.rule_id, "check": rule.check}
    col = rule.column
    if rule.kind == "match_regex":
        assert rule.regex
        return gxe.ExpectColumnValuesToMatchRegex(
            column=col, regex=f"^(?:{rule.regex})$", meta=meta
        )
    if rule.kind == "not_match_regex":
        assert rule.regex
        return gxe.ExpectColumnValuesToNotMatchRegex(column=col, regex=rule.regex, meta=meta)
    if rule.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(rule.values), meta=meta)
    if rule.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=col, meta=meta)
    if rule.kind == "unique":
        return gxe.ExpectColumnValuesToBeUnique(column=col, meta=meta)
    if rule.kind == "max_length":
        return gxe.ExpectColumnValueLengthsToBeBetween(
            column=col, min_value=0, max_value=int(rule.max_value or 0), meta=meta
        )
    if rule.kind == "between":
        year = isinstance(rule.min_value, int)
        return gxe.ExpectColumnValuesToBeBetween(
            column=col,
            min_value=_bound(rule.min_value, year=year),
            max_value=_bound(rule.max_value, year=year),
            meta=meta,
        )
    if rule.kind == "pair_in_set":
        # GX's pair expectation iterates rows in Python (minutes per million); the frame
        # carries the pair as one derived column instead (see quality.validate).
        return gxe.ExpectColumnValuesToBeInSet(
            column=pair_column(rule),
            value_set=[f"{a}:{b}" for a, b in rule.pairs],
            meta=meta,
        )
    if rule.kind == "a_not_before_b":
        assert rule.column_b
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=col,
            column_B=rule.column_b,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=meta,
        )
    raise ValueError(f"unknown rule kind {rule.kind}")


def _drift_expectations(file: FileName) -> list[Any]:
    import great_expectations.expectations as gxe

    out: list[Any] = [
        gxe.ExpectTableRowCountToBeBetween(
            min_value={"$PARAMETER": "rows_min"},
            max_value={"$PARAMETER": "rows_max"},
            meta={"rule": f"{file}::volume", "check": "drift"},
        )
    ]
    for column in DRIFT_COLUMNS[file]:
        out.append(
            gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
                column=column,
                min_value={"$PARAMETER": param_name("nonnull_min", column)},
                max_value={"$PARAMETER": param_name("nonnull_max", column)},
                meta={"rule": f"{file}:{column}:null_rate", "check": "drift"},
            )
        )
    return out


def _suite(name: str, expectations: list[Any]) -> Any:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def _configure_docs(context: Any, docs_dir: Path) -> None:
    site = {
        "class_name": "SiteBuilder",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "show_how_to_buttons": False,
    }
    names = context.get_site_names()
    for name in names:
        if name != SITE_NAME:
            context.delete_data_docs_site(name)
    if SITE_NAME in names:
        context.update_data_docs_site(SITE_NAME, site)
    else:
        context.add_data_docs_site(SITE_NAME, site)


def open_project(quality_dir: Path) -> GxProject:
    """Open (creating on first use) the GX project under ``quality_dir``; cached per process.

    Suites, the pandas datasource, validation definitions and checkpoints are (re)written on
    the first open in a process, so the stored project always matches the code's rules.
    """
    root = quality_dir.resolve()
    with _lock:
        cached = _cache.get(root)
        if cached is not None:
            return cached
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # GX stores an MD5 fingerprint of every small batch's values in the results; we do not
        # want a digest of submission values kept, and hashing costs seconds per million rows.
        pandas_execution_engine.HASH_THRESHOLD = 0

        root.mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(root))
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
        docs_dir = root / "data_docs"
        _configure_docs(context, docs_dir)
        source = context.data_sources.add_or_update_pandas(DATASOURCE)
        definitions: dict[FileName, list[Any]] = {}
        for file, (spec_name, drift_name) in SUITES.items():
            asset_name = ASSETS[file]
            with contextlib.suppress(Exception):  # absent on first use
                source.delete_asset(asset_name)
            batch = source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe(
                "whole"
            )
            spec_suite = context.suites.add_or_update(
                _suite(spec_name, [expectation_for(r) for r in RULES[file]])
            )
            drift_suite = context.suites.add_or_update(
                _suite(drift_name, _drift_expectations(file))
            )
            definitions[file] = [
                context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=name, data=batch, suite=suite)
                )
                for name, suite in ((spec_name, spec_suite), (drift_name, drift_suite))
            ]
        project = GxProject(context=context, definitions=definitions, docs_dir=docs_dir)
        _cache[root] = project
        return project


def build_data_docs(quality_dir: Path) -> Path:
    """Rebuild the whole Data Docs site from the stored results; return its ``index.html``.

    Checkpoints only store results (rendering HTML costs seconds per run); the
    ``gx_data_docs`` asset calls this after ingest runs.
    """
    project = open_project(quality_dir)
    project.context.build_data_docs(site_names=[SITE_NAME])
    return project.docs_dir / "index.html"
