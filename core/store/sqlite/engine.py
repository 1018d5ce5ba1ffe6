"""The SQLite store's engine: one connection on one writer thread, with group commit.

Every operation is a job run on the store's thread. The thread drains the queue, runs all waiting
jobs inside ONE transaction (a failing job fails only its own caller: the batch is then run again
with a SAVEPOINT per job, see ``_run_together``), commits, and only then resolves the callers'
futures. A handler that awaits a write therefore answers the station after the commit it
acknowledges, while a burst of messages costs one commit instead of one per message (one durable
commit per message tops out at ~4-7k/s here).

WAL with ``synchronous=NORMAL``: consistent and durable across application crashes; the latest
commits may be lost on an OS crash, in which case the station never got its answer and retries.
The log is copied back into the database by checkpoints made beside the writer, not in its
commits (checkpoint.py).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self, TypeVar

from core.store.migrations import MIGRATIONS
from core.store.sqlite.checkpoint import Checkpointer

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
_Outcome = tuple[bool, Any]  # (succeeded, result or exception)

_MAX_BATCH = 1000
# Runs of a batch that another writer got in the way of (PostgreSQL's deadlocks between
# managers' batches), before its failed job is given the error.
_TRANSIENT_TRIES = 3


@dataclass(slots=True)
class _Pending:
    job: Job
    future: asyncio.Future[Any]


class SqliteEngine:
    """The writer thread and its group commit; the store roles are mixins over it."""

    # Dialect hooks (see core.store.postgres): the SQL text is shared by both stores.
    SKIP_LOCKED = ""
    # A row read to be changed in the same job: locked where jobs run side by side (PostgreSQL,
    # several managers), so that a twin job (a resent message handled twice at once) waits and
    # then sees this one's change; SQLite's one writer runs jobs one at a time.
    FOR_UPDATE = ""

    def __init__(self, path: str = "csms.db", message_log_retention: int = 100_000) -> None:
        self.path = path
        # The message log's retention (see message_log.py) is set here, with the rest of the
        # store's configuration, so that no role mixin needs an __init__ of its own.
        self.message_log_retention = message_log_retention
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._logged_since_trim = 0
        # Last-seen times not yet handed to the writer (see runtime.py: note_seen), by station
        # id; held here for the same reason as the retention above.
        self._seen: dict[str, datetime] = {}
        self._seen_flush: asyncio.TimerHandle | None = None
        self.batches = 0  # observability: commits made
        self.jobs = 0
        self._wal = False  # what the database's journal mode is (":memory:" has none)
        self.checkpointer: Checkpointer | None = None

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="sqlite-store", daemon=True
        )
        self._thread.start()
        await ready
        if self._wal:
            self.checkpointer = Checkpointer(self.path)
            self.checkpointer.start()

    async def close(self) -> None:
        if self._thread is None:
            return
        await self._flush_deferred()
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)
            self.checkpointer = None
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _connect(self) -> sqlite3.Connection:
        # A larger statement cache than the default 128: the roles' statements, and insert_rows'
        # sizes of its multi-row inserts, must not push each other out (re-preparing costs).
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=512
        )
        self._wal = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        conn.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints are the Checkpointer's, on a thread and connection of its own (see
        # checkpoint.py): made in a commit, they held that commit's stations for two fsyncs.
        # The log goes back to 16 MiB on disk when it starts again.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("PRAGMA journal_size_limit=16777216")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            conn.execute("BEGIN IMMEDIATE")
            if callable(script):
                script(conn)
            else:
                for statement in script.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            conn.execute("COMMIT")
            log.info("store migrated to schema version %d", version)

    def _run(self, ready: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            conn = self._connect()
            self._migrate(conn)
        except Exception as exc:  # noqa: BLE001 — handed to open(), which raises it
            error = exc
            loop.call_soon_threadsafe(_settle, ready, error)
            return
        loop.call_soon_threadsafe(_settle, ready, None)
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._run_batch(conn, batch, loop)
        conn.close()

    def _run_batch(
        self, conn: sqlite3.Connection, batch: list[_Pending], loop: asyncio.AbstractEventLoop
    ) -> None:
        try:
            outcomes = self._run_together(conn, batch)
        except Exception as exc:  # the commit itself failed: every job in the batch failed
            log.exception("sqlite batch of %d failed", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        self.batches += 1
        self.jobs += len(batch)
        loop.call_soon_threadsafe(_resolve, batch, outcomes)

    def _run_together(self, conn: sqlite3.Connection, batch: list[_Pending]) -> list[_Outcome]:
        """All jobs in one transaction, without a savepoint each: jobs nearly never fail, and
        two statements more per job (with the GIL taken back after each) were a third of the
        writer's statements. When one fails, the transaction is rolled back and the batch run
        again with a savepoint per job, without the failed one — each of the others then sees
        what it would have seen had every job had its savepoint from the start. A failure that
        says only that another writer got in the way (``transient``) runs the batch again,
        whole, first."""
        tries = 1
        while True:
            conn.execute("BEGIN IMMEDIATE")
            outcomes: list[_Outcome] = []
            failed: tuple[int, Exception] | None = None
            for index, pending in enumerate(batch):
                try:
                    outcomes.append((True, pending.job(conn)))
                except Exception as exc:  # noqa: BLE001 — whatever a job raises is its caller's
                    conn.execute("ROLLBACK")
                    failed = (index, exc)
                    break
            if failed is None:
                conn.execute("COMMIT")
                return outcomes
            index, error = failed
            if self.transient(error) and tries < _TRANSIENT_TRIES:
                tries += 1
                log.info("a store batch ran into another writer (%s): run again", error)
                continue
            if len(batch) == 1:
                return [(False, error)]
            return self._run_apart(conn, batch, index, error)

    @staticmethod
    def transient(exc: Exception) -> bool:
        """Whether ``exc`` says only that another writer got in the way, so that the same
        jobs run again may well succeed: never with SQLite's one writer (PostgreSQL's
        deadlocks and serialization failures: core/store/postgres.py)."""
        return False

    def _run_apart(
        self, conn: sqlite3.Connection, batch: list[_Pending], failed: int, error: Exception
    ) -> list[_Outcome]:
        conn.execute("BEGIN IMMEDIATE")
        outcomes: list[_Outcome] = []
        for index, pending in enumerate(batch):
            if index == failed:
                outcomes.append((False, error))
                continue
            conn.execute("SAVEPOINT job")
            try:
                outcomes.append((True, pending.job(conn)))
                conn.execute("RELEASE job")
            except Exception as exc:  # noqa: BLE001 — whatever a job raises is its caller's
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((False, exc))
        conn.execute("COMMIT")
        return outcomes

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` on the store thread; returns after its transaction committed."""
        return await self.submit(job)

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue ``job`` for the store thread; the future resolves after its commit. Jobs run
        in the order they were submitted, so a read submitted later sees this write."""
        loop = self._loop
        if loop is None or self._thread is None:
            raise RuntimeError("store is not open")
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(job, future))
        return future

    async def _flush_deferred(self) -> None:
        """Hand the writer what the roles hold back to write in bulk (closing: nothing lost)."""


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _resolve(batch: list[_Pending], outcomes: list[_Outcome]) -> None:
    for pending, (ok, value) in zip(batch, outcomes, strict=True):
        if pending.future.done():  # the caller was cancelled
            continue
        if ok:
            pending.future.set_result(value)
        else:
            pending.future.set_exception(value)
