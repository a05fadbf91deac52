"""Splink's diagnostic charts as self-contained HTML files under ``models/charts/``.

Charts show parameters and match weights only: the waterfall is built with Splink's
``remove_sensitive_data=True``, so no token, Bloom word or pseudonym appears in it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from splink import Linker
from splink.internals.charts import SplinkChart
from splink.internals.splink_dataframe import SplinkDataFrame

log = logging.getLogger(__name__)
WATERFALL_PAIRS = 12


def _write(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def model_charts(linker: Linker, charts_dir: Path, version: str) -> dict[str, Path]:
    """Match weights, m/u parameters and unlinkables of a trained model."""
    charts: dict[str, SplinkChart[Any]] = {
        "match_weights": linker.visualisations.match_weights_chart(),
        "m_u_parameters": linker.visualisations.m_u_parameters_chart(),
        "unlinkables": linker.evaluation.unlinkables_chart(),
    }
    return {
        name: _write(charts_dir / f"{version}-{name}.html", chart.to_html(inline=True))
        for name, chart in charts.items()
    }


def waterfall_chart(
    linker: Linker, predictions: SplinkDataFrame, charts_dir: Path, run_id: str
) -> Path | None:
    """A waterfall of a spread of scored pairs (weights only, no data values)."""
    rel = predictions.as_duckdbpyrelation()
    if rel.count("*").fetchall()[0][0] == 0:
        return None
    # A deterministic spread over the weight range: quantiles of the scored pairs.
    sample = rel.order("match_weight").to_arrow_table()
    n = sample.num_rows
    picks = sorted({int(i * (n - 1) / max(WATERFALL_PAIRS - 1, 1)) for i in range(WATERFALL_PAIRS)})
    records = [sample.slice(i, 1).to_pylist()[0] for i in picks]
    chart = linker.visualisations.waterfall_chart(records, remove_sensitive_data=True)
    return _write(charts_dir / f"{run_id}-waterfall.html", chart.to_html(inline=True))
