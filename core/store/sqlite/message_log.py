"""The bounded OCPP message log, kept in packs of frames (the reason, and a frame's id:
core/store/message_packs.py)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.store.message_packs import (
    INSERT_PACK,
    PACK_SLOTS,
    PackedFrame,
    needle,
    pack,
    repack,
    unpack,
)
from core.store.models import FrameRow, LoggableFrame, LoggedMessage, frame_row
from core.store.sqlite.codecs import insert_rows, req_ts, ts
from core.store.sqlite.engine import SqliteEngine

_PACKS_A_READ = 8  # pack rows fetched at a time by a read, which stops once it has its page
_PACKS_A_JOB = 24  # and in one store job: some 10 ms of the writer's time at most (see below)
# Frames logged between two trims to the retention: a twentieth of it (5,000 of the default
# 100,000, so the log holds up to 5 % more), and no fewer than 1,000. Each trim counts the
# frames of every pack.
_TRIM_EVERY_LEAST = 1000


class SqliteMessageLogStore(SqliteEngine):
    async def log_messages(self, messages: Sequence[LoggableFrame]) -> None:
        await self.log_frames([frame_row(m) for m in messages])

    async def log_frames(self, frames: Sequence[FrameRow]) -> None:
        if not frames:
            return
        self._logged_since_trim += len(frames)
        keep = self.message_log_retention
        trim = self._logged_since_trim >= max(_TRIM_EVERY_LEAST, keep // 20)
        if trim:
            self._logged_since_trim = 0

        def job(c: sqlite3.Connection) -> None:
            # Packed here, on the store's thread, rather than on the event loop's.
            rows: list[PackedFrame] = [(f[0], _at(f[1]), *f[2:]) for f in frames]
            packs = [pack(rows[i : i + PACK_SLOTS]) for i in range(0, len(rows), PACK_SLOTS)]
            insert_rows(c, INSERT_PACK, packs)
            if trim:
                trim_to(c, keep)

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
        since_text = ts(since)
        sql, args = _prefilter(station_id, action, since_text, errors_only)
        # Then each frame, by its place in PackedFrame.
        wanted = [(0, station_id), (5, action), (2, direction), (3, 4 if errors_only else None)]
        tests = [(place, value) for place, value in wanted if value is not None]
        below = 2**62 if before_id is None else before_id

        def job(
            c: sqlite3.Connection, top: int, room: int
        ) -> tuple[list[LoggedMessage], int | None]:
            """Up to ``room`` wanted frames of the packs from ``top`` down, at most _PACKS_A_JOB
            of them, and the next pack to scan (None: no more). It changes nothing outside:
            the store may run a job again (core/store/sqlite/engine.py)."""
            got: list[LoggedMessage] = []
            for _ in range(_PACKS_A_JOB // _PACKS_A_READ):
                packs = c.execute(sql, (top, *args)).fetchall()
                for pack_id, body in packs:
                    frames = unpack(body)
                    _scan(frames, pack_id * PACK_SLOTS, tests, since_text, below, got, room)
                    if len(got) == room:
                        return got, None
                if len(packs) < _PACKS_A_READ:
                    return got, None
                top = packs[-1][0] - 1
            return got, top

        # A few packs a store job, so that a read of many (a quiet station's frames, or none to
        # be found) never holds the writer, and every station's writes, for more than one of
        # its jobs. Packs only come newer and go oldest first: a scan from ``top`` down misses
        # none that stays, whatever is written between its jobs.
        found: list[LoggedMessage] = []
        top: int | None = (below - 1) // PACK_SLOTS  # the newest pack that may hold one below
        while top is not None and len(found) < limit:
            got, top = await self.run(functools.partial(job, top=top, room=limit - len(found)))
            found += got
        return found

    async def trim_messages(self, keep: int, older_than: datetime | None = None) -> int:
        def job(c: sqlite3.Connection) -> int:
            removed = trim_to(c, keep)
            if older_than is not None:
                removed += _removed(
                    c,
                    "DELETE FROM message_packs WHERE last_at < ? RETURNING frames",
                    ts(older_than),
                )
            return removed

        return await self.run(job)


def _prefilter(
    station_id: str | None, action: str | None, since_text: str | None, errors_only: bool
) -> tuple[str, list[Any]]:
    """The query of the pack rows that may hold wanted frames, newest first, and its arguments
    after the newest pack's id: by what each says of its frames (core/store/message_packs.py).
    ``instr`` is PostgreSQL's ``strpos`` (core/store/postgres.py)."""
    where = ["id <= ?"]
    args: list[Any] = []
    if since_text is not None:
        where.append("last_at >= ?")
        args.append(since_text)
    if station_id is not None:
        where.append("instr(stations, ?) > 0")
        args.append(needle(station_id))
    if action is not None:
        where.append("instr(actions, ?) > 0")
        args.append(needle(action))
    if errors_only:
        where.append("errors > 0")
    sql = f"SELECT id, body FROM message_packs WHERE {' AND '.join(where)} ORDER BY id DESC"
    return f"{sql} LIMIT {_PACKS_A_READ}", args


def _scan(
    frames: list[list[Any] | None],
    base: int,
    tests: list[tuple[int, Any]],
    since_text: str | None,
    below: int,
    found: list[LoggedMessage],
    limit: int,
) -> None:
    """Adds a pack's wanted frames to ``found``, newest first, until it holds ``limit``."""
    for place in range(len(frames) - 1, -1, -1):
        f = frames[place]
        if f is None or base + place >= below or (since_text is not None and f[1] < since_text):
            continue
        for i, value in tests:  # a loop, not any(): a query may read 100,000s of frames
            if f[i] != value:
                break
        else:
            found.append(_message(f, base + place))
            if len(found) == limit:
                return


def trim_to(c: sqlite3.Connection, keep: int) -> int:
    """Drop the packs older than the newest ``keep`` frames: whole packs, so the log keeps at
    least ``keep`` frames and at most one pack more. The frames it dropped."""
    row = c.execute(
        "SELECT id FROM (SELECT id, frames, SUM(frames) OVER (ORDER BY id DESC) AS newest"
        " FROM message_packs) AS counted WHERE newest - frames >= ? ORDER BY id DESC LIMIT 1",
        (keep,),
    ).fetchone()
    if row is None:
        return 0
    return _removed(c, "DELETE FROM message_packs WHERE id <= ? RETURNING frames", row[0])


def forget_station(c: sqlite3.Connection, station_id: str) -> None:
    """Remove a station's frames from every pack that holds some (a deleted station's)."""
    held = c.execute(
        "SELECT id, body FROM message_packs WHERE instr(stations, ?) > 0",
        (needle(station_id),),
    ).fetchall()
    for pack_id, body in held:
        frames = [None if f is None or f[0] == station_id else f for f in unpack(body)]
        values = repack(frames)
        if values[0] == 0:
            c.execute("DELETE FROM message_packs WHERE id=?", (pack_id,))
        else:
            c.execute(
                "UPDATE message_packs SET frames=?, stations=?, actions=?, errors=?, body=?"
                " WHERE id=?",
                (*values, pack_id),
            )


def _removed(c: sqlite3.Connection, sql: str, arg: Any) -> int:
    return sum(row[0] for row in c.execute(sql, (arg,)).fetchall())


def _at(at: datetime) -> str:
    text = ts(at)
    assert text is not None
    return text


def _message(f: list[Any], frame_id: int) -> LoggedMessage:
    return LoggedMessage(
        station_id=f[0],
        at=req_ts(f[1]),
        direction=f[2],
        message_type=f[3],
        message_id=f[4],
        action=f[5],
        payload=f[6],
        error_code=f[7],
        error_description=f[8],
        id=frame_id,
    )
