"""The dj-layouts sandbox: a demo project showing every feature (see README.md)."""
