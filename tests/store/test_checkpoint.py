"""WAL checkpoints beside the writer (core/store/sqlite/checkpoint.py): the writer's commits
make none, the log stays bounded under writes that never pause, and a process killed with
SIGKILL while checkpoints run keeps every commit it acknowledged."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.store.sqlite import SqliteStore
from core.store.sqlite.checkpoint import Checkpointer
from tests.store.contract.samples import AUTH

_ROW = b"x" * 2000  # half a page: every commit dirties the table's pages


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # as the store's writer has it
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, data BLOB)")
    return conn


def _write(conn: sqlite3.Connection, commits: int) -> None:
    """``commits`` commits of four pages or so, about a thousand a second (a busy store's
    writer makes a few hundred), with no pause long enough for a checkpoint to catch up."""
    for _ in range(commits):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t (data) VALUES (?)", [(_ROW,)] * 8)
        conn.execute("COMMIT")
        time.sleep(0.001)


def _log_pages(path: Path) -> int:
    """How long the log is now (a passive checkpoint reports it, and copies it back)."""
    conn = sqlite3.connect(path)
    pages: int = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    conn.close()
    return pages


def test_without_checkpoints_the_log_grows(tmp_path: Path) -> None:
    # The control for the test below: the writer alone never copies its log back.
    path = tmp_path / "db.sqlite"
    conn = _writer(path)
    _write(conn, 500)
    assert _log_pages(path) > 1000
    conn.close()


def test_the_log_stays_bounded_under_writes_that_never_pause(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    conn = _writer(path)
    checkpointer = Checkpointer(str(path), every=0.02, restart_pages=100)
    checkpointer.start()
    try:
        _write(conn, 500)
    finally:
        checkpointer.stop()
    assert checkpointer.passive > 5
    assert checkpointer.restarts >= 1
    # A restarted log is written again from its start: it holds what came since, never
    # much more than the bound and one tick's writes.
    assert checkpointer.most_pages < 400
    assert _log_pages(path) < 400
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 500 * 8
    conn.close()


async def test_the_stores_writer_makes_no_checkpoint_of_its_own(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "csms.db"))
    await store.open()
    try:
        assert await store.run(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        assert store.checkpointer is not None
        await store.register_station("cs1", AUTH, FixedClock().now())
        await asyncio.sleep(store.checkpointer.every * 2.5)
        assert store.checkpointer.passive >= 1
    finally:
        await store.close()
    assert store.checkpointer is None
    assert not Path(f"{store.path}-wal").exists()  # the last connection's close copied it back


async def test_an_in_memory_store_has_no_checkpointer() -> None:
    async with SqliteStore(":memory:") as store:
        assert store.checkpointer is None


_KILLED = textwrap.dedent(
    """
    import sqlite3, sys
    from core.store.sqlite.checkpoint import Checkpointer
    path = sys.argv[1]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)")
    Checkpointer(path, every=0.005, restart_pages=50).start()
    n = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t (id, data) VALUES (?, ?)",
                         [(n * 8 + i, b"x" * 2000) for i in range(8)])
        conn.execute("COMMIT")
        n += 1
        print(n, flush=True)  # acknowledged: committed
    """
)


def test_a_process_killed_during_checkpoints_keeps_every_acknowledged_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    acknowledged = 0
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 1500:  # well past several restarts of the log
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = conn.execute("SELECT COUNT(*), MAX(id) FROM t").fetchone()
    conn.close()
    assert stored[0] >= acknowledged * 8
    assert stored[0] == stored[1] + 1  # no gap: no commit lost in the middle either


def test_a_checkpointer_that_cannot_open_the_database_says_so_and_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = Checkpointer(str(tmp_path / "gone" / "db.sqlite"), every=0.01)
    with caplog.at_level(logging.ERROR, logger="core.store.sqlite.checkpoint"):
        checkpointer.start()
        checkpointer.stop()  # returns: the thread ended on its own
    assert "its WAL is not checkpointed" in caplog.text
    assert checkpointer.passive == 0
