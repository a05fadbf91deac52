"""Run the GX validation definitions of one package file over a pandas batch; value-free outcomes.

Each file has two validation definitions: the spec suite and the drift suite. The spec suite
runs with ``result_format`` ``BOOLEAN_ONLY``: GX then decides pass or fail per expectation from
its unexpected count, without a second pass that gathers the unexpected values (which copies the
whole batch once per expectation). Where a spec expectation fails, the DuckDB locators of
``quality.locate`` count the failing rows and name them. The drift suite runs with ``BASIC``
(counts and observed proportions only: nothing else is kept), as its observed values are the
partner's drift profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from contract.manifest import FileName
from kernel import clock
from quality.gx_suites import (
    DRIFT_RESULT_FORMAT,
    SPEC_RESULT_FORMAT,
    GxProject,
    epoch_days,
    forget_project,
    open_project,
    suite_columns,
)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result, reduced to what may be shown: ids, flags and counts.

    Attributes:
        rule_id: ``file:column:kind`` (see :class:`quality.rules.Rule`).
        check: The asset check it reports to.
        expectation: GX expectation type.
        success: Whether it passed.
        unexpected_count: Failing values, where GX counts them.
        element_count: Values looked at.
        observed: The observed aggregate (row count or non-null proportion), for drift.
        error: Set when GX raised while evaluating (its text is not kept: it can quote data).
    """

    rule_id: str
    check: str
    expectation: str
    success: bool
    unexpected_count: int | None = None
    element_count: int | None = None
    observed: float | None = None
    error: str | None = None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def validate_frame(
    project: GxProject,
    file: FileName,
    frame: Any,
    *,
    run_name: str,
    as_of: date,
    parameters: dict[str, Any],
) -> list[ExpectationOutcome]:
    """Validate ``frame`` (pandas) with the spec and drift suites of ``file``.

    Args:
        project: From :func:`quality.gx_suites.open_project`.
        file: Which package file the frame holds.
        frame: The rows, as pandas: every column of :func:`quality.gx_suites.suite_columns`
            (dates as days since 1970, see :mod:`quality.validate`).
        run_name: The GX run name: the submission id (shown in Data Docs).
        as_of: Latest allowed date (the submission's creation date).
        parameters: Drift bounds, see :func:`quality.drift.drift_parameters`.
    """
    # great_expectations takes seconds to import: only a validation pays it (see import_gx).
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.exceptions.resource_freshness import ResourceFreshnessAggregateError

    bound = {"today_days": epoch_days(as_of), "this_year": as_of.year, **parameters}
    run_id = RunIdentifier(run_name=run_name, run_time=clock.now())
    outcomes: list[ExpectationOutcome] = []
    spec_columns, drift_columns = suite_columns(file)
    runs = ((SPEC_RESULT_FORMAT, spec_columns), (DRIFT_RESULT_FORMAT, drift_columns))
    for index, (result_format, columns) in enumerate(runs):
        run_args = {
            "batch_parameters": {"dataframe": frame[columns]},
            "expectation_parameters": bound,
            "result_format": result_format,
            "run_id": run_id,
        }
        try:
            suite_result = project.definitions[file][index].run(**run_args)
        except ResourceFreshnessAggregateError:
            # Another process rebuilt the stored project since this one opened it (a newer
            # rule set): reopen it (rebuilding it to this code's rules) and run once more.
            forget_project(project.root)
            project = open_project(project.root)
            suite_result = project.definitions[file][index].run(**run_args)
        outcomes.extend(_outcome(item) for item in suite_result.results)
    return outcomes


def _outcome(item: Any) -> ExpectationOutcome:
    config = item.expectation_config
    meta = config.meta or {}
    details = item.result or {}
    raised = bool((item.exception_info or {}).get("raised_exception"))
    return ExpectationOutcome(
        rule_id=str(meta.get("rule", config.type)),
        check=str(meta.get("check", "")),
        expectation=str(config.type),
        success=bool(item.success),
        unexpected_count=details.get("unexpected_count"),
        element_count=details.get("element_count"),
        observed=_number(details.get("observed_value")),
        # Never GX's exception text: it can quote data.
        error="the expectation could not be evaluated" if raised else None,
    )
