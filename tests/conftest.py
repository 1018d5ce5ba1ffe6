"""Root fixtures: a fixed clock and a real SQLite store (no in-memory fake to drift)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.store.sqlite import SqliteStore


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(str(tmp_path / "csms.db"))
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture(params=["sqlite"])
async def store(request: pytest.FixtureRequest, sqlite_store: SqliteStore) -> SqliteStore:
    """The store contract suite's store: one param per implementation (PostgreSQL joins here)."""
    assert request.param == "sqlite"
    return sqlite_store
