"""Data Docs as the hub's own HTML: offline, self-contained, and sending nothing out.

GX's own Data Docs load their CSS and JavaScript from CDNs (blank pages on the hub, which has no
internet) and put a logo URL with the GX project's ``dataContextId`` on every page, so opening
them online would send an identifier out. These pages hold the same content, rendered here
from what the hub already stores, with one inline stylesheet, no script and no external URL:

* every GX validation result of a submission (``gx/uncommitted/validations/<suite>/
  <submission id>/<run time>/*.json``, the store GX writes to; its latest run per suite):
  suite, pass/fail, statistics, and per expectation its check, rule, type, column and counts;
* the decision of the submission: ``reason.json`` in quarantine (outcome, failed checks,
  findings with file, column, rows and fix, purged files) or its folder in the archive.

So a package stopped before Great Expectations ran (a smuggled identifier column, a broken
manifest) has a page too, with its reason. Like the stored results, the pages hold names,
counts and row numbers only: never a value (result formats ``BOOLEAN_ONLY``/``BASIC``, see
``quality.gx_suites``; expectation arguments are not rendered).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Final

from quality.findings import CHECK_INFO

DOCS_DIR: Final = "data_docs"
PAGES_DIR: Final = "submissions"
RESULTS_DIR: Final = Path("gx") / "uncommitted" / "validations"
SUITE_COLUMNS: Final = [
    "result",
    "check",
    "rule",
    "expectation",
    "column",
    "unexpected",
    "values",
    "observed",
]
STYLE: Final = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1f2933;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d9e2ec;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}.ok{color:#1b7f3b;font-weight:600}.bad{color:#b42318;font-weight:600}
.warn{color:#a15c07;font-weight:600}.muted{color:#627d98}code{font-size:13px}
"""


@dataclass
class SuiteRun:
    """The latest stored GX result of one suite for one submission (value-free)."""

    suite: str
    run_time: str
    success: bool
    statistics: dict[str, Any]
    results: list[dict[str, Any]]


@dataclass
class SubmissionDocs:
    """What a submission's page shows."""

    submission_id: str
    partner_id: str = ""
    outcome: str = "validated"
    decided_at: str = ""
    reason: dict[str, Any] | None = None
    suites: dict[str, SuiteRun] = field(default_factory=dict)


def submission_page(quality_dir: Path, submission_id: str) -> Path:
    """Where the page of ``submission_id`` is written."""
    return quality_dir / DOCS_DIR / PAGES_DIR / f"{submission_id}.html"


def _partner(submission_id: str) -> str:
    # <partner>-<yyyymmddThhmmssZ>-<8 hex>: the partner id may itself hold dashes.
    return submission_id.rsplit("-", 2)[0]


def _suite_runs(quality_dir: Path, docs: dict[str, SubmissionDocs]) -> None:
    root = quality_dir / RESULTS_DIR
    for path in sorted(root.glob("*/*/*/*.json")):
        suite, submission_id, run_time = path.parts[-4], path.parts[-3], path.parts[-2]
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        entry = docs.setdefault(
            submission_id, SubmissionDocs(submission_id, _partner(submission_id))
        )
        known = entry.suites.get(suite)
        if known is None or run_time > known.run_time:
            entry.suites[suite] = SuiteRun(
                suite=suite,
                run_time=str(stored.get("meta", {}).get("run_id", {}).get("run_time", run_time)),
                success=bool(stored.get("success")),
                statistics=dict(stored.get("statistics") or {}),
                results=list(stored.get("results") or []),
            )


def _decisions(quarantine: Path, archive: Path, docs: dict[str, SubmissionDocs]) -> None:
    for folder in sorted(archive.glob("*/*")):
        if folder.is_dir():
            entry = docs.setdefault(folder.name, SubmissionDocs(folder.name, folder.parent.name))
            entry.outcome = "ingested"
    for reason_file in sorted(quarantine.glob("*/*/reason.json")):
        try:
            reason = json.loads(reason_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        submission_id = str(reason.get("submission_id") or reason_file.parent.name)
        entry = docs.setdefault(submission_id, SubmissionDocs(submission_id))
        entry.partner_id = str(reason.get("partner_id") or reason_file.parent.parent.name)
        entry.outcome = str(reason.get("outcome") or "quarantined")
        entry.decided_at = str(reason.get("decided_at") or "")
        entry.reason = reason


def collect_docs(quality_dir: Path, *, quarantine: Path, archive: Path) -> list[SubmissionDocs]:
    """Every submission the hub validated or decided, newest id last."""
    docs: dict[str, SubmissionDocs] = {}
    _suite_runs(quality_dir, docs)
    _decisions(quarantine, archive, docs)
    return [docs[key] for key in sorted(docs)]


def _status(ok: bool, good: str = "passed", bad: str = "failed") -> str:
    return f'<span class="ok">{good}</span>' if ok else f'<span class="bad">{bad}</span>'


def _outcome(outcome: str) -> str:
    css = {"ingested": "ok", "quarantined": "bad", "duplicate": "warn"}.get(outcome, "muted")
    return f'<span class="{css}">{escape(outcome)}</span>'


def _page(title: str, body: list[str], *, up: str = "") -> str:
    back = f'<p><a href="{up}index.html">All submissions</a></p>' if up else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"{back}<h1>{escape(title)}</h1>" + "".join(body) + "</body></html>\n"
    )


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    lines = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


def _count(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return escape(str(value)) if isinstance(value, int) else ""


def _reason_html(reason: dict[str, Any]) -> list[str]:
    failed = ", ".join(reason.get("failed_checks") or []) or "none"
    out = [
        "<h2>Decision</h2>",
        _table(
            ["outcome", "decided at", "failed checks", "files deleted on arrival"],
            [
                [
                    _outcome(str(reason.get("outcome", ""))),
                    escape(str(reason.get("decided_at", ""))),
                    escape(failed),
                    escape(", ".join(reason.get("purged_files") or []) or "none"),
                ]
            ],
        ),
    ]
    rows = []
    for finding in reason.get("findings") or []:
        check = str(finding.get("check", ""))
        rows_listed = ", ".join(str(r) for r in finding.get("rows") or [])
        rows.append(
            [
                f"<code>{escape(check)}</code>",
                escape(str(finding.get("severity", ""))),
                escape(str(finding.get("file") or "")),
                escape(str(finding.get("column") or "")),
                escape(rows_listed),
                escape(str(finding.get("message", ""))),
                escape(str(finding.get("fix", ""))),
            ]
        )
    if rows:
        out += [
            "<h2>Findings (what to forward to the partner: reason.txt)</h2>",
            _table(["check", "severity", "file", "column", "rows", "problem", "fix"], rows),
        ]
    return out


def _suite_html(run: SuiteRun) -> list[str]:
    stats = run.statistics
    rows = []
    for item in run.results:
        config = item.get("expectation_config") or {}
        meta = config.get("meta") or {}
        kwargs = config.get("kwargs") or {}
        result = item.get("result") or {}
        raised = bool((item.get("exception_info") or {}).get("raised_exception"))
        rows.append(
            [
                _status(bool(item.get("success")))
                + (' <span class="muted">(not evaluated)</span>' if raised else ""),
                f"<code>{escape(str(meta.get('check', '')))}</code>",
                f"<code>{escape(str(meta.get('rule', '')))}</code>",
                escape(str(config.get("type", ""))),
                escape(str(kwargs.get("column") or kwargs.get("column_A") or "")),
                _count(result.get("unexpected_count")),
                _count(result.get("element_count")),
                _count(result.get("observed_value")),
            ]
        )
    summary = (
        f"{_status(run.success)}: {stats.get('successful_expectations', 0)} of "
        f"{stats.get('evaluated_expectations', 0)} expectations met "
        f'<span class="muted">(run {escape(run.run_time)})</span>'
    )
    return [
        f"<h2>Suite <code>{escape(run.suite)}</code></h2><p>{summary}</p>",
        _table(SUITE_COLUMNS, rows),
    ]


def render_submission(docs: SubmissionDocs) -> str:
    """The HTML page of one submission."""
    body = [
        _table(
            ["submission", "partner", "outcome"],
            [[escape(docs.submission_id), escape(docs.partner_id), _outcome(docs.outcome)]],
        )
    ]
    if docs.reason is not None:
        body += _reason_html(docs.reason)
    if docs.suites:
        for name in sorted(docs.suites):
            body += _suite_html(docs.suites[name])
    else:
        body.append(
            "<h2>Great Expectations</h2><p class=muted>Not run: an earlier check stopped the "
            "package (see the decision above).</p>"
        )
    return _page(f"Submission {docs.submission_id}", body, up="../")


def render_index(all_docs: list[SubmissionDocs]) -> str:
    """The index page: every submission with its outcome and expectation counts."""
    rows = []
    for docs in all_docs:
        stats = [run.statistics for run in docs.suites.values()]
        evaluated = sum(int(s.get("evaluated_expectations", 0)) for s in stats)
        met = sum(int(s.get("successful_expectations", 0)) for s in stats)
        failed = ", ".join((docs.reason or {}).get("failed_checks") or [])
        rows.append(
            [
                f'<a href="{PAGES_DIR}/{escape(docs.submission_id)}.html">'
                f"{escape(docs.submission_id)}</a>",
                escape(docs.partner_id),
                _outcome(docs.outcome),
                escape(failed),
                f"{met} of {evaluated}" if evaluated else '<span class="muted">not run</span>',
            ]
        )
    checks = "".join(
        f"<li><code>{escape(name)}</code>: {escape(info.description)}</li>"
        for name, info in CHECK_INFO.items()
    )
    body = [
        f"<p>{len(all_docs)} submission(s). Pages hold names, counts and row numbers only; "
        "never a value from a package.</p>",
        _table(["submission", "partner", "outcome", "failed checks", "expectations met"], rows),
        f"<h2>Checks</h2><ul>{checks}</ul>",
    ]
    return _page("carehub Data Docs: submissions", body)


def build_data_docs(quality_dir: Path, *, quarantine: Path, archive: Path) -> Path:
    """(Re)write the whole Data Docs site under ``quality_dir/data_docs``; return its index.

    Built aside and swapped in, so a reader never sees half a site; anything else that was in
    the folder (e.g. an old GX-rendered site with CDN links) goes with the old copy.
    """
    all_docs = collect_docs(quality_dir, quarantine=quarantine, archive=archive)
    target = quality_dir / DOCS_DIR
    building = quality_dir / f"{DOCS_DIR}.building"
    shutil.rmtree(building, ignore_errors=True)
    (building / PAGES_DIR).mkdir(parents=True)
    for docs in all_docs:
        page = building / PAGES_DIR / f"{docs.submission_id}.html"
        page.write_text(render_submission(docs), encoding="utf-8")
    (building / "index.html").write_text(render_index(all_docs), encoding="utf-8")
    old = quality_dir / f"{DOCS_DIR}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target / "index.html"
