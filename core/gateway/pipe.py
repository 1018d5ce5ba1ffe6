"""The per-connection pipe: one outstanding CALL per direction, CSMS calls queued behind a
station call, timeouts turned into CALLERRORs for the waiting caller — never a silent drop.

The pipe remembers the CSMS calls it forwarded, so the station's CALLRESULT/CALLERROR goes to the
managers with the original ``action``, ``request`` and ``state`` filled in (MaEVe §1.4): the
stateless manager then runs the right result handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from core.handlers.router import TIMEOUT_ERROR_CODE
from core.ocpp.errors import ErrorKind, error_code
from core.ocpp.framing import FrameError, parse_frame, serialise
from core.ocpp.types import Message, MessageType, OcppVersion

log = logging.getLogger(__name__)


class Link(Protocol):
    """Where a pipe's frames go: one object rather than three closures, because a pipe lives
    as long as its station's connection and a closure with its cells costs ~200 bytes each."""

    async def send(self, text: str) -> None:
        """Write a frame to the station."""

    async def publish(self, message: Message) -> None:
        """Hand a message to the managers."""

    def record(self, direction: str, message: Message) -> None:
        """Log a frame (``direction`` "in" or "out")."""


_REMEMBERED_CSMS_CALLS = 16
# Station CALLs being handled at once. One is the rule; a station that breaks it is still
# served, and this many ids are remembered to refuse a duplicate of any of them.
_IN_FLIGHT_STATION_CALLS = 64


@dataclass(slots=True)
class _Outstanding:
    message: Message
    timer: asyncio.TimerHandle | None = None


class Pipe:
    # One pipe per connected station: slots rather than an instance dict.
    __slots__ = (
        "_csms_call",
        "_guard",
        "_in_flight",
        "_link",
        "_loop",
        "_queue",
        "_recent",
        "_wake",
        "bad_frames",
        "call_timeout",
        "closed",
        "station_id",
        "version",
    )

    def __init__(
        self,
        station_id: str,
        version: OcppVersion,
        link: Link,
        call_timeout: float,
        guard: Callable[[Message], bool] | None = None,
    ) -> None:
        self.station_id, self.version = station_id, version
        self._link = link
        # Kept: asyncio.get_running_loop() makes a getpid() system call on Python 3.11, and
        # every station CALL reads the loop's clock.
        self._loop = asyncio.get_running_loop()
        self.call_timeout = call_timeout
        self._guard = guard  # may refuse a station CALL (e.g. SP3 serial != certificate CN)
        # Plain dicts and a list rather than OrderedDicts and a deque: a pipe per connected
        # station, and an empty deque alone is 600 bytes. (Dicts keep insertion order; the
        # queue of CSMS calls behind a station is a few calls at most.)
        # ids of the station CALLs being handled (normally at most one), each with the loop
        # time after which it is forgotten: an answer lost between processes must not hold CSMS
        # calls back. A deadline rather than a timer per call, which every station CALL would
        # create and cancel (a Heartbeat's most costly step in the pipe); a timer is set only
        # while a CSMS call waits behind one (``_wake``).
        self._in_flight: dict[str, float] = {}
        self._wake: asyncio.TimerHandle | None = None
        self._csms_call: _Outstanding | None = None
        self._queue: list[Message] = []
        self._recent: dict[str, Message] = {}  # late results
        self.bad_frames = 0
        self.closed = False

    # --- from the station ------------------------------------------------------------------------

    async def from_station(self, raw: str | bytes) -> None:
        parsed = parse_frame(raw, self.version)
        if isinstance(parsed, FrameError):
            self.bad_frames += 1
            log.info("bad frame from %s: %s", self.station_id, parsed.reason)
            if parsed.reply is not None:
                await self._write(parsed.reply)
            return
        self.bad_frames = 0
        if parsed.type is MessageType.CALL:
            self._link.record("in", parsed)
            if self._guard is not None and not self._guard(parsed):
                self.closed = True
                return
            await self._station_calls(parsed)
        else:
            await self._station_answers(parsed)

    async def _station_calls(self, message: Message) -> None:
        now = self._loop.time()
        deadline = self._in_flight.get(message.id)
        if deadline is not None and deadline <= now:  # forgotten: its id is free again
            del self._in_flight[message.id]
        elif deadline is not None:
            kind = (
                ErrorKind.RPC_FRAMEWORK_ERROR
                if self.version is OcppVersion.V201
                else ErrorKind.PROTOCOL_ERROR
            )
            await self._write(
                Message(
                    type=MessageType.CALL_ERROR,
                    id=message.id,
                    error_code=error_code(kind, self.version),
                    error_description="a call with this id is already being handled",
                    error_details={},
                )
            )
            return
        # A station that sends a second CALL before the first was answered breaks the one-call
        # rule; it is still served (answers are matched by id), never silently dropped.
        self._in_flight[message.id] = now + self.call_timeout
        while len(self._in_flight) > _IN_FLIGHT_STATION_CALLS:
            del self._in_flight[next(iter(self._in_flight))]  # the oldest
        await self._link.publish(message)

    async def _station_answers(self, message: Message) -> None:
        current = self._csms_call
        if current is not None and current.message.id == message.id:
            if current.timer is not None:
                current.timer.cancel()
            self._csms_call = None
            original = current.message
        else:
            original_or_none = self._recent.get(message.id)
            if original_or_none is None:
                self._link.record("in", message)
                log.info("%s answered unknown call %s: dropped", self.station_id, message.id)
                return
            original = original_or_none  # a late answer after our timeout
        message.action, message.request, message.state = (
            original.action,
            original.request,
            original.state,
        )
        self._link.record("in", message)  # logged with the action it answers
        await self._link.publish(message)
        await self._next_csms_call()

    # --- from the managers -----------------------------------------------------------------------

    async def from_manager(self, message: Message) -> None:
        if message.type is MessageType.CALL:
            self._queue.append(message)
            await self._next_csms_call()
            return
        # An answer to a station call (written through even after its deadline).
        self._in_flight.pop(message.id, None)
        await self._write(message)
        await self._next_csms_call()

    async def _next_csms_call(self) -> None:
        if self.closed or self._csms_call is not None or not self._queue:
            return
        if self._in_flight and self._held():
            return
        message = self._queue.pop(0)
        outstanding = _Outstanding(message)
        self._csms_call = outstanding
        self._recent[message.id] = message
        while len(self._recent) > _REMEMBERED_CSMS_CALLS:
            del self._recent[next(iter(self._recent))]  # the oldest
        outstanding.timer = self._loop.call_later(self.call_timeout, self._timed_out, message.id)
        await self._write(message)

    def _held(self) -> bool:
        """Whether a station CALL still holds the CSMS calls back. One unanswered within the
        call timeout is forgotten: the managers' answer was lost (a manager killed with it
        queued, the broker restarted) and the station has given up on it; a late answer is
        still written through. While others remain, a wake-up is set for the earliest."""
        loop = self._loop
        now = loop.time()
        for call_id in [c for c, deadline in self._in_flight.items() if deadline <= now]:
            del self._in_flight[call_id]
        if not self._in_flight:
            return False
        if self._wake is None:
            self._wake = loop.call_at(min(self._in_flight.values()), self._woken)
        return True

    def _woken(self) -> None:
        self._wake = None
        if not self.closed:
            self._loop.create_task(self._next_csms_call())

    def _timed_out(self, call_id: str) -> None:
        current = self._csms_call
        if current is None or current.message.id != call_id:
            return
        self._csms_call = None
        original = current.message
        self._loop.create_task(self._report_timeout(original))

    async def _report_timeout(self, original: Message) -> None:
        await self._link.publish(
            Message(
                type=MessageType.CALL_ERROR,
                id=original.id,
                action=original.action,
                request=original.request,
                state=original.state,
                error_code=TIMEOUT_ERROR_CODE,
                error_description=f"no answer from the station within {self.call_timeout:g} s",
            )
        )
        await self._next_csms_call()

    async def fail_pending(self, reason: str) -> None:
        """The connection is gone: every CSMS call still waiting fails now, not at its timeout."""
        self.closed = True
        self._in_flight.clear()
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        pending = list(self._queue)
        self._queue.clear()
        if self._csms_call is not None:
            if self._csms_call.timer is not None:
                self._csms_call.timer.cancel()
            pending.insert(0, self._csms_call.message)
            self._csms_call = None
        for original in pending:
            await self._link.publish(
                Message(
                    type=MessageType.CALL_ERROR,
                    id=original.id,
                    action=original.action,
                    request=original.request,
                    state=original.state,
                    error_code="GenericError",
                    error_description=reason,
                )
            )

    async def _write(self, message: Message) -> None:
        self._link.record("out", message)
        await self._link.send(serialise(message))
