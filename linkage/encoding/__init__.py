"""Encoding spec: normalisation and keyed encodings. Import-light: no Splink, no Dagster."""
