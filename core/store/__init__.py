"""Persistence: narrow role Protocols (``protocols.py``), models, and the SQLite and PostgreSQL
implementations. Handlers depend on one or two roles, never on a concrete store."""
