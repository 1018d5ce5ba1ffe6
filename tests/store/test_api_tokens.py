"""API tokens in the store (both implementations): last use, revocation, and the migration
that added last use to databases created before it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.store.migrations import MIGRATIONS
from core.store.models import ApiToken
from core.store.postgres import PostgresStore
from core.store.sqlite import SqliteStore, engine, ts


async def test_last_use_is_recorded_listed_and_reset_by_a_new_token(
    store: SqliteStore, clock: FixedClock
) -> None:
    await store.add_api_token(ApiToken("ci", "a" * 64, clock.now()))
    found = await store.lookup_api_token("a" * 64)
    assert found is not None and found.last_used_at is None
    used = clock.now() + timedelta(minutes=5)
    await store.touch_api_token("a" * 64, used)
    found = await store.lookup_api_token("a" * 64)
    assert found is not None and found.last_used_at == used
    assert [(t.name, t.last_used_at) for t in await store.list_api_tokens()] == [("ci", used)]
    # The same name again is a new secret: the old one no longer matches, its use is gone.
    await store.add_api_token(ApiToken("ci", "b" * 64, clock.now()))
    assert await store.lookup_api_token("a" * 64) is None
    renewed = await store.lookup_api_token("b" * 64)
    assert renewed is not None and renewed.last_used_at is None
    # A late touch with the old hash does not land on the new token.
    await store.touch_api_token("a" * 64, used)
    assert (await store.list_api_tokens())[0].last_used_at is None


async def test_revoked_token_is_gone(store: SqliteStore, clock: FixedClock) -> None:
    await store.add_api_token(ApiToken("ci", "a" * 64, clock.now()))
    await store.add_api_token(ApiToken("ops", "c" * 64, clock.now()))
    assert await store.delete_api_token("ci") is True
    assert await store.lookup_api_token("a" * 64) is None
    assert [t.name for t in await store.list_api_tokens()] == ["ops"]
    assert await store.delete_api_token("ci") is False


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
        assert found is not None and found.last_used_at == clock.now()
        versions = await store.run(
            lambda c: [r[0] for r in c.execute("SELECT version FROM schema_version").fetchall()]
        )
        assert max(versions) == len(MIGRATIONS) >= version
