"""The Operations tab: every call the CSMS made to a station — from this console, the API, the
sync, the tariff's running cost — with its state, latency and origin, filterable, and a detail
with the request and the station's answer.

A call shows as it goes out (the core's MessageLogged of the CALL: pending), is read back when
it ends (CallCompleted: answered, failed or timed out) and turns ``late`` when the station's
answer comes after the timeout (the record keeps its timeout; the answer is in the message
log). While the tab is hidden nothing is read: the events only mark it stale, and it is read
again when shown — a busy site sends CostUpdated calls all the time (one per charging
transaction every ``tariff_service.running_cost_interval``)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from core.application.errors import NotFound, ServiceError
from core.application.views import CallView, MessageView
from core.events import CallCompleted, Event, MessageLogged, Resync
from csms_tui.history_screens import OperationDetailScreen, latency
from csms_tui.inert import markup_safe, plain
from csms_tui.line_table import ERROR, KeyedTable
from csms_tui.panes.base import LivePane
from csms_tui.panes.filters import FieldFilter, parse_filter
from csms_tui.timefmt import clock_ms

log = logging.getLogger(__name__)

# (key, title, maximum width): the widths grow with the content up to the maximum.
COLUMNS = (
    ("at", "Time UTC", 12),
    ("station", "Station", 20),
    ("action", "Action", 26),
    ("state", "State", 22),
    ("latency", "Latency", 9),
    ("origin", "Origin", 10),
    ("id", "Call id", 0),
)
WINDOW = 500  # calls kept, the newest: older ones are a `GET /calls` away
LATE_CHECKS = 20  # timed-out calls looked up in the message log for a late answer, on a read
FIELDS = ("station", "action", "state", "origin")
FILTER_HINT = (
    "Filter calls: station:ID action:NAME state:pending|answered|late|timed-out|failed "
    "origin:console|api|sync|tariff; other words anywhere in the row; empty = all"
)
EMPTY = (
    "No calls yet: every call the CSMS makes to a station (from here, the API, the sync, the "
    "tariff) shows here with its answer. Send one with c on the Stations tab."
)
Answer = MessageLogged | MessageView  # a station's answer as the message log holds it


def state_of(call: CallView, late: bool) -> str:
    """What became of the call, in the operator's words."""
    if call.state == "timed-out":
        return "late" if late else "timed out"
    if call.state == "error":
        return "failed"
    return call.state  # pending, answered


def is_late_answer(message: Answer, call: CallView) -> bool:
    return (
        message.direction == "in"
        and message.message_type in (3, 4)
        and message.message_id == call.call_id
        and message.station_id == call.station_id
    )


class OperationsPane(LivePane[str, list[CallView]]):
    """Rows keyed by call id, oldest first (the newest at the bottom, as in the message log)."""

    filter_hint = FILTER_HINT

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.calls: OrderedDict[str, CallView] = OrderedDict()  # the window, oldest first
        self.late: dict[str, Answer] = {}  # call id → the answer that came after the timeout
        self.stale = True  # read again when shown
        self._filter = FieldFilter()

    def compose(self) -> ComposeResult:
        yield Static("", id="operations-summary")
        yield KeyedTable(COLUMNS, id="operations-table")

    # --- reading -----------------------------------------------------------------------------

    def activated(self) -> None:
        if self.stale:
            self.reload()

    @work(exclusive=True, group="operations")
    async def reload(self) -> None:
        """The newest calls, and the late answers to those that timed out."""
        if self.service is None:
            return
        self.stale = False
        self._dirty.clear()
        try:
            calls: list[CallView] = await self.service.list_calls(limit=WINDOW)
            late = await self._late_answers(calls)
        except ServiceError as exc:
            self.stale = True
            self.notify(f"calls: {markup_safe(exc.message)}", severity="error")
            return
        self.calls = OrderedDict((c.call_id, c) for c in reversed(calls))
        self.late = {k: v for k, v in self.late.items() if k in self.calls} | late
        self._refill(newest=True)

    async def _late_answers(self, calls: Sequence[CallView]) -> dict[str, Answer]:
        assert self.service is not None
        late: dict[str, Answer] = {}
        timed_out = [c for c in calls if c.state == "timed-out" and c.call_id not in self.late]
        for call in timed_out[:LATE_CHECKS]:
            for message in await self.service.list_messages(
                station_id=call.station_id, action=call.action, limit=50
            ):
                if is_late_answer(message, call):
                    late[call.call_id] = message
                    break
        return late

    def apply(self, batch: Sequence[Event]) -> None:
        touched = False
        for e in batch:
            if isinstance(e, Resync):
                self.stale = True
            elif isinstance(e, CallCompleted):
                touched = True
                self.mark(e.call_id)
            elif isinstance(e, MessageLogged):
                if e.direction == "out" and e.message_type == 2:
                    touched = True
                    self.mark(e.message_id)  # a CSMS call going out: pending
                elif (
                    (call := self.calls.get(e.message_id)) is not None
                    and call.state == "timed-out"
                    and is_late_answer(e, call)
                ):
                    self.late[call.call_id] = e
                    self._upsert(call)
                    self._summarise()
        if not self.active:
            # Hidden: nothing is read now; what changed is read when the tab is shown.
            self.stale = self.stale or touched
            self._dirty.clear()
        elif self.stale:
            self.reload()
        for screen in self.app.screen_stack:  # an open call detail follows its call
            if isinstance(screen, OperationDetailScreen):
                screen.apply(batch)

    async def read(self, keys: set[str]) -> list[CallView]:
        """The marked calls: the newest in one read, any older one (a timeout long after its
        call) on its own."""
        assert self.service is not None
        newest: list[CallView] = await self.service.list_calls(limit=min(1000, len(keys) + 50))
        found = {c.call_id: c for c in newest if c.call_id in keys}
        for call_id in keys - found.keys():
            try:
                found[call_id] = await self.service.get_call(call_id)
            except NotFound:
                continue  # not a call the CSMS recorded (a station-level frame)
        return sorted(found.values(), key=lambda c: c.created_at)

    def show(self, rows: list[CallView]) -> None:
        table = self.query_one("#operations-table", KeyedTable)
        for call in rows:
            self.calls[call.call_id] = call
            while len(self.calls) > WINDOW:
                old, _ = self.calls.popitem(last=False)
                self.late.pop(old, None)
                if old in table.rows:
                    table.remove_row(old)
            self._upsert(call)
        self._summarise()

    # --- showing -------------------------------------------------------------------------------

    def _cells(self, call: CallView) -> dict[str, str]:
        late = self.late.get(call.call_id)
        state = state_of(call, late is not None)
        answer = call.response if late is None else late.payload
        status = answer.get("status") if isinstance(answer, dict) else None
        if isinstance(status, str):
            state += f" ({status})"
        elif call.state == "error" and call.error_code:
            state += f" ({call.error_code})"
        return {
            "at": clock_ms(call.created_at),
            "station": call.station_id,
            "action": call.action,
            "state": state,
            "latency": "…" if call.state == "pending" else latency(call.latency_ms),
            "origin": call.origin or "-",
            "id": call.call_id,
        }

    def _upsert(self, call: CallView) -> None:
        table = self.query_one("#operations-table", KeyedTable)
        cells = self._cells(call)
        fields = {name: cells[name] for name in FIELDS}
        # The state as the filter's hint spells it (timed-out), without the status after it.
        fields["state"] = state_of(call, call.call_id in self.late).replace(" ", "-")
        if self._filter.matches(fields, cells.values()):
            failed = call.state in ("error", "timed-out") and call.call_id not in self.late
            table.upsert(call.call_id, cells, ERROR if failed else "")
        elif call.call_id in table.rows:
            table.remove_row(call.call_id)

    def _refill(self, newest: bool = False) -> None:
        """Every call of the window that passes the filter, anew (on a read or a new filter:
        never for an update)."""
        table = self.query_one("#operations-table", KeyedTable)
        selected = table.cursor_key
        with self.app.batch_update():
            table.clear()
            for call in self.calls.values():
                self._upsert(call)
            if table.row_count:
                keep = table.get_row_index(selected) if selected and not newest else -1
                table.move_cursor(row=keep if keep >= 0 else table.row_count - 1)
            self._summarise()

    def _summarise(self) -> None:
        table = self.query_one("#operations-table", KeyedTable)
        summary = self.query_one("#operations-summary", Static)
        if not self.calls:
            summary.update(EMPTY)
            return
        counts: dict[str, int] = {}
        for call in self.calls.values():
            state = state_of(call, call.call_id in self.late)
            counts[state] = counts.get(state, 0) + 1
        parts = [f"{len(self.calls)} calls, the newest {WINDOW} kept"]
        parts += [
            f"{counts[s]} {s}" for s in ("pending", "failed", "timed out", "late") if s in counts
        ]
        if self._filter:
            parts.append(f"filter {self.filter_text}: {table.row_count} shown")
            if not table.row_count:
                parts.append("/ changes it")
        summary.update(plain("  ·  ".join(parts)))

    # --- keys --------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        self._filter = parse_filter(text, FIELDS)
        self._refill()

    def open_detail(self) -> None:
        key = self.query_one("#operations-table", KeyedTable).cursor_key
        if key is None or self.service is None:
            return
        call = self.calls[key]
        self.app.push_screen(OperationDetailScreen(self.service, call, self.late.get(key)))
