"""Splink's diagnostic charts as self-contained HTML files under ``models/charts/``.

Charts show parameters and match weights only: the waterfall is built with Splink's
``remove_sensitive_data=True``, so no token, Bloom word or pseudonym appears in it. They work
offline and offer no way out: see :func:`offline_html`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
from splink import Linker
from splink.internals.charts import SplinkChart
from splink.internals.html_utils import chart_html
from splink.internals.splink_dataframe import SplinkDataFrame

log = logging.getLogger(__name__)
WATERFALL_PAIRS = 12
_RANK = "carehub_waterfall_rank"
_PAIR_KEYS = ("partner_id_l", "record_pseudonym_l", "partner_id_r", "record_pseudonym_r")


def _write(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def offline_html(chart: SplinkChart[Any]) -> str:
    """The chart as one HTML page that fetches nothing and links nowhere.

    Splink's pinned vega, vega-lite and vega-embed are inlined (``inline=True``). The spec loses
    its ``$schema`` URL (vega-embed tells a vega-lite spec by its keys), and vega-embed's
    actions menu is off through the spec's ``usermeta.embedOptions``: its "Open in Vega
    Editor" would post the chart, weights and all, to an outside site.
    """
    spec = dict(chart.chart_dict)
    spec.pop("$schema", None)
    spec["usermeta"] = {**spec.get("usermeta", {}), "embedOptions": {"actions": False}}
    return str(chart_html(spec, inline=True, fullhtml=True))  # type: ignore[no-untyped-call]


def model_charts(linker: Linker, charts_dir: Path, version: str) -> dict[str, Path]:
    """Match weights, m/u parameters and unlinkables of a trained model."""
    charts: dict[str, SplinkChart[Any]] = {
        "match_weights": linker.visualisations.match_weights_chart(),
        "m_u_parameters": linker.visualisations.m_u_parameters_chart(),
        "unlinkables": linker.evaluation.unlinkables_chart(),
    }
    return {
        name: _write(charts_dir / f"{version}-{name}.html", offline_html(chart))
        for name, chart in charts.items()
    }


def waterfall_chart(
    linker: Linker, predictions: SplinkDataFrame, charts_dir: Path, run_id: str
) -> Path | None:
    """A waterfall of a spread of scored pairs (weights only, no data values)."""
    rel = predictions.as_duckdbpyrelation()
    n = int(rel.count("*").fetchall()[0][0])
    if n == 0:
        return None
    # A deterministic spread over the weight range: quantiles of the scored pairs. Only the
    # picked rows leave DuckDB (a million scored pairs with their Bloom words would not fit).
    picks = sorted({int(i * (n - 1) / max(WATERFALL_PAIRS - 1, 1)) for i in range(WATERFALL_PAIRS)})
    # Rank a narrow projection (keys and weight), then fetch the picked rows whole: sorting the
    # scored pairs with all their compared columns costs seconds at a million records.
    keys = ", ".join(_PAIR_KEYS)
    ranked = rel.project(
        f"{keys}, row_number() OVER (ORDER BY match_weight, {keys}) - 1 AS {_RANK}"
    )
    picked = ranked.filter(
        duckdb.ColumnExpression(_RANK).isin(*(duckdb.ConstantExpression(i) for i in picks))
    )
    sample = (
        rel.join(picked.set_alias("picked"), condition=list(_PAIR_KEYS))
        .order(_RANK)
        .to_arrow_table()
        .drop_columns([_RANK])
    )
    records = sample.to_pylist()
    chart = linker.visualisations.waterfall_chart(records, remove_sensitive_data=True)
    return _write(charts_dir / f"{run_id}-waterfall.html", offline_html(chart))
