"""What the demo (and stewards) print about a publication: published values only."""

from __future__ import annotations

from warehouse.marts.publish import MartsResult
from warehouse.marts.tables import ALL_PEOPLE


def _fmt(n: int | None) -> str:
    return "withheld" if n is None else f"{n:,}"


def summary_lines(result: MartsResult, *, top_combinations: int = 8) -> list[str]:
    """Segment sizes and the cross-sector overlap, as published (withheld counts say so)."""
    everyone = result.segment_sizes.get(ALL_PEOPLE)
    lines = [
        f"marts {result.version} as of {result.as_of:%Y-%m}: {result.cells:,} counts, "
        f"{result.suppressed_cells:,} withheld ({result.primary_suppressed:,} below "
        f"{result.threshold}, {result.complementary_suppressed:,} complementary)",
        f"people known to the ecosystem: {_fmt(everyone)}",
        "segment sizes:",
    ]
    sizes = sorted(
        ((s, n) for s, n in result.segment_sizes.items() if s != ALL_PEOPLE),
        key=lambda item: (-(item[1] or 0), item[0]),
    )
    width = max((len(s) for s, _ in sizes), default=10)
    for segment, people in sizes:
        share = f"  ({people / everyone:.1%})" if people and everyone else ""
        lines.append(f"  {segment:<{width}}  {_fmt(people):>9}{share}")
    lines.append("cross-sector overlap (people known to exactly these sectors):")
    shown = result.sector_overlap[:top_combinations]
    width = max((len(c) for c, _ in shown), default=10)
    for combination, people in shown:
        lines.append(f"  {combination:<{width}}  {_fmt(people):>9}")
    if len(result.sector_overlap) > top_combinations:
        lines.append(
            f"  ... {len(result.sector_overlap) - top_combinations} more in sector_overlap"
        )
    return lines
