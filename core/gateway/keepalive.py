"""Dead connections found by one sweep over all stations, not a timer per connection.

A station whose network went away without a FIN holds its connection open until something is
written to it. The gateway pings a station that has sent nothing for ``ping_interval`` seconds
and closes its connection if the station then stays silent for half that again (any frame
counts as an answer, its pong or anything else). aiohttp's own ``heartbeat`` does the same with
a timer per connection and, for every frame received, one more callback and a timer update —
about 2 µs a frame and a few hundred bytes a station. Here a frame costs storing the loop time
in its connection, and one task looks at every connection a few times per interval: a silent
station is pinged within 1¼ intervals of its last frame and closed within 2 intervals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from aiohttp import WSCloseCode

from core.inert import inert

log = logging.getLogger(__name__)

# Checks per interval: how late after its due time a ping (or a close) may come.
_SWEEPS_PER_INTERVAL = 4


class Watched(Protocol):
    """What the sweep needs of a connection (core.gateway.server.Connection)."""

    station_id: str
    last_in: float  # loop time of the station's last frame
    pinged_at: float  # loop time of the ping not yet answered; 0.0 = none
    closing_reason: str

    @property
    def ws(self) -> _Socket: ...


class _Socket(Protocol):
    @property
    def closed(self) -> bool: ...

    async def ping(self, message: bytes = b"") -> None: ...

    async def close(self, *, code: int, message: bytes) -> bool: ...


class Keepalive:
    def __init__(self, interval: float, connections: Callable[[], Iterable[Watched]]) -> None:
        self.interval = interval
        self.answer_within = interval / 2
        self._connections = connections
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[bool]] = set()

    def start(self) -> None:
        if self.interval > 0:  # 0: no pings (gateway.ping_interval)
            self._task = asyncio.create_task(self._run(), name="gateway-keepalive")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.interval / _SWEEPS_PER_INTERVAL)
            await self.sweep(loop.time())

    async def sweep(self, now: float) -> None:
        """Ping the stations silent for an interval; close those that left a ping unanswered."""
        for conn in list(self._connections()):
            ws = conn.ws
            if ws.closed or conn.closing_reason:
                continue
            if conn.pinged_at and conn.last_in >= conn.pinged_at:
                conn.pinged_at = 0.0  # answered (a pong, or any frame)
            if conn.pinged_at:
                if now - conn.pinged_at >= self.answer_within:
                    self._close(conn, f"no answer to a ping within {self.answer_within:g} s")
            elif now - conn.last_in >= self.interval:
                conn.pinged_at = now
                try:
                    await ws.ping()
                except (ConnectionError, RuntimeError) as exc:  # the transport is already gone
                    self._close(conn, f"cannot ping: {exc}")

    def _close(self, conn: Watched, reason: str) -> None:
        log.info("closing the connection of %s: %s", inert(conn.station_id), reason)
        conn.closing_reason = reason  # what its StationDisconnected says
        # In a task of its own: the close handshake waits for a station that is likely gone,
        # and the sweep goes on with the others.
        task = asyncio.create_task(
            conn.ws.close(code=WSCloseCode.GOING_AWAY, message=reason.encode())
        )
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
