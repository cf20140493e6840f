"""Benchmarks for dj-layouts: `python bench/run.py` (or `nox -s bench`)."""
