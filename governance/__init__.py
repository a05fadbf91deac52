"""Governance that no single organisation owns: proposals approved by a quorum of partners.

A change to ``config/governance.yaml`` is a *proposal* (the new text, the text it replaces and
the change in words). Partners sign it with the Ed25519 key ``carehub partner keygen`` made; it
takes effect only when a quorum written in the governance itself has signed. This package is
the shared, Dagster-free core: the hub (``warehouse/governance_flow.py``) and the partner client
(``carehub partner governance ...``, ``carehub partner open``) both verify with it.

Modules: :mod:`governance.quorum` (who votes, how many are needed), :mod:`governance.words`
(a change in plain language), :mod:`governance.proposals` (the proposal document, its kind and
expiry), :mod:`governance.approvals` (signing and checking approvals).
"""
