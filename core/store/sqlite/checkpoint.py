"""WAL checkpoints off the writer's path.

By default SQLite checkpoints — copies the write-ahead log back into the database file, with an
fsync before and after — inside the COMMIT that takes the log past 1,000 pages. The stations
waiting for that commit's answers then wait for the copy and both fsyncs too, and so does every
job queued behind it. The writer therefore turns automatic checkpoints off, and a thread of
this module, on a connection of its own, makes them instead:

- a PASSIVE checkpoint every ``every`` seconds copies what is committed without taking the
  write lock, so the writer goes on committing meanwhile;
- the log only starts again from its beginning once a checkpoint has copied all of it, which
  passive ones never do while writes go on; when the log passes ``restart_pages`` the thread
  makes a RESTART checkpoint, which waits for the writer's current batch and holds its next
  one for the copy of what the last passive checkpoint left (``every`` seconds of writes at
  most), so that the log stays bounded under any load.

A checkpoint that fails is logged and tried again at the next tick: the log then grows, and no
committed data is at risk (it is in the log, which every reader and a restart read).
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 0.5  # seconds between passive checkpoints
RESTART_PAGES = 16_384  # 64 MiB of 4 KiB pages: beyond it, the log is made to start again


class Checkpointer:
    """A thread that checkpoints the database at ``path`` (see the module's docstring)."""

    def __init__(
        self, path: str, every: float = CHECKPOINT_EVERY, restart_pages: int = RESTART_PAGES
    ) -> None:
        self.path, self.every, self.restart_pages = path, every, restart_pages
        self.passive = 0  # observability: checkpoints made of each kind, and the log's
        self.restarts = 0  # length in pages at the last one and at most
        self.log_pages = self.most_pages = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends the thread after the checkpoint it may be making (the writer's own close
        makes the last one)."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:  # the writer opened the file; the log then grows until it closes
            log.exception("cannot open %s to checkpoint it: its WAL is not checkpointed", self.path)
            return
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            while not self._stop.wait(self.every):
                self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            _busy, pages, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.passive += 1
            self.log_pages, self.most_pages = pages, max(pages, self.most_pages)
            if pages > self.restart_pages:
                conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                self.restarts += 1
        except sqlite3.Error:
            log.exception(
                "WAL checkpoint of %s failed; trying again in %g s", self.path, self.every
            )
