"""Data tables shipped with the generator."""
