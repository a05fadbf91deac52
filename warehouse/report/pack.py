"""The quarterly governance pack: HTML with charts, printable, for the partners' meeting.

``carehub governance pack --quarter 2026Q4`` writes ``reports/governance/2026Q4/`` (published
atomically like the report): approvals and changes, what left the hub per partner (extracts,
rows and context flags, from the hash-chained audit), quarantines and their reasons, linkage
quality (estimated), who is at the table and who is missing, and the cross-sector overlap.

Disclosure control applies as everywhere: person counts come only from the published marts
or from audit entries whose counts already passed :func:`warehouse.disclosure.disclose`;
everything else counted here is documents (extracts, approvals, packages), never people.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import duckdb
import jinja2

from governance.approvals import tally
from governance.proposals import in_words, texts
from kernel import clock
from kernel.home import HubHome
from linkage.store import last_run_summary
from warehouse import audit
from warehouse import governance_flow as flow
from warehouse.governance import GovernanceError, load_governance
from warehouse.publish import publish_dir
from warehouse.report import charts
from warehouse.report.data import read_report_data

# The seats of an ecosystem of care (the seeds' list) and the registered sectors that fill them.
SEATS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("Health systems", ("hospital",)),
    ("Community-based organisations", ("cbo_housing", "cbo_food", "cbo_social")),
    ("Public health", ("public_health",)),
    ("Behavioural health", ()),
    ("Social services", ("cbo_social",)),
    ("Payers", ()),
    ("First responders", ()),
    ("Faith-based organisations", ()),
    ("Consumers and families", ()),
)
# Segments that mean a need, and the sector that meets it.
NEEDS: Final[dict[str, tuple[str, str]]] = {
    "frequent_ed_housing_instability": ("cbo_housing", "positive housing screening"),
    "food_insecurity_diabetes": ("cbo_food", "positive food screening"),
}
_GOVERNANCE_ACTIONS: Final = ("governance_proposed", "governance_approval", "governance_applied")


class GovernancePackError(ValueError):
    """The quarter is malformed or the hub has nothing to report yet."""


@dataclass(frozen=True)
class Quarter:
    label: str
    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
        if not match:
            raise GovernancePackError(f"quarter {text!r}: write it like 2026Q4")
        year, q = int(match[1]), int(match[2])
        start = date(year, 3 * q - 2, 1)
        end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        return cls(f"{year}Q{q}", start, end)

    def holds(self, iso_time: str) -> bool:
        return self.start.isoformat() <= iso_time[:10] < self.end.isoformat()


def _extracts(entries: list[audit.AuditEntry]) -> dict[str, dict[str, Any]]:
    """Per partner: extracts built, rows (as disclosed), and context flags sent."""
    out: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e.action != "extract_built":
            continue
        row = out.setdefault(
            e.details["partner"], {"extracts": 0, "rows": 0, "withheld": 0, "flags": Counter()}
        )
        row["extracts"] += 1
        records = (e.details.get("counts") or {}).get("records")
        if isinstance(records, int):
            row["rows"] += records
        else:
            row["withheld"] += 1
        for flag, n in ((e.details.get("counts") or {}).get("by_flag") or {}).items():
            row["flags"][flag] += n if isinstance(n, int) else 0
            row.setdefault("flag_names", set()).add(flag)
    return out


def _quarantines(home: HubHome, quarter: Quarter) -> dict[str, Counter[str]]:
    """Per partner: quarantined packages by failed check (names of checks, never values)."""
    out: dict[str, Counter[str]] = {}
    for path in sorted(home.quarantine.glob("*/*/reason.json")):
        try:
            reason = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not quarter.holds(str(reason.get("decided_at", ""))):
            continue
        counter = out.setdefault(str(reason.get("partner_id")), Counter())
        for check in reason.get("failed_checks") or ["unknown"]:
            counter[str(check)] += 1
    return out


def _linkage(home: HubHome) -> dict[str, Any] | None:
    if not home.hub_db.exists():
        return None
    try:
        with duckdb.connect(str(home.hub_db), read_only=True) as con:
            summary = last_run_summary(con)
    except duckdb.Error:
        return None
    if summary is None:
        return None
    return {"run": summary.run_id, "mode": summary.mode, "estimate": summary.estimate or {}}


def _not_reached(marts_db: Path) -> list[dict[str, Any]]:
    """People in a need segment whom no partner of the sector meeting that need knows."""
    rows = []
    with duckdb.connect(str(marts_db), read_only=True) as con:
        found = con.execute((Path(__file__).parent / "sql" / "reach.sql").read_text()).fetchall()
    for segment, sector, reached, people, share in found:
        need = NEEDS.get(segment)
        if need and sector == need[0] and not reached:
            rows.append(
                {
                    "need": need[1],
                    "segment": segment,
                    "sector": sector,
                    "people": people,
                    "share": share,
                }
            )
    return rows


def _versions(home: HubHome, quarter: Quarter) -> list[dict[str, Any]]:
    out = []
    applied = {
        e.details.get("proposal_id"): e.time
        for e in audit.entries(home)
        if e.action == "governance_applied"
    }
    for folder in flow.version_dirs(home):
        proposal = json.loads((folder / "proposal.json").read_text())
        when = applied.get(proposal["proposal_id"], "")
        if not quarter.holds(when):
            continue
        verdict = tally(proposal, json.loads((folder / "approvals.json").read_text()))
        out.append(
            {
                "title": proposal["title"],
                "version": texts(proposal)[1].get("version"),
                "id": proposal["proposal_id"],
                "applied": when[:10],
                "kind": verdict.kind.kind,
                "approved_by": verdict.approved_by,
                "required": verdict.required,
                "voters": verdict.voters,
                "sha": proposal["new_sha256"][:12],
                "changes": in_words(proposal),
            }
        )
    return out


def _bar_chart(path: Path, title: str, labels: list[str], series: dict[str, list[int]]) -> Path:
    plt = charts._pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(labels), 2) + 1.4))
    if not labels:
        charts._empty(ax, "Nothing this quarter")
        return charts._save(fig, path)
    left = [0] * len(labels)
    colours = [charts.BLUE, charts.ORANGE, charts.GREY, "#38a169", "#805ad5", "#d53f8c"]
    for (name, values), colour in zip(series.items(), colours * 4, strict=False):
        ax.barh(labels, values, left=left, color=colour, label=name)
        left = [a + b for a, b in zip(left, values, strict=True)]
    # matplotlib costs seconds to import; only drawing a chart pays it (see report/charts.py).
    from matplotlib.ticker import MaxNLocator

    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # documents, never fractions
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.set_title(title, loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return charts._save(fig, path)


def render_pack(home: HubHome, quarter: Quarter, folder: Path) -> Path:
    """Write ``index.html`` and its charts into ``folder``."""
    try:
        governance = load_governance(home)
    except GovernanceError as exc:
        raise GovernancePackError(str(exc)) from None
    try:
        in_force: dict[str, Any] | None = flow.check_in_force(home).metadata()
        gate = "approved by a quorum"
    except GovernanceError as exc:
        in_force, gate = None, str(exc)
    entries = [e for e in audit.entries(home) if quarter.holds(e.time)]
    versions = _versions(home, quarter)
    extracts = _extracts(entries)
    quarantines = _quarantines(home, quarter)
    sectors = {p.sector for p in governance.partners.values() if p.active}
    seats = [
        {
            "seat": seat,
            "present": [charts.SECTOR_LABELS.get(s, s) for s in sorted(sectors & set(fills))],
            "filled": bool(sectors & set(fills)),
        }
        for seat, fills in SEATS
    ]
    drawn = {
        "approvals": _bar_chart(
            folder / "approvals.png",
            "Approvals per change applied this quarter (against the quorum required)",
            [f"version {v['version']} ({v['kind']})" for v in versions],
            {
                "approvals": [len(v["approved_by"]) for v in versions],
                "still needed": [max(v["required"] - len(v["approved_by"]), 0) for v in versions],
            },
        ).name,
        "extracts": _bar_chart(
            folder / "extracts.png",
            "Extracts that left the hub, per partner",
            sorted(extracts),
            {"extracts": [extracts[p]["extracts"] for p in sorted(extracts)]},
        ).name,
    }
    checks = sorted({c for counter in quarantines.values() for c in counter})
    drawn["quarantines"] = _bar_chart(
        folder / "quarantines.png",
        "Quarantined packages per partner, by failed check",
        sorted(quarantines),
        {c: [quarantines[p][c] for p in sorted(quarantines)] for c in checks},
    ).name
    not_reached: list[dict[str, Any]] = []
    overlap = None
    if home.marts_db.exists():
        data = read_report_data(home.marts_db)
        drawn["overlap"] = charts.sector_upset(data, folder / "overlap.png").name
        drawn["missing"] = charts.who_is_missing(data, folder / "missing.png").name
        not_reached = _not_reached(home.marts_db)
        overlap = data.about.get("version")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("pack.html.j2").render(
        quarter=quarter.label,
        built=f"{clock.now():%Y-%m-%d %H:%M} UTC",
        governance=governance,
        in_force=in_force,
        gate=gate,
        versions=versions,
        proposals=sum(1 for e in entries if e.action == "governance_proposed"),
        approvals=sum(1 for e in entries if e.action == "governance_approval"),
        extracts=extracts,
        quarantines=quarantines,
        linkage=_linkage(home),
        seats=seats,
        not_reached=not_reached,
        marts_version=overlap,
        charts=drawn,
        pretty=charts.pretty,
        sector_label=lambda s: charts.SECTOR_LABELS.get(s, s),
        fmt=lambda n: "withheld" if n is None else f"{n:,}",
    )
    path = folder / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def build_pack(home: HubHome, quarter: str, *, out: Path | None = None) -> Path:
    """Render the pack for ``quarter`` (e.g. ``2026Q4``); return its ``index.html``.

    Published atomically to ``reports/governance/<quarter>/`` unless ``out`` names a folder.
    """
    period = Quarter.parse(quarter)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        return render_pack(home, period, out)
    target = home.reports / "governance" / period.label
    target.parent.mkdir(parents=True, exist_ok=True)
    publish_dir(
        home,
        f"governance_pack:{period.label}",
        target,
        lambda folder: {"index": render_pack(home, period, folder).name},
    )
    return target / "index.html"
