"""Fixtures of the store contract suite. ``store`` itself (one param per implementation,
SQLite and PostgreSQL) comes from ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.store.sqlite import SqliteStore


@pytest.fixture
async def other_manager(store: SqliteStore) -> AsyncIterator[SqliteStore]:
    """A second store over the same database, as a second manager of a scaled-out CSMS has:
    claims must never hand one item to both."""
    twin = type(store)(store.path)
    await twin.open()
    try:
        yield twin
    finally:
        await twin.close()
