"""The partner client: normalise, encode, package, keygen, open extracts.

Needs neither Dagster, Great Expectations nor Splink, and imports no hub package
(``warehouse``, ``linkage``, ``quality``): only ``contract``, ``encoding``, ``kernel`` and
``governance``. Import from the module that holds a name, e.g.
``from partner.encode import encode_partner``.
"""
