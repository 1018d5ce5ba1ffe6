"""Waiting for what a station answers the console's commands, without making the operator wait.

The console sends a command without waiting for its answer (``execute`` returns the call record
once the call went out), so a form closes only when its call was really sent. The answer then
comes as the core's :class:`~core.events.CallCompleted` event, which every console receives
anyway: :class:`AnswerWatch` pairs the two. An answer that takes longer than the console's wait
is still reported when it comes — the core's call expiry ends every call with one final event,
answered or timed out, so nothing is watched for ever.

:func:`answer_content` is what an answer holds beyond its status, for a dialog: a table
(:func:`csms_tui.answers.answer_table`: a schedule's periods, configuration keys, variables) or
DataTransfer data too long for a notification."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.application.views import CallView
from core.events import CallCompleted
from csms_tui.answers import answer_table

# Completed calls nobody waits for yet (the answer's event can overtake the return of
# ``execute``), and calls waited for: a few hundred each is far more than an operator sends in
# a minute, and keeps the console's memory bounded on a site where the API and sync send
# thousands of calls.
RECENT = 256
WATCHED = 256
# DataTransfer data up to this long is said in the answer's notification; longer data (or a
# JSON structure) gets a dialog.
SHORT_DATA = 80


@dataclass
class Pending:
    """A sent call (one, or the parts of a request split over several) and its answers so far.
    ``late`` is called with the answer once it is complete, if it is set by then."""

    call: CallView
    ids: tuple[str, ...]
    done: dict[str, CallCompleted] = field(default_factory=dict)
    complete: asyncio.Event = field(default_factory=asyncio.Event)
    late: Callable[[CallView], None] | None = None

    def add(self, event: CallCompleted) -> None:
        self.done[event.call_id] = event
        if len(self.done) == len(self.ids) and not self.complete.is_set():
            self.complete.set()
            if self.late is not None:
                self.late(self.answer())

    def then(self, report: Callable[[CallView], None]) -> None:
        """Report the answer when it comes (now, if it is already in)."""
        self.late = report
        if self.complete.is_set():
            report(self.answer())

    def answer(self) -> CallView:
        """The call as its answers left it; the parts of a split request together, the first
        part that failed deciding the state (as the core's ``command_in_parts`` does)."""
        events = [self.done[i] for i in self.ids if i in self.done]
        if not events:
            return self.call
        failed = next((e for e in events if e.state != "answered"), None)
        last = failed or events[-1]
        response: Any = None if failed is not None else merged([e.response for e in events])
        return self.call.model_copy(
            update={
                "state": last.state,
                "response": response,
                "error_code": last.error_code,
                "error_description": last.error_description,
                "completed_at": last.at,
            }
        )


def merged(responses: list[Any]) -> dict[str, Any] | None:
    """The answers to the parts of one request as one: their result lists joined."""
    if len(responses) == 1:
        only: dict[str, Any] | None = responses[0]
        return only
    out: dict[str, Any] = {}
    for response in responses:
        for key, value in (response or {}).items():
            if isinstance(value, list) and isinstance(out.get(key), list):
                out[key] = out[key] + value
            else:
                out.setdefault(key, value)
    return out


class AnswerWatch:
    """Calls the console sent, paired with the core's CallCompleted events."""

    def __init__(self) -> None:
        self._recent: OrderedDict[str, CallCompleted] = OrderedDict()
        self._watched: OrderedDict[str, Pending] = OrderedDict()

    def watch(self, call: CallView) -> Pending:
        """Start waiting for the answers to ``call`` (already in if they overtook it)."""
        pending = Pending(call, tuple(call.call_ids or [call.call_id]))
        for call_id in pending.ids:
            event = self._recent.pop(call_id, None)
            if event is not None:
                pending.add(event)
            else:
                self._watched[call_id] = pending
        while len(self._watched) > WATCHED:
            self._watched.popitem(last=False)
        return pending

    def offer(self, event: CallCompleted) -> None:
        """A call reached its final state (any call: most are not the console's)."""
        pending = self._watched.pop(event.call_id, None)
        if pending is not None:
            pending.add(event)
            return
        self._recent[event.call_id] = event
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    def forget(self, pending: Pending) -> None:
        for call_id in pending.ids:
            if self._watched.get(call_id) is pending:
                del self._watched[call_id]

    def late_ids(self) -> list[str]:
        """Calls whose answers are awaited past the wait (looked up again after a resync:
        their events may be among those the console lost)."""
        return [i for i, p in self._watched.items() if p.late is not None]


def completed_event(view: CallView, now: datetime) -> CallCompleted:
    """A call read back from the service, as the event that said it ended."""
    return CallCompleted(
        station_id=view.station_id,
        at=view.completed_at or now,
        call_id=view.call_id,
        action=view.action,
        state=view.state,
        response=view.response,
        error_code=view.error_code,
        error_description=view.error_description,
    )


@dataclass(frozen=True)
class AnswerContent:
    """What an answer holds beyond its status: a table, or text (DataTransfer data)."""

    title: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    text: str = ""


def answer_content(station_id: str, call: Any) -> AnswerContent | None:
    """The content of an answered call worth a dialog, or None (its status says it all)."""
    if call.state != "answered" or not isinstance(call.response, dict):
        return None
    table = answer_table(call.action, call.response)
    if table is not None:
        return AnswerContent(f"{station_id} · {table.title}", table.columns, tuple(table.rows))
    data = call.response.get("data")
    if call.action != "DataTransfer" or data is None:
        return None
    if isinstance(data, str) and len(data) <= SHORT_DATA:
        return None  # the notification says it whole
    text = data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False)
    status = call.response.get("status", "?")
    return AnswerContent(f"{station_id} answered DataTransfer: {status}", text=text)
