"""The report's charts (matplotlib, PNG). Every number drawn comes from :class:`ReportData`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from contract.vocabulary import SECTORS
from warehouse.report.data import Count, ReportData

if TYPE_CHECKING:
    from types import ModuleType

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SECTOR_LABELS: Final = {
    "hospital": "Hospitals",
    "public_health": "Public health",
    "cbo_housing": "Housing CBOs",
    "cbo_food": "Food CBOs",
    "cbo_social": "Social-service CBOs",
}
PROGRAM_LABELS: Final = {
    "any_cbo_service": "Any CBO service",
    "housing_services": "Housing services",
    "food_services": "Food services",
    "case_management": "Case management",
}
WITHHELD: Final = "withheld"
BLUE: Final = "#2b6cb0"
GREY: Final = "#a0aec0"
ORANGE: Final = "#dd6b20"
DPI: Final = 110


def pretty(name: str) -> str:
    """``camden_high_utilizers`` -> ``Camden high utilizers``."""
    text = name.replace("_", " ")
    text = text.replace(" ed ", " ED ").replace("smi ", "SMI ").replace(" bh ", " BH ")
    text = text.replace(" cbo", " CBO")
    return text[:1].upper() + text[1:]


def _pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the headless Agg backend, imported on first draw.

    Importing matplotlib costs seconds; the Dagster code location imports this module in every
    process, so the import waits until a chart is drawn.
    """
    import matplotlib

    matplotlib.use("Agg")  # headless: never open a window
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Figure, path: Path) -> Path:
    plt = _pyplot()
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return path


def _fmt(n: int | None) -> str:
    return WITHHELD if n is None else f"{n:,}"


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#555")
    ax.set_axis_off()


def segment_sizes(data: ReportData, path: Path) -> Path:
    """Horizontal bars: people in each segment now, with the share of everyone."""
    plt = _pyplot()
    sizes = data.sizes
    fig, ax = plt.subplots(figsize=(9, 0.55 * max(len(sizes), 2) + 1.4))
    if not sizes:
        _empty(ax, "No segments defined")
        return _save(fig, path)
    labels = [pretty(c.label) for c in sizes][::-1]
    values = [c.people or 0 for c in sizes][::-1]
    bars = ax.barh(labels, values, color=BLUE)
    top = max(values) if any(values) else 1
    for bar, count in zip(bars, sizes[::-1], strict=True):
        share = f" ({count.share:.1%} of everyone)" if count.share is not None else ""
        ax.text(
            bar.get_width() + top * 0.01,
            bar.get_y() + bar.get_height() / 2,
            _fmt(count.people) + share,
            va="center",
            fontsize=9,
        )
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel("People in the segment")
    ax.spines[["top", "right"]].set_visible(False)
    month = data.about.get("as_of_month", "")
    everyone = _fmt(data.everyone)
    ax.set_title(
        f"Complex-needs segments, {month}\n(everyone known to the ecosystem: {everyone})",
        loc="left",
        fontsize=11,
    )
    return _save(fig, path)


def sector_upset(data: ReportData, path: Path, *, top: int = 15) -> Path:
    """UpSet-style chart: exclusive sector combinations (bars + dot matrix) and sector reach."""
    plt = _pyplot()
    import matplotlib  # loaded by _pyplot() above (late: seconds); named here for ticker/colormaps

    combos = [c for c in data.combinations if c.label != "none"][:top]
    reach = {c.label: c for c in data.reach.get("all_people", [])}
    sectors = [s for s in SECTORS if s in reach]
    fig = plt.figure(figsize=(11, 6.2))
    grid = fig.add_gridspec(
        2, 2, width_ratios=[1, 4], height_ratios=[3, 1.6], hspace=0.05, wspace=0.28
    )
    bars_ax = fig.add_subplot(grid[0, 1])
    matrix_ax = fig.add_subplot(grid[1, 1], sharex=bars_ax)
    reach_ax = fig.add_subplot(grid[1, 0], sharey=matrix_ax)
    fig.add_subplot(grid[0, 0]).set_axis_off()
    if not combos:
        _empty(bars_ax, "No sector combinations to show")
        return _save(fig, path)
    xs = list(range(len(combos)))
    values = [c.people or 0 for c in combos]
    bars_ax.bar(xs, values, color=BLUE, width=0.6)
    peak = max(values) if any(values) else 1
    for x, count in zip(xs, combos, strict=True):
        bars_ax.text(
            x,
            (count.people or 0) + peak * 0.02,
            _fmt(count.people),
            ha="center",
            va="bottom",
            fontsize=8,
            rotation=90 if count.people is None else 0,
        )
    bars_ax.set_ylim(0, peak * 1.25)
    bars_ax.set_ylabel("People with exactly\nthese sectors")
    bars_ax.spines[["top", "right"]].set_visible(False)
    bars_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    bars_ax.set_title(
        "Who is at the table: people by the exact combination of sectors that know them",
        loc="left",
        fontsize=11,
    )
    ys = list(range(len(sectors)))
    for x, count in zip(xs, combos, strict=True):
        members = set(count.label.split("+"))
        on = [y for y, s in zip(ys, sectors, strict=True) if s in members]
        matrix_ax.scatter([x] * len(ys), ys, color="#e2e8f0", s=60, zorder=1)
        matrix_ax.scatter([x] * len(on), on, color="#1a202c", s=60, zorder=2)
        if len(on) > 1:
            matrix_ax.plot([x, x], [min(on), max(on)], color="#1a202c", lw=2, zorder=2)
    matrix_ax.set_yticks(ys, [SECTOR_LABELS.get(s, s) for s in sectors])
    matrix_ax.tick_params(axis="y", left=False, labelleft=True, labelright=False)
    matrix_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    matrix_ax.set_xlim(-0.6, len(xs) - 0.4)
    matrix_ax.set_ylim(-0.6, len(ys) - 0.4)
    matrix_ax.invert_yaxis()
    for spine in matrix_ax.spines.values():
        spine.set_visible(False)
    reach_values = [reach[s].people or 0 if s in reach else 0 for s in sectors]
    reach_ax.barh(ys, reach_values, color=GREY, height=0.5)
    reach_ax.invert_xaxis()
    reach_ax.tick_params(axis="y", left=False, right=False, labelleft=False, labelright=False)
    for y, s, width in zip(ys, sectors, reach_values, strict=True):
        shown = reach[s].people if s in reach else 0
        reach_ax.text(width, y, f"{_fmt(shown)} ", ha="right", va="center", fontsize=8)
    reach_ax.set_xlabel("People each\nsector knows")
    reach_ax.spines[["top", "left", "right"]].set_visible(False)
    reach_ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    reach_ax.tick_params(axis="x", labelsize=7, labelrotation=45)
    return _save(fig, path)


def who_is_missing(data: ReportData, path: Path) -> Path:
    """Heatmap: share of each segment that each sector knows (low = that sector is missing)."""
    plt = _pyplot()
    import matplotlib  # loaded by _pyplot() above (late: seconds); named here for ticker/colormaps

    segments = [c.label for c in data.sizes]
    # Sectors without any partner reaching anyone yet are left out rather than shown as 0%.
    sectors = [s for s in SECTORS if any(c.label == s for c in data.reach.get("all_people", []))]
    fig, ax = plt.subplots(figsize=(9, 0.5 * max(len(segments), 2) + 1.8))
    if not segments or not sectors:
        _empty(ax, "No segment reach to show")
        return _save(fig, path)
    shares: list[list[float]] = []
    for segment in segments:
        rows = {c.label: c for c in data.reach.get(segment, [])}
        line = []
        for sector in sectors:
            if sector not in rows:
                line.append(0.0)  # no row: nobody of the segment is known to the sector
            else:
                share = rows[sector].share
                line.append(float("nan") if share is None else share)
        shares.append(line)
    # Withheld: grey, not a colour of the scale.
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#cbd5e0")
    image = ax.imshow(shares, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(shares):
        for j, value in enumerate(row):
            text = WITHHELD if value != value else f"{value:.0%}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value == value and value > 0.6 else "#1a202c",
            )
    ax.set_xticks(range(len(sectors)), [SECTOR_LABELS.get(s, s) for s in sectors])
    ax.set_yticks(range(len(segments)), [pretty(s) for s in segments])
    ax.tick_params(length=0)
    fig.colorbar(image, ax=ax, fraction=0.03, format=matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title(
        "Share of each segment that each sector knows (low: that sector is missing)",
        loc="left",
        fontsize=11,
    )
    return _save(fig, path)


def segment_trends(data: ReportData, path: Path) -> Path:
    """Small multiples: each segment's size at the end of each month, on its own scale."""
    plt = _pyplot()
    segments = [c.label for c in data.sizes]
    if not segments or not data.months:
        fig, ax = plt.subplots(figsize=(10, 3))
        _empty(ax, "No trend to show")
        return _save(fig, path)
    cols = 2
    rows = (len(segments) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.3 * rows + 0.8), squeeze=False)
    index = {m: i for i, m in enumerate(data.months)}
    ticks = [0, len(data.months) // 2, len(data.months) - 1]
    for ax, segment in zip(axes.flat, segments, strict=False):
        points: list[Count] = data.trends.get(segment, [])
        xs = [index[p.label] for p in points]
        ys = [p.people if p.people is not None else float("nan") for p in points]
        ax.plot(xs, ys, marker="o", ms=3, color=BLUE)
        ax.set_title(pretty(segment), loc="left", fontsize=9)
        if not any(y == y for y in ys):
            ax.text(
                0.5,
                0.5,
                "withheld in every month (too few people to show)",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=8,
                color="#555",
            )
            ax.set_yticks([])
        ax.set_ylim(bottom=0, top=max([y for y in ys if y == y] or [1]) * 1.3)
        ax.set_xlim(-0.5, len(data.months) - 0.5)
        ax.set_xticks(ticks, [data.months[t] for t in ticks], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#edf2f7")
        if points and points[-1].people is not None:
            ax.annotate(
                f"{points[-1].people:,}",
                (xs[-1], ys[-1]),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=8,
                color=BLUE,
            )
    for ax in list(axes.flat)[len(segments) :]:
        ax.set_axis_off()
    fig.suptitle(
        "People in each segment at the end of each month (own scale per segment; "
        "a gap: count withheld)",
        x=0.01,
        ha="left",
        fontsize=11,
    )
    fig.tight_layout()
    return _save(fig, path)


def program_evaluation(data: ReportData, path: Path) -> Path:
    """Grouped bars: ED visits + admissions per 1,000 before and after, served vs comparison."""
    plt = _pyplot()
    programs = sorted(
        {str(r["program"]) for r in data.evaluation},
        key=lambda p: list(PROGRAM_LABELS).index(p) if p in PROGRAM_LABELS else 99,
    )
    fig, ax = plt.subplots(figsize=(10, 5))
    if not programs:
        _empty(ax, "No program evaluation: too little follow-up time yet")
        return _save(fig, path)
    rows = {(str(r["program"]), str(r["cohort"])): r for r in data.evaluation}
    width = 0.2
    series = [
        ("served", "before", "#90cdf4", "Served: 6 months before"),
        ("served", "after", BLUE, "Served: 6 months after"),
        ("comparison", "before", "#e2e8f0", "Matched comparison: before"),
        ("comparison", "after", GREY, "Matched comparison: after"),
    ]
    top = 0.0
    for k, (cohort, when, color, label) in enumerate(series):
        xs, ys = [], []
        for i, program in enumerate(programs):
            row = rows.get((program, cohort))
            value = row.get(when) if row else None
            xs.append(i + (k - 1.5) * width)
            ys.append(float(value) if isinstance(value, int | float) else 0.0)
        ax.bar(xs, ys, width=width, color=color, label=label)
        top = max(top, *ys)
    for i, program in enumerate(programs):
        served = rows.get((program, "served"))
        did = served.get("did") if served else None
        people = served.get("people") if served else None
        if isinstance(did, int | float):
            text = f"DiD {did:+.0f} per 1,000\n{_fmt(people)} served"  # type: ignore[arg-type]
        elif isinstance(people, int):
            text = f"{people:,} served\n(comparison withheld)"
        else:
            text = "too few people served\nto show (withheld)"
        ax.text(i, top * 1.04, text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(programs)), [PROGRAM_LABELS.get(p, pretty(p)) for p in programs])
    ax.set_ylim(0, top * 1.35 if top else 1)
    ax.set_ylabel("ED visits + inpatient admissions\nper 1,000 people in 6 months")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    ax.set_title(
        "Hospital use before and after a first CBO service (descriptive, not causal)\n"
        "DiD = change among the served minus change in the matched comparison group",
        loc="left",
        fontsize=11,
    )
    return _save(fig, path)


CHARTS: Final = {
    "segment_sizes.png": segment_sizes,
    "sector_overlap_upset.png": sector_upset,
    "who_is_missing.png": who_is_missing,
    "segment_trends.png": segment_trends,
    "program_evaluation.png": program_evaluation,
}


def draw_all(data: ReportData, folder: Path) -> dict[str, Path]:
    """Draw every chart into ``folder``; returns file name -> path."""
    return {name: draw(data, folder / name) for name, draw in CHARTS.items()}
