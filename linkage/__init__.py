"""Probabilistic linkage of encoded records into pseudonymous persons with stable keys.

Public API (imported lazily, so ``import linkage.encoding`` in the partner client never pulls
in Splink):

* :func:`run_linkage` - one run: reuse or train the model, link, assign keys, write tables.
* :func:`ensure_model` - the model asset: reuse the saved model or train a new one.
* :func:`evaluate` - pairwise and B-cubed accuracy and blocking recall against a ground truth.
* :func:`truth_from_crosswalks` - that ground truth, from the region's truth.csv and the
  partners' crosswalks (the demo has both; the hub never does).
* :class:`LinkageSettings`, :class:`LinkageResult`, :class:`Churn`, :class:`Metrics`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkage.accuracy import Metrics, evaluate, truth_from_crosswalks
    from linkage.keys import Churn
    from linkage.run import LinkageResult, ModelResult, ensure_model, run_linkage
    from linkage.settings import LinkageSettings

_EXPORTS = {
    "run_linkage": "linkage.run",
    "ensure_model": "linkage.run",
    "LinkageResult": "linkage.run",
    "ModelResult": "linkage.run",
    "evaluate": "linkage.accuracy",
    "truth_from_crosswalks": "linkage.accuracy",
    "Metrics": "linkage.accuracy",
    "Churn": "linkage.keys",
    "LinkageSettings": "linkage.settings",
}
__all__ = [
    "Churn",
    "LinkageResult",
    "LinkageSettings",
    "Metrics",
    "ModelResult",
    "ensure_model",
    "evaluate",
    "run_linkage",
    "truth_from_crosswalks",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'linkage' has no attribute {name!r}")
