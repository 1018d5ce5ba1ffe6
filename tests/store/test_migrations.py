"""Migrations on a database that already has data: a store opened on a database made by an
earlier schema version migrates it and keeps its rows (both store implementations)."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.store.migrations import MIGRATIONS
from core.store.models import ApiToken
from core.store.postgres import PostgresStore
from core.store.sqlite import SqliteStore, engine, ts
from core.store.sqlite.message_log import ID_BLOCK

StoreFactory = Callable[[], SqliteStore]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def reopenable(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Makes store objects over one database, so a test can close and open it again."""
    if request.param == "sqlite":
        path = str(tmp_path / "csms.db")
        return lambda: SqliteStore(path)
    import psycopg

    dsn = request.getfixturevalue("postgres_cluster")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    database = dsn.rsplit("/", 1)[0] + f"/{name}"
    return lambda: PostgresStore(database)


@asynccontextmanager
async def opened(factory: StoreFactory) -> AsyncIterator[SqliteStore]:
    store = factory()
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def test_migration_adds_last_use_to_existing_tokens(
    reopenable: StoreFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = next(i for i, m in enumerate(MIGRATIONS, 1) if "last_used_at" in m)
    # A database as it was before the migration: its tokens have no last-use column.
    with monkeypatch.context() as before:
        before.setattr(engine, "MIGRATIONS", MIGRATIONS[: version - 1])
        async with opened(reopenable) as old:
            await old.run(
                lambda c: c.execute(
                    "INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?,?,?)",
                    ("ci", "a" * 64, ts(clock.now())),
                )
            )
    async with opened(reopenable) as store:
        assert await store.list_api_tokens() == [ApiToken("ci", "a" * 64, clock.now(), None)]
        await store.touch_api_token("a" * 64, clock.now())
        found = await store.lookup_api_token("a" * 64)
        assert found is not None
        assert found.last_used_at == clock.now()
        versions = await store.run(
            lambda c: [r[0] for r in c.execute("SELECT version FROM schema_version").fetchall()]
        )
        assert max(versions) == len(MIGRATIONS) >= version


async def test_the_message_log_s_station_index_is_the_one_its_queries_use(tmp_path: Path) -> None:
    """The index's block expression and the queries' (core/store/sqlite/message_log.py) must be
    the same text, or a station's messages are found by a scan of the whole log."""
    path = str(tmp_path / "csms.db")
    async with SqliteStore(path):
        pass
    with contextlib.closing(sqlite3.connect(path)) as c:
        block = f"(id / {ID_BLOCK})"  # a constant of the store's, as its queries write it
        plan = c.execute(
            f"EXPLAIN QUERY PLAN SELECT * FROM message_log WHERE {block} = ?"  # noqa: S608
            " AND station_id = ? ORDER BY id DESC LIMIT ?",
            (1, "cs1", 5),
        ).fetchall()
    details = " ".join(row[-1] for row in plan)
    assert "USING INDEX message_log_recent" in details
    assert "TEMP B-TREE" not in details  # already in id order: no sort
