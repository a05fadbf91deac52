"""Build the ecosystem report (HTML + PNG charts) from the published marts, atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import jinja2

from contract.disclosure import DISCLOSURE_THRESHOLD
from contract.vocabulary import SECTORS
from kernel import clock
from kernel.db import given_or_own
from kernel.home import HubHome
from warehouse.disclosure.ledger import record_release
from warehouse.marts.publish import OUTPUT as MARTS_OUTPUT
from warehouse.publish import Publication, publish_dir
from warehouse.report import charts
from warehouse.report.data import (
    ReportData,
    marts_release,
    multi_sector_share,
    read_report_data,
    share_text,
    shown_multi_sector_share,
)

OUTPUT: Final = "report"
REPORT_NAME: Final = "ecosystem"
WITHHELD_HTML: Final = '<span class="withheld">withheld</span>'


@dataclass(frozen=True)
class ReportResult:
    """The published report.

    Attributes:
        html: ``<home>/reports/ecosystem/report.html`` (through the published link).
        charts: PNG file name -> path (through the published link).
        publication: The ``ops.publications`` record (its ``path`` is the version folder).
    """

    html: Path
    charts: dict[str, Path]
    publication: Publication


def report_dir(home: HubHome) -> Path:
    """The published report folder (a link to the current version)."""
    return home.reports / REPORT_NAME


def _fmt(n: int | None) -> str:
    return WITHHELD_HTML if n is None else f"{n:,}"


def _pct(share: float | None) -> str:
    return WITHHELD_HTML if share is None else f"{share:.1%}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+,.0f}"


def _combo(label: str) -> str:
    if label == "none":
        return "No registered sector"
    return " + ".join(charts.SECTOR_LABELS.get(s, s) for s in label.split("+"))


def sectors_without_partner(data: ReportData) -> list[str]:
    """Sectors that reach nobody: no partner of that sector submits yet (not "missing 100%")."""
    reaching = {c.label for c in data.reach.get("all_people", [])}
    return [charts.SECTOR_LABELS.get(s, s) for s in SECTORS if s not in reaching]


def data_end_note(about: dict[str, str]) -> str:
    """Which month the data runs to, and why it can be earlier than the publication."""
    end, published = about.get("as_of_month", ""), about.get("published_month", "")
    note = f"The data run to the end of {end}"
    if published and end and published > end:
        note += (
            f", published {published}: months after {end} have no events in the partners' "
            "latest submissions yet, so counts stop there rather than show an empty tail"
        )
    return note + "."


def render_html(marts_db: Path, folder: Path) -> tuple[Path, dict[str, Path]]:
    """Draw the charts and write ``report.html`` into ``folder``."""
    data = read_report_data(marts_db)
    drawn = charts.draw_all(data, folder)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    # Shown numbers carry the noise and withheld combinations have no row: the headline is
    # the shown share only where its bounds keep it within a point of the truth.
    low, high = multi_sector_share(
        data.combinations, data.everyone, int(data.about.get("max_noise", "0"))
    )
    share_multi = share_text(shown_multi_sector_share(data.combinations, data.everyone), low, high)
    html = env.get_template("report.html.j2").render(
        about=data.about,
        version=data.about.get("version", ""),
        threshold=int(data.about.get("threshold", DISCLOSURE_THRESHOLD)),
        everyone=data.everyone,
        segments=data.segments,
        descriptions={s["segment"]: s["description"] for s in data.segments},
        sizes=data.sizes,
        combinations=data.combinations,
        evaluation=data.evaluation,
        multi_sector=share_multi,
        no_partner=sectors_without_partner(data),
        data_end=data_end_note(data.about),
        built_month=f"{clock.now():%Y-%m}",
        fmt=_fmt,
        pct=_pct,
        num=_num,
        signed=_signed,
        combo=_combo,
        pretty=charts.pretty,
        program=lambda p: charts.PROGRAM_LABELS.get(p, charts.pretty(p)),
    )
    path = folder / "report.html"
    path.write_text(html)
    return path, drawn


def build_report(home: HubHome, *, run_id: str | None = None) -> ReportResult:
    """Render the report from ``marts/marts.duckdb`` and publish it atomically.

    The report reads only the published marts, so every number in it has passed the marts'
    disclosure control. It is published as ``reports/ecosystem/`` (a link swapped atomically to
    the new version folder) and recorded in ``ops.publications``.

    Raises:
        FileNotFoundError: the marts have not been published yet.
    """
    if not home.marts_db.exists():
        raise FileNotFoundError(
            f"{home.marts_db} does not exist: publish the marts (asset analyst_marts) first"
        )
    names: list[str] = []

    def build(folder: Path) -> dict[str, object]:
        html, drawn = render_html(home.marts_db, folder)
        names.extend([html.name, *drawn])
        return {"files": sorted(names)}

    publication = publish_dir(home, OUTPUT, report_dir(home), build, run_id=run_id)
    # The report re-shows the marts' numbers (and shares of them): its ledger entry names the
    # marts release it was drawn from and adds no cells of its own.
    version, threshold = marts_release(home.marts_db)
    with given_or_own(None, home.hub_db) as con:
        record_release(
            con,
            OUTPUT,
            publication.version,
            publication.published_at,
            None,
            threshold,
            derived_from=f"{MARTS_OUTPUT}:{version}",
        )
    folder = report_dir(home)
    return ReportResult(
        html=folder / "report.html",
        charts={name: folder / name for name in names if name.endswith(".png")},
        publication=publication,
    )
