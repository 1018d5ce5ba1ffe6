"""Build the configured store."""

from __future__ import annotations

from core.config import StorageConfig
from core.store.protocols import Store


async def open_store(config: StorageConfig) -> Store:
    """Open (and migrate) the store the configuration names."""
    if config.type == "postgres":
        from core.store.postgres import PostgresStore

        pg: Store = PostgresStore(
            config.postgres.dsn, message_log_retention=config.message_log_retention
        )
        await pg.open()
        return pg
    from core.store.sqlite import SqliteStore

    store = SqliteStore(config.sqlite.path, message_log_retention=config.message_log_retention)
    await store.open()
    return store
