"""Probabilistic linkage of encoded records into pseudonymous persons with stable keys.

Public API, imported from the module that holds it (``linkage.run``, ``linkage.accuracy``,
``linkage.keys``, ``linkage.settings``), so that importing one light module never pulls in
Splink:

* :func:`run_linkage` - one run: reuse or train the model, link, assign keys, write tables.
* :func:`ensure_model` - the model asset: reuse the saved model or train a new one.
* :func:`evaluate` - pairwise and B-cubed accuracy and blocking recall against a ground truth.
* :func:`truth_from_crosswalks` - that ground truth, from the region's truth.csv and the
  partners' crosswalks (the demo has both; the hub never does).
* :class:`LinkageSettings`, :class:`LinkageResult`, :class:`Churn`, :class:`Metrics`.
"""
