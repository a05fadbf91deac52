"""The trained model as a typed object: Splink's own model JSON, with the keys the hub reads.

Splink saves and loads a model as one JSON document (``Linker.misc.save_model_to_json``); the
hub adjusts its parameters after training (``linkage.model``), ports its SQL between engines
(``linkage.backends.port_model``) and reads its blocking rules (``linkage.link``). These
``TypedDict``s type that same document, so it goes to Splink as it is, with no conversion and
no second schema to keep in step with Splink's: keys the hub never reads stay untyped extras.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict, cast


class Level(TypedDict, total=False):
    """One comparison level: its SQL condition and, once trained, its m and u."""

    sql_condition: str
    label_for_charts: str
    m_probability: float
    u_probability: float
    fix_m_probability: bool
    fix_u_probability: bool
    is_null_level: bool
    tf_adjustment_column: str
    tf_adjustment_weight: float


class Comparison(TypedDict, total=False):
    output_column_name: str
    comparison_description: str
    comparison_levels: list[Level]


class BlockingRuleSpec(TypedDict, total=False):
    blocking_rule: str
    sql_dialect: str
    # Composite (And/Or) rules keep their parts.
    blocking_rules: list[Any]


class SplinkModel(TypedDict, total=False):
    """A saved Splink model (settings and trained parameters)."""

    link_type: str
    sql_dialect: str
    probability_two_random_records_match: float
    blocking_rules_to_generate_predictions: list[str | BlockingRuleSpec]
    comparisons: list[Comparison]
    unique_id_column_name: str
    source_dataset_column_name: str
    additional_columns_to_retain: list[str]


def from_splink(settings: dict[str, Any]) -> SplinkModel:
    """Splink's model dict as a :class:`SplinkModel` (Splink's own output: trusted shape)."""
    if "comparisons" not in settings:
        raise ValueError("not a Splink model: it has no 'comparisons'")
    return cast(SplinkModel, settings)


def to_splink(model: SplinkModel) -> dict[str, Any]:
    """The model as the plain dict Splink's ``Linker`` takes (the same object)."""
    return cast(dict[str, Any], model)


def read_model(path: Path) -> SplinkModel:
    """A model JSON file as a :class:`SplinkModel` (extra top-level keys are kept)."""
    loaded = json.loads(path.read_text())
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: not a model (expected a JSON object)")
    return from_splink(loaded)


def copy_model(model: SplinkModel) -> SplinkModel:
    """A deep copy (Splink and the hub's adjustments change models in place)."""
    return from_splink(json.loads(json.dumps(model)))
