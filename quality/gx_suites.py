"""Great Expectations: one file-mode project in ``<home>/quality/gx/``, suites built from rules.

Route (documented in docs/ingest.md): GX's SQL datasource does not work with DuckDB here
(duckdb-engine fetches rows after the connection has closed), and GX does not take polars frames.
So each file of a submission is loaded into a DuckDB temp table, handed to GX as one pandas
batch (DuckDB -> Arrow -> Arrow-backed pandas), and validated against the suites below.

The project is built once per hub home and reused: it is stored with a fingerprint of the rules
it was built from (:func:`suites_fingerprint`) and rebuilt only when that changes, under an
exclusive file lock.

Results never carry a value: spec suites run with ``result_format`` BOOLEAN_ONLY, drift suites
with BASIC and ``partial_unexpected_count`` 0, so validation results, the stored JSON and the
Data Docs hold pass/fail, counts and percentages only. Great Expectations is imported lazily
(5-7 s), only here.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from contract.manifest import FileName
from quality.rules import (
    DRIFT_COLUMNS,
    EVENTS,
    PERSONS,
    RULES,
    TODAY,
    Rule,
)

DATASOURCE: Final = "submissions"
# Drift suites: counts and observed proportions only; no unexpected value may reach results,
# stores, logs or Data Docs.
DRIFT_RESULT_FORMAT: Final[dict[str, Any]] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
}
# Spec suites: pass/fail per expectation only (the DuckDB locators count and find the rows).
SPEC_RESULT_FORMAT: Final[dict[str, Any]] = {"result_format": "BOOLEAN_ONLY"}
SUITES: Final[dict[FileName, tuple[str, str]]] = {
    PERSONS: ("persons_spec_1_0", "persons_drift"),
    EVENTS: ("events_spec_1_0", "events_drift"),
}
ASSETS: Final[dict[FileName, str]] = {PERSONS: "persons", EVENTS: "events"}
# Bump when the way the project is built changes (datasource, docs site, definitions).
# 3: no GX Data Docs site (the hub renders its own offline pages: quality.data_docs).
PROJECT_LAYOUT: Final = 3
FINGERPRINT_FILE: Final = "carehub_project.json"
LOCK_FILE: Final = ".carehub_project.lock"
# Optional GX extras that pandas validation does not use (see import_gx).
GX_OPTIONAL_EXTRAS: Final = ("pyspark", "sqlalchemy")

_lock = threading.Lock()
_cache: dict[Path, GxProject] = {}


@dataclass
class GxProject:
    """An open GX file context with its validation definitions (spec, drift) per package file.

    Validation definitions are run directly: each run stores its result in the project's
    validation results store (the Data Docs source). A checkpoint cannot validate the persons
    and events files in one run (it hands one dataframe to all its definitions), and it would
    add its own freshness check that re-reads the stored configuration on every run.

    Attributes:
        context: The GX file data context.
        definitions: ``[spec, drift]`` validation definitions per package file.
        docs_dir: Where the Data Docs are written (by :mod:`quality.data_docs`).
        fingerprint: :func:`suites_fingerprint` of the rules the project was built from.
        rebuilt: Whether this open (re)built the stored project.
    """

    context: Any
    definitions: dict[FileName, list[Any]]
    docs_dir: Path
    fingerprint: str = ""
    rebuilt: bool = False

    @property
    def root(self) -> Path:
        """The ``quality`` folder the project was opened from."""
        return self.docs_dir.parent


def pair_column(rule: Rule) -> str:
    """Name of the derived ``a:b`` column a pair rule is validated on."""
    return f"{rule.column}__{rule.column_b}"


def suite_columns(file: FileName) -> tuple[list[str], list[str]]:
    """The frame columns the spec suite and the drift suite of ``file`` read, in rule order.

    Each suite is handed only its own columns: GX copies the whole batch frame for every
    column-map expectation (filtering nulls), so a narrower frame is a cheaper validation.
    """
    spec: dict[str, None] = {}
    for rule in RULES[file]:
        if rule.kind == "pair_in_set":
            spec[pair_column(rule)] = None
            continue
        spec[rule.column] = None
        if rule.column_b:
            spec[rule.column_b] = None
    return list(spec), list(DRIFT_COLUMNS[file])


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
    # great_expectations takes seconds to import: only a validation pays it (see import_gx).
    from quality import gx_expectations as gxe

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
    # great_expectations takes seconds to import: only a validation pays it (see import_gx).
    from quality import gx_expectations as gxe

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
    gx = import_gx()
    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def _remove_docs_sites(context: Any) -> None:
    """No GX Data Docs site: its pages load CSS/JS from CDNs and carry a logo URL with the
    project's ``dataContextId``. The hub renders its own offline pages (quality.data_docs)."""
    for name in context.get_site_names():
        context.delete_data_docs_site(name)


def suites_fingerprint() -> str:
    """sha256 of everything the stored GX project is built from.

    The rules and drift columns of ``quality.rules``, the suite and asset names, the GX version
    and :data:`PROJECT_LAYOUT`. A project stored under another fingerprint is rebuilt.
    """
    payload = {
        "layout": PROJECT_LAYOUT,
        "gx": _gx_version(),
        "suites": {file: list(names) for file, names in SUITES.items()},
        "assets": ASSETS,
        "rules": {file: [asdict(rule) for rule in rules] for file, rules in RULES.items()},
        "drift": {file: list(columns) for file, columns in DRIFT_COLUMNS.items()},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _gx_version() -> str:
    try:
        return importlib.metadata.version("great-expectations")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def import_gx() -> ModuleType:
    """Import Great Expectations for pandas validation, without its optional SQL and Spark extras.

    pyspark and sqlalchemy are optional extras of GX, but GX imports them at import time when
    they are installed (they are, for the Spark linkage backend and Dagster's storage): about
    two seconds of CPU that pandas validation never uses. Those of them this process has not
    imported yet are hidden from GX's import only, so GX runs as if installed without those
    extras; afterwards they import normally for everyone else.
    """
    loaded = sys.modules.get("great_expectations")
    if loaded is not None:
        return loaded
    hidden = [name for name in GX_OPTIONAL_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import great_expectations as gx
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return gx


@contextlib.contextmanager
def _project_lock(root: Path) -> Iterator[None]:
    """Serialise building and opening the project across processes (an exclusive flock)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stored_fingerprint(root: Path) -> str | None:
    try:
        data = json.loads((root / FINGERPRINT_FILE).read_text())
    except (OSError, ValueError):
        return None
    value = data.get("fingerprint") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _store_fingerprint(root: Path, fingerprint: str) -> None:
    tmp = root / f"{FINGERPRINT_FILE}.tmp"
    tmp.write_text(json.dumps({"fingerprint": fingerprint, "layout": PROJECT_LAYOUT}) + "\n")
    tmp.replace(root / FINGERPRINT_FILE)


def _build(context: Any) -> dict[FileName, list[Any]]:
    """(Re)write suites, the pandas datasource and validation definitions from the rules."""
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig  # late: import_gx

    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    _remove_docs_sites(context)
    source = context.data_sources.add_or_update_pandas(DATASOURCE)
    definitions: dict[FileName, list[Any]] = {}
    for file, (spec_name, drift_name) in SUITES.items():
        asset_name = ASSETS[file]
        with contextlib.suppress(Exception):  # absent on first use
            source.delete_asset(asset_name)
        batch = source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe("whole")
        spec_suite = context.suites.add_or_update(
            _suite(spec_name, [expectation_for(r) for r in RULES[file]])
        )
        drift_suite = context.suites.add_or_update(_suite(drift_name, _drift_expectations(file)))
        definitions[file] = [
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )
            for name, suite in ((spec_name, spec_suite), (drift_name, drift_suite))
        ]
    return definitions


def _load(context: Any) -> dict[FileName, list[Any]]:
    """The stored validation definitions (spec, drift) per file; raises if one is missing."""
    return {
        file: [context.validation_definitions.get(name) for name in names]
        for file, names in SUITES.items()
    }


def open_project(quality_dir: Path) -> GxProject:
    """Open the GX project under ``quality_dir``, building it only when its rules changed.

    The project is built once per hub home and stored with :func:`suites_fingerprint`; later
    processes open the stored suites and validation definitions as they are (no rewrite). A
    changed rule, suite or GX version changes the fingerprint and rebuilds the project. Building
    and opening hold an exclusive file lock, so two processes never write the project at once.
    Within a process the open project is cached (see :func:`forget_project`).
    """
    root = quality_dir.resolve()
    fingerprint = suites_fingerprint()
    with _lock:
        cached = _cache.get(root)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        gx = import_gx()
        from great_expectations.execution_engine import pandas_execution_engine  # late: import_gx

        # GX stores an MD5 fingerprint of every small batch's values in the results; we do not
        # want a digest of submission values kept, and hashing costs seconds per million rows.
        pandas_execution_engine.HASH_THRESHOLD = 0
        docs_dir = root / "data_docs"
        with _project_lock(root):
            context = gx.get_context(mode="file", project_root_dir=str(root))
            definitions = None
            if _stored_fingerprint(root) == fingerprint:
                try:
                    definitions = _load(context)
                except Exception:  # any damage to the stored project: rebuild it
                    definitions = None
            rebuilt = definitions is None
            if definitions is None:
                definitions = _build(context)
                _store_fingerprint(root, fingerprint)
        project = GxProject(
            context=context,
            definitions=definitions,
            docs_dir=docs_dir,
            fingerprint=fingerprint,
            rebuilt=rebuilt,
        )
        _cache[root] = project
        return project


def forget_project(quality_dir: Path) -> None:
    """Drop this process's cached project (after another process rebuilt the stored one)."""
    with _lock:
        _cache.pop(quality_dir.resolve(), None)
