"""The bounded OCPP message log."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from core.store.models import FrameRow, LoggableFrame, LoggedMessage, frame_row
from core.store.sqlite.codecs import insert_rows, req_ts, ts
from core.store.sqlite.engine import SqliteEngine


class SqliteMessageLogStore(SqliteEngine):
    async def log_messages(self, messages: Sequence[LoggableFrame]) -> None:
        await self.log_frames([frame_row(m) for m in messages])

    async def log_frames(self, frames: Sequence[FrameRow]) -> None:
        rows = [(frame[0], ts(frame[1]), *frame[2:]) for frame in frames]  # the time as text
        self._logged_since_trim += len(rows)
        trim = self._logged_since_trim >= 1000
        if trim:
            self._logged_since_trim = 0
        keep = self.message_log_retention

        def job(c: sqlite3.Connection) -> None:
            insert_rows(
                c,
                "INSERT INTO message_log (station_id, at, direction, message_type, message_id,"
                " action, payload, error_code, error_description)",
                rows,
            )
            if trim:
                c.execute(
                    "DELETE FROM message_log WHERE id <= (SELECT MAX(id) FROM message_log) - ?",
                    (keep,),
                )

        await self.run(job)

    async def list_messages(
        self,
        station_id: str | None = None,
        action: str | None = None,
        direction: str | None = None,
        since: datetime | None = None,
        before_id: int | None = None,
        errors_only: bool = False,
        limit: int = 100,
    ) -> list[LoggedMessage]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("station_id", station_id),
            ("action", action),
            ("direction", direction),
        ):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if since is not None:
            where.append("at >= ?")
            args.append(ts(since))
        if before_id is not None:
            where.append("id < ?")
            args.append(before_id)
        if errors_only:
            where.append("message_type=4")
        if station_id is not None:
            where.insert(0, f"(id / {ID_BLOCK}) = ?")  # the index's first column: see _by_block
        condition = " AND ".join(where) or "1=1"
        sql = (
            "SELECT station_id, at, direction, message_type, message_id, action, payload,"
            f" error_code, error_description, id FROM message_log WHERE {condition}"
            " ORDER BY id DESC LIMIT ?"
        )

        def job(c: sqlite3.Connection) -> list[LoggedMessage]:
            if station_id is None:
                rows = c.execute(sql, (*args, limit)).fetchall()
            else:
                rows = _by_block(c, sql, args, before_id, limit)
            return [
                LoggedMessage(
                    station_id=r[0],
                    at=req_ts(r[1]),
                    direction=r[2],
                    message_type=r[3],
                    message_id=r[4],
                    action=r[5],
                    payload=None if r[6] is None else orjson.loads(r[6]),
                    error_code=r[7],
                    error_description=r[8],
                    id=r[9],
                )
                for r in rows
            ]

        return await self.run(job)

    async def trim_messages(self, keep: int, older_than: datetime | None = None) -> int:
        def job(c: sqlite3.Connection) -> int:
            removed = c.execute(
                "DELETE FROM message_log WHERE id <= (SELECT MAX(id) FROM message_log) - ?", (keep,)
            ).rowcount
            if older_than is not None:
                removed += c.execute(
                    "DELETE FROM message_log WHERE at < ?", (ts(older_than),)
                ).rowcount
            return int(removed)

        return await self.run(job)


# The per-station index is on (id / ID_BLOCK, station_id, id) (migration in core/store/
# migrations.py; the figure must be the one written there). Keyed by station first, a batch of
# frames from many stations wrote into as many places in the index as it had stations, and the
# trim of the oldest rows removed from as many again; keyed by block first, a batch writes at the
# end of the index and the trim removes from its start, as for the table itself. A station's
# newest messages are then found block by block, newest first: a handful of index searches for
# the default retention (100,000 rows, 13 blocks), and one for a station that talks.
ID_BLOCK = 8192


def _by_block(
    c: sqlite3.Connection, sql: str, args: list[Any], before_id: int | None, limit: int
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (its first condition the block), newest first, up to ``limit``."""
    low, high = c.execute("SELECT MIN(id), MAX(id) FROM message_log").fetchone()
    if low is None:
        return []
    if before_id is not None:
        high = min(high, before_id - 1)
    rows: list[tuple[Any, ...]] = []
    block = high // ID_BLOCK
    while block >= low // ID_BLOCK and len(rows) < limit:
        rows += c.execute(sql, (block, *args, limit - len(rows))).fetchall()
        block -= 1
    return rows
