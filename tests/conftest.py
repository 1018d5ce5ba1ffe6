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


@pytest.fixture
async def store(sqlite_store: SqliteStore) -> SqliteStore:
    return sqlite_store
