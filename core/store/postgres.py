"""PostgreSQL store for the scale-out shape: the same store code and SQL as SQLite, run by
psycopg on the store's writer thread, so PostgreSQL gets the same group commit (one transaction
per batch, each caller resolved after the commit).

Dialect differences are handled here: ``?`` placeholders become ``%s``, SQLite's AUTOINCREMENT
becomes BIGSERIAL and its ``instr`` ``strpos``, claims add ``FOR UPDATE SKIP LOCKED`` (two
managers never claim the same item, and never wait for each other), and migrations run under an
advisory lock so managers starting together migrate once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from core.store.sqlite import SqliteStore

_MIGRATION_LOCK = 7_310_001


class _PgConnection:
    """The slice of the sqlite3 connection API the store uses, over a psycopg connection."""

    def __init__(self, dsn: str) -> None:
        self._conn = psycopg.connect(dsn, autocommit=True)

    @staticmethod
    def _sql(sql: str) -> str:
        if sql == "BEGIN IMMEDIATE":
            return "BEGIN"
        return (
            sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
            .replace("instr(", "strpos(")
            .replace("?", "%s")
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self._conn.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cur = self._conn.cursor()
        cur.executemany(self._sql(sql), list(rows))
        return cur

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self._conn.close()


class PostgresStore(SqliteStore):
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"
    FOR_UPDATE = " FOR UPDATE"

    @staticmethod
    def transient(exc: Exception) -> bool:
        # Two managers' batches can lock the same stations' rows in opposite orders (a message
        # redelivered to one while the other still handles it): PostgreSQL then aborts one
        # batch, which run again after the other's commit goes through.
        return isinstance(
            exc, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
        )

    def __init__(self, dsn: str, message_log_retention: int = 100_000) -> None:
        # One writer connection per process; PostgreSQL serves many managers concurrently.
        super().__init__(dsn, message_log_retention=message_log_retention)
        self.dsn = dsn

    def _connect(self) -> Any:
        return _PgConnection(self.dsn)

    def _migrate(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_lock(?)", (_MIGRATION_LOCK,))
        try:
            super()._migrate(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(?)", (_MIGRATION_LOCK,))
