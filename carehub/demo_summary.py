"""The demo's closing summary: what each stage produced, where it is, how to look at it."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from carehub.demo import REGION_DIR, DemoResult
from kernel.db import connection
from warehouse.disclosure import DEFAULT_MAX_NOISE


def linkage_quality(result: DemoResult) -> dict[str, float]:
    """Pairwise and B-cubed precision/recall of the hub's answer, scored on a copy of hub.duckdb.

    The copy keeps the ground truth out of the hub's own database.
    """
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from linkage.accuracy import evaluate, truth_from_crosswalks

    # Only the demo can build this: every partner's crosswalk and the synthetic ground truth.
    truth = truth_from_crosswalks(
        result.partners_dir / REGION_DIR / "ground_truth" / "truth.csv",
        {pid: encoded.crosswalk for pid, encoded in result.encoded.items()},
    )

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "scoring.duckdb"
        shutil.copy2(result.home.hub_db, copy)
        con = duckdb.connect(str(copy))
        try:
            metrics = evaluate(con, truth.to_arrow())
        finally:
            con.close()
    return {
        "precision": metrics.precision,
        "recall": metrics.recall,
        "f1": metrics.f1,
        "bcubed_f1": metrics.bcubed_f1,
        "blocking_recall": metrics.blocking_recall or 0.0,
    }


def _hub_figures(result: DemoResult) -> dict[str, Any]:
    with connection(result.home.hub_db, read_only=True) as con:
        persons, multi = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE n_partners > 1) FROM linkage.persons"
        ).fetchone() or (0, 0)
        churn_row = con.execute(
            "SELECT churn FROM linkage.runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        # Segments (all_people too) count the living: a reported death takes a person out.
        deceased = con.execute(
            "SELECT count(*) FILTER (WHERE deceased) FROM features.person_features "
            "WHERE as_of_date = (SELECT max(as_of_date) FROM features.person_features)"
        ).fetchone() or (0,)
    churn = json.loads(churn_row[0]) if churn_row else {}
    return {"persons": persons, "multi": multi, "churn": churn, "deceased": deceased[0]}


def _marts(result: DemoResult) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with connection(result.home.marts_db, read_only=True) as con:
        # Every segment has a row in segment_sizes (withheld when small); older marts had none
        # for an empty segment: list it as 0.
        sizes = con.execute(
            "SELECT s.segment, CASE WHEN z.segment IS NULL THEN 0 ELSE z.people END, "
            "coalesce(z.suppressed, false) "
            "FROM segments AS s LEFT JOIN segment_sizes AS z USING (segment) ORDER BY s.segment"
        ).fetchall()
        overlap = con.execute(
            "SELECT sector_combination, people, suppressed FROM sector_overlap "
            "WHERE segment = 'all_people' ORDER BY n_sectors, sector_combination"
        ).fetchall()
    return sizes, overlap


def deceased_note(persons: int, deceased: int, everyone: int, noise: int = 0) -> str:
    """Why ``all_people`` is smaller than the linked persons: segments count the living.

    ``noise`` is the published counts' cell-key noise bound: a gap within it is the noise.
    """
    note = (
        f"all_people ({everyone:,}) counts the living: {persons:,} linked persons, of whom "
        f"{deceased:,} have a reported death"
    )
    gap = persons - deceased - everyone
    if gap and abs(gap) <= noise:
        return note + f" (published counts carry up to ±{noise} of noise: {gap:+,} here)"
    # Not expected; said plainly rather than hidden if the figures ever disagree.
    return note + (f" ({gap:+,} not explained by deaths)" if gap else "")


def _count(people: Any, suppressed: bool) -> str:
    # Withheld: a count of 1-10, or a larger one withheld so that a small one can't be derived.
    return "withheld" if suppressed else f"{people:,}"


def print_summary(result: DemoResult, console: Console) -> None:
    """Print the demo summary; ends with where everything is and how to open the UI."""
    console.rule(Text("Summary", style="bold"), align="left")
    region = result.region
    console.print(
        f"Region: {region.residents:,} residents; {region.records:,} partner records; "
        f"{region.events:,} events"
    )
    ingested = sum(1 for r in result.ingest_runs if r.outcome == "ingested")
    quarantined = len(result.ingest_runs) - ingested
    console.print(Text(f"Ingest: {ingested} submissions ingested, {quarantined} quarantined"))

    hub = _hub_figures(result)
    result.linkage_quality = linkage_quality(result)
    q = result.linkage_quality
    churn = ", ".join(
        f"{k} {v}" for k, v in sorted(hub["churn"].items()) if not isinstance(v, dict)
    )
    console.print(
        f"Linkage: {hub['persons']:,} persons, {hub['multi']:,} seen by more than one partner; "
        f"key churn: {churn or 'none'}"
    )
    console.print(
        f"  against the synthetic ground truth (the hub never sees it): precision "
        f"{q['precision']:.4f}, recall {q['recall']:.4f}, F1 {q['f1']:.4f}, "
        f"B-cubed F1 {q['bcubed_f1']:.4f}, blocking recall {q['blocking_recall']:.4f}"
    )

    sizes, overlap = _marts(result)
    table = Table("segment", "people now", title="Segment sizes (marts.duckdb)")
    for segment, people, suppressed in sizes:
        table.add_row(segment, _count(people, suppressed))
    console.print(table)
    everyone = next((p for s, p, hidden in sizes if s == "all_people" and not hidden), None)
    if everyone is not None:
        console.print(
            Text(deceased_note(hub["persons"], hub["deceased"], everyone, DEFAULT_MAX_NOISE))
        )
    table = Table("sectors holding a record", "people", title="Cross-sector overlap, all people")
    for combination, people, suppressed in overlap:
        table.add_row(combination, _count(people, suppressed))
    console.print(table)

    # No column cut at 80 characters: ids and segment names whole, numbers right-aligned.
    table = Table(
        title="Extracts opened: each partner's own clients per cohort", box=box.SIMPLE_HEAD
    )
    table.add_column("partner", no_wrap=True)
    table.add_column("segment", no_wrap=True)
    table.add_column("clients", justify="right")
    for partner_id, opened in sorted(result.opened.items()):
        for segment, size in sorted(opened.cohort_sizes.items()):
            table.add_row(partner_id, segment, f"{size:,}")
    console.print(table)

    home = result.home
    # Imported on use: a quick CLI start, and no hub extras needed on a partner install.
    from carehub.ops_status import publications_table

    console.print(publications_table(home))
    report = home.reports / "ecosystem" / "report.html"
    console.rule(Text("Where everything is", style="bold"), align="left")
    for label, path in (
        ("Hub home", home.root),
        ("Analysts' marts (read-only)", home.marts_db),
        ("Ecosystem report", report),
        ("Data Docs", home.quality / "data_docs"),
        ("Quarantine", home.quarantine),
        ("Partner extracts (encrypted)", home.outbox),
        ("Audit log", home.audit / "audit.log"),
        ("Governance (proposals, approvals, versions)", home.governance),
        ("Quarterly governance pack", result.governance.get("pack", "-")),
        ("Partner-side folders", result.partners_dir),
        ("Care-team CSVs", result.partners_dir / "<partner>" / "extracts"),
    ):
        console.print(Text(f"  {label}: {path}"))
    console.print(
        Text(
            f"\nOpen the steward UI:   carehub ui --home {home.root}\n"
            f"Query the marts:       carehub marts --home {home.root}\n"
            f"Submissions and publications: carehub status --home {home.root}\n"
            f"Governance in force:   carehub governance status --home {home.root}"
        )
    )


def care_team_rows(path: Path) -> int:
    """Rows of an opened extract's CSV (for tests)."""
    with path.open(newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))
