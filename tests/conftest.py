"""Root fixtures: a fixed clock and a real SQLite store (no in-memory fake to drift)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.store.postgres import PostgresStore
from core.store.sqlite import SqliteStore
from tests.fixtures.services import run_postgres


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


@pytest.fixture(scope="session")
def postgres_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_postgres(tmp_path_factory.mktemp("pg")) as dsn:
        yield dsn


@pytest.fixture
async def postgres_store(postgres_cluster: str) -> AsyncIterator[PostgresStore]:
    """A fresh database in the session's cluster for each test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_cluster, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    store = PostgresStore(postgres_cluster.rsplit("/", 1)[0] + f"/{name}")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """The store contract suite's store: one param per implementation."""
    if request.param == "sqlite":
        impl: SqliteStore = SqliteStore(str(tmp_path / "csms.db"))
        await impl.open()
    else:
        dsn = request.getfixturevalue("postgres_cluster")
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        impl = PostgresStore(dsn.rsplit("/", 1)[0] + f"/{name}")
        await impl.open()
    try:
        yield impl
    finally:
        await impl.close()
