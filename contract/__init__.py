"""The submission contract: what partners and the hub agree on, written once for both sides.

Light (stdlib, pyarrow, cryptography, and ``kernel.signing`` for the signature primitives):
the partner client and every hub package import it; it imports no other carehub package.

* ``contract.spec``: spec versions, the columns of ``persons.parquet`` / ``events.parquet`` as
  one Arrow schema each, and the DuckDB types derived from them.
* ``contract.vocabulary``: event types, categories, sexes, sectors, alert types, context flags.
* ``contract.ids``: the partner id and submission id patterns, lower-hex formats.
* ``contract.manifest``: package file names, kinds, manifest signing and its check.
* ``contract.envelope``: the hub's extract and alert envelope: formats, HPKE suite, the
  manifest signature (sign and verify), the key set's endorsements.
* ``contract.disclosure``: the small-cell threshold.
"""
