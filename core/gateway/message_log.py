"""Every frame in and out becomes a MessageLogged event at once and a message-log row in a
batch (flushed every 50 ms or 500 frames), so logging never costs a commit per frame.

The batch holds rows (core.store.models.FrameRow: plain tuples, the payload already JSON text),
not the events: the garbage collector stops tracking such tuples, where events and their
payloads' dicts, held for the batch's milliseconds, reached its oldest generation — thousands a
second — and its full passes stalled every station for 20-40 ms each."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.clock import Clock
from core.events import EventBus, MessageLogged
from core.ocpp.secrets import redact
from core.ocpp.types import Message, MessageType
from core.store.models import FrameRow, frame_row
from core.store.protocols import MessageLogStore

log = logging.getLogger(__name__)


class FrameLog:
    def __init__(self, store: MessageLogStore, events: EventBus, clock: Clock) -> None:
        self._store, self._events, self._clock = store, events, clock
        self._buffer: list[FrameRow] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def record(self, station_id: str, direction: str, message: Message) -> None:
        if message.type == MessageType.CALL:
            payload = redact(message.action, message.request)
        elif message.type == MessageType.CALL_ERROR:
            # Its errorDetails: the field and rule the CSMS names (core.schemas), or whatever a
            # station put there — kept, since a station's own words on a refusal are evidence.
            payload = message.error_details or None
        else:
            payload = message.response
        event = MessageLogged(
            station_id=station_id,
            at=self._clock.now(),
            direction=direction,
            message_type=int(message.type),
            message_id=message.id,
            action=message.action,
            payload=payload,
            error_code=message.error_code,
            error_description=message.error_description,
        )
        self._events.publish(event)
        self._buffer.append(frame_row(event))  # a row, not the event: see the docstring
        if len(self._buffer) >= 500:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="frame-log")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        try:
            await self._store.log_frames(batch)
        except Exception:
            log.exception("could not write %d message-log rows", len(batch))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
