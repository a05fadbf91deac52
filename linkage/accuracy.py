"""Accuracy against a ground truth: for benchmarks and the demo, never for the hub itself.

The hub never knows who is who; the demo and the benchmarks do, because they generated the
region. ``truth`` maps each ``(partner_id, record_pseudonym)`` to a ``resident_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, get_args

import duckdb
import polars as pl

from linkage.records import DEFAULT_RELATION, read_records, sql
from linkage.settings import BlockColumn, BlockingRule, LinkageSettings

_BLOCK_COLUMNS = {c for part in get_args(BlockColumn) for c in get_args(part)}


@dataclass(frozen=True)
class Metrics:
    """Pairwise and cluster-level accuracy, and the recall of the blocking rules."""

    records: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    blocking_recall: float | None
    blocking_recall_by_rule: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"pairwise precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}",
            f"B-cubed precision {self.bcubed_precision:.4f}  recall {self.bcubed_recall:.4f}  "
            f"F1 {self.bcubed_f1:.4f}",
        ]
        if self.blocking_recall is not None:
            out.append(
                f"blocking recall {self.blocking_recall:.4f} over {self.true_pairs} true pairs"
            )
        return out


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _condition(rule: BlockingRule) -> str:
    for column in rule.columns:
        if column not in _BLOCK_COLUMNS:
            raise ValueError(f"blocking rule column {column!r} is not an encoded column")
    return "(" + " AND ".join(f"l.{c} = r.{c}" for c in rule.columns) + ")"


def blocking_recall(
    con: duckdb.DuckDBPyConnection, rules: tuple[BlockingRule, ...]
) -> tuple[float | None, dict[str, float]]:
    """Share of true pairs that any rule finds, and that each rule finds.

    Reads the temp view ``eval_sides`` (see ``sql/eval_sides.sql``).
    """
    # Column names come from the allow-list of encoded columns; nothing here is a value.
    any_rule = " OR ".join(_condition(r) for r in rules)
    per_rule = ", ".join(f"avg(CASE WHEN {_condition(r)} THEN 1.0 ELSE 0.0 END)" for r in rules)
    query = (
        f"SELECT count(*), avg(CASE WHEN {any_rule} THEN 1.0 ELSE 0.0 END), {per_rule} "  # noqa: S608
        "FROM eval_sides AS l JOIN eval_sides AS r ON l.resident_id = r.resident_id "
        "AND l.partner_id || ':' || l.record_pseudonym < r.partner_id || ':' || r.record_pseudonym"
    )
    row = con.execute(query).fetchall()[0]
    if not row[0]:
        return None, {}
    return float(row[1]), {r.name: float(v) for r, v in zip(rules, row[2:], strict=True)}


def evaluate(
    con: duckdb.DuckDBPyConnection,
    truth: Any,
    *,
    relation: str | None = DEFAULT_RELATION,
    settings: LinkageSettings | None = None,
) -> Metrics:
    """Score the current answer (``linkage.person_records``) against ``truth``.

    Args:
        con: the hub connection, after :func:`linkage.run_linkage`.
        truth: a polars/pandas/Arrow frame with ``partner_id``, ``record_pseudonym``,
            ``resident_id``.
        relation: the encoded records (for blocking recall; None skips it).
        settings: whose blocking rules to measure (defaults otherwise).

    Returns:
        Pairwise precision/recall/F1, B-cubed precision/recall/F1, blocking recall.
    """
    settings = settings or LinkageSettings()
    con.register("eval_truth_in", truth)
    con.execute(sql("load_truth"))
    con.unregister("eval_truth_in")
    row = con.execute(sql("evaluate_clusters")).fetchall()[0]
    records, predicted, true, tp = (int(v or 0) for v in row[:4])
    bp, br = float(row[4] or 0.0), float(row[5] or 0.0)
    recall_all: float | None = None
    by_rule: dict[str, float] = {}
    if relation is not None:
        con.register("eval_records", read_records(con, relation))
        con.execute(sql("eval_sides"))
        recall_all, by_rule = blocking_recall(con, settings.blocking)
        con.unregister("eval_records")
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    return Metrics(
        records=records,
        true_pairs=true,
        predicted_pairs=predicted,
        true_positive_pairs=tp,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=_f1(bp, br),
        blocking_recall=recall_all,
        blocking_recall_by_rule=by_rule,
    )


def truth_from_crosswalks(truth_csv: Path, crosswalks: Mapping[str, Path]) -> pl.DataFrame:
    """Ground truth keyed as the hub keys records, for :func:`evaluate` (demo, benchmarks).

    Args:
        truth_csv: the region's ``ground_truth/truth.csv`` (partner_id, source_file,
            source_record_id, resident_id), which only the generator knows.
        crosswalks: each partner's crosswalk CSV (record_pseudonym, record_id), which only
            that partner holds.

    Returns:
        ``partner_id, record_pseudonym, resident_id`` for every record found in both.
    """
    truth = pl.read_csv(truth_csv, infer_schema=False).unique(["partner_id", "source_record_id"])
    parts = []
    for partner_id, path in sorted(crosswalks.items()):
        xwalk = pl.read_csv(path, infer_schema=False).select("record_pseudonym", "record_id")
        parts.append(
            xwalk.join(
                truth.filter(pl.col("partner_id") == partner_id),
                left_on="record_id",
                right_on="source_record_id",
            ).select("partner_id", "record_pseudonym", "resident_id")
        )
    if not parts:
        return pl.DataFrame(
            schema={c: pl.String for c in ("partner_id", "record_pseudonym", "resident_id")}
        )
    return pl.concat(parts)
