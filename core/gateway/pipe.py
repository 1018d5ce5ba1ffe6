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
        "_queue",
        "_recent",
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
        self.call_timeout = call_timeout
        self._guard = guard  # may refuse a station CALL (e.g. SP3 serial != certificate CN)
        # Plain dicts and a list rather than OrderedDicts and a deque: a pipe per connected
        # station, and an empty deque alone is 600 bytes. (Dicts keep insertion order; the
        # queue of CSMS calls behind a station is a few calls at most.)
        # ids of the station CALLs being handled (normally at most one), each with the timer
        # that forgets it: an answer lost between processes must not hold CSMS calls back
        self._in_flight: dict[str, asyncio.TimerHandle] = {}
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
        if message.id in self._in_flight:
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
        loop = asyncio.get_running_loop()
        self._in_flight[message.id] = loop.call_later(
            self.call_timeout, self._station_call_expired, message.id
        )
        while len(self._in_flight) > _IN_FLIGHT_STATION_CALLS:
            self._in_flight.pop(next(iter(self._in_flight))).cancel()  # the oldest
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
        # An answer to a station call.
        timer = self._in_flight.pop(message.id, None)
        if timer is not None:
            timer.cancel()
        await self._write(message)
        await self._next_csms_call()

    async def _next_csms_call(self) -> None:
        if self.closed or self._csms_call is not None or self._in_flight:
            return
        if not self._queue:
            return
        message = self._queue.pop(0)
        outstanding = _Outstanding(message)
        self._csms_call = outstanding
        self._recent[message.id] = message
        while len(self._recent) > _REMEMBERED_CSMS_CALLS:
            del self._recent[next(iter(self._recent))]  # the oldest
        loop = asyncio.get_running_loop()
        outstanding.timer = loop.call_later(self.call_timeout, self._timed_out, message.id)
        await self._write(message)

    def _station_call_expired(self, call_id: str) -> None:
        """No answer to a station CALL within the call timeout: the managers' answer was lost
        (a manager killed with it queued, the broker restarted) and the station has given up on
        it. Stop holding CSMS calls behind it; a late answer is still written through."""
        if self._in_flight.pop(call_id, None) is not None and not self.closed:
            asyncio.get_running_loop().create_task(self._next_csms_call())

    def _timed_out(self, call_id: str) -> None:
        current = self._csms_call
        if current is None or current.message.id != call_id:
            return
        self._csms_call = None
        original = current.message
        asyncio.get_running_loop().create_task(self._report_timeout(original))

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
        for timer in self._in_flight.values():
            timer.cancel()
        self._in_flight.clear()
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
