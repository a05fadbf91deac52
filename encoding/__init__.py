"""The encoding spec: normalisation and keyed encodings, run by partners at home.

Import-light (polars, cryptography; no Splink, Dagster or Great Expectations) and below every
part that uses it: the partner client encodes with it and the hub's linkage compares what it
made. Import from the module that holds a name::

    from encoding.encoder import encode_persons, EncodingSettings
    from encoding.keys import EncodingKeys, key_fingerprint, derive_key

The column names it writes are the submission contract's (``contract/spec.py``).
"""
