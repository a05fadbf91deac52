"""Label-free accuracy: the link threshold and a run's precision, recall and F1, from the
model's match probabilities alone (the hub has no ground truth).

Each scored pair is a match with its probability p, so over the scored pairs sum(p) is the
expected number of matches and, over the pairs a run links, sum(p) the expected true links.
This holds as far as the probabilities are calibrated; ``benchmarks/linkage_accuracy.py``
prints the estimate beside the truth on every synthetic profile to show how far that is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from linkage.records import sql

# Pairs are scored down to this probability so that sum(p) sees (almost) every match; pairs
# below it add less than 0.001 each.
ESTIMATE_FLOOR = 0.001


@dataclass(frozen=True)
class AccuracyEstimate:
    """Expected pairwise accuracy of a set of links, from match probabilities."""

    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    expected_matches: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return (
            f"estimated precision {self.precision:.4f}  recall {self.recall:.4f}  "
            f"F1 {self.f1:.4f} (no ground truth: from the match probabilities)"
        )


@dataclass(frozen=True)
class ThresholdChoice:
    """The link threshold the model's probabilities support, and what it is expected to give."""

    threshold: float
    expected_precision: float
    expected_recall: float
    expected_f1: float


def choose_threshold(
    con: duckdb.DuckDBPyConnection,
    *,
    min_precision: float,
    bounds: tuple[float, float],
    fallback: float,
) -> ThresholdChoice:
    """The match probability that maximises expected F1 among thresholds whose expected
    precision is at least ``min_precision``, over view ``scored`` on ``con``, clamped to
    ``bounds``; ``fallback`` when nothing was scored.
    """
    row = con.execute(
        sql("threshold_curve"),
        {"min_precision": min_precision, "lo": bounds[0], "hi": bounds[1]},
    ).fetchone()
    if row is None:
        return ThresholdChoice(fallback, float("nan"), float("nan"), float("nan"))
    return ThresholdChoice(*(float(v) for v in row))


def estimate_accuracy(con: duckdb.DuckDBPyConnection) -> AccuracyEstimate:
    """Expected pairwise precision, recall and F1 of ``full_clusters``, from view ``scored``."""
    predicted, tp, matches = con.execute(sql("accuracy_estimate")).fetchall()[0]
    precision = tp / predicted if predicted else 1.0
    recall = tp / matches if matches else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return AccuracyEstimate(
        precision=round(precision, 6),
        recall=round(recall, 6),
        f1=round(f1, 6),
        predicted_pairs=int(predicted),
        expected_matches=round(float(matches), 3),
    )
