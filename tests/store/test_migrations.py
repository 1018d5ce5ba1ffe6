"""Migrations on a database that already has data: a store opened on a database made by an
earlier schema version migrates it and keeps its rows (both store implementations)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.store.message_packs import PACK_SLOTS
from core.store.migrations import MIGRATIONS, pack_the_message_log
from core.store.models import ApiToken, LoggedMessage, frame_row
from core.store.postgres import PostgresStore
from core.store.sqlite import SqliteStore, engine, ts

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
    version = next(
        i for i, m in enumerate(MIGRATIONS, 1) if isinstance(m, str) and "last_used_at" in m
    )
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


async def test_the_message_log_s_rows_become_packs(
    reopenable: StoreFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log of a row a frame (its shape before packs) is packed in order, nothing lost: each
    frame reads back as it was, pages and filters work, and the old table is gone."""
    version = MIGRATIONS.index(pack_the_message_log) + 1
    t0 = clock.now()
    frames = [
        LoggedMessage(
            f"cs{i % 3}",
            t0 + timedelta(seconds=i),
            "in" if i % 2 else "out",
            2,
            f"m{i}",
            "Heartbeat",
            {"i": i},
        )
        for i in range(PACK_SLOTS + 300)  # two packs
    ]
    frames.append(LoggedMessage("cs1", t0, "out", 4, "e", "", None, "NotSupported", "no"))
    with monkeypatch.context() as before:
        before.setattr(engine, "MIGRATIONS", MIGRATIONS[: version - 1])
        async with opened(reopenable) as old:
            rows = [(*frame_row(f)[:1], ts(f.at), *frame_row(f)[2:]) for f in frames]
            rows.append(("cs2", ts(t0), "in", 2, "bad", "Heartbeat", "{not json", "", ""))
            await old.run(
                lambda c: c.executemany(
                    "INSERT INTO message_log (station_id, at, direction, message_type,"
                    " message_id, action, payload, error_code, error_description)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    rows,
                )
            )
    async with opened(reopenable) as store:
        listed = await store.list_messages(limit=10_000)
        assert [replace(m, id=0) for m in reversed(listed[1:])] == frames
        assert listed[0].payload == {"notLogged": "the payload stored was not JSON"}
        assert listed[-1].id < listed[0].id
        cs1 = await store.list_messages(station_id="cs1", limit=10_000)
        assert [replace(m, id=0) for m in reversed(cs1)] == [
            f for f in frames if f.station_id == "cs1"
        ]
        errors = await store.list_messages(errors_only=True)
        assert [m.message_id for m in errors] == ["e"]
        tables = await store.run(
            lambda c: c.execute("SELECT COUNT(*) FROM message_packs").fetchone()[0]
        )
        assert tables == 2
        with pytest.raises(Exception, match="message_log"):
            await store.run(lambda c: c.execute("SELECT COUNT(*) FROM message_log").fetchone())
