"""The stored message history and a CSMS call's detail (the Messages and Operations tabs' screens)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from core.application.errors import ServiceError
from core.application.views import CallView, MessageView
from core.events import (
    CallCompleted,
    Event,
    MessageLogged,
)
from csms_tui.answers import answer_table
from csms_tui.inert import inert, markup_safe, plain
from csms_tui.payload import (
    DIRECTIONS,
    MESSAGE_TYPES,
    explanation_text,
    json_text,
    message_text,
)
from csms_tui.timefmt import day_ms, moment_ms


class MessageHistoryScreen(Screen[None]):
    """Older messages, read from the store a page at a time (the live view keeps only a
    bounded window in memory); the highlighted message's call and answer below, as JSON."""

    DEFAULT_CSS = """
    MessageHistoryScreen #history {
        height: 2fr;
    }
    MessageHistoryScreen #history-summary {
        padding: 0 1;
        background: $panel;
    }
    MessageHistoryScreen #history-detail {
        height: 1fr;
        border-top: solid $primary;
    }
    MessageHistoryScreen #history-detail VerticalScroll {
        width: 1fr;
        padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="history.back"),
        Binding("o", "older", "Older page", id="history.older"),
        # Not in the key bar (it would push ? Help out of it at 130 columns): the summary line
        # names it.
        Binding("w", "why", "Why", id="history.why", show=False),
    ]
    PAGE = 200

    def __init__(self, service: Any, station_filter: str = "") -> None:
        """`station_filter`: the message log's filter; its ``station:ID`` and ``errors`` apply
        here (the store matches a station id exactly)."""
        super().__init__()
        self.service = service
        self.station_filter = station_filter
        self.station: str | None = None
        self.errors_only = False
        for term in station_filter.split():
            if term.startswith("station:"):
                self.station = term.partition(":")[2] or None
            elif term.lower() == "errors":
                self.errors_only = True
        self.before: int | None = None
        self.done = False
        self.messages: dict[str, MessageView] = {}  # by row key (the stored id)
        # (station, message id) → {is a call: the message}: a call's answer and an answer's call
        self._pairs: dict[tuple[str, str], dict[bool, MessageView]] = {}
        self._highlighted: MessageView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="history-summary")
        yield DataTable(id="history", cursor_type="row")
        with Horizontal(id="history-detail"):
            with VerticalScroll():
                yield Static("", id="history-call")
            with VerticalScroll():
                yield Static("", id="history-answer")
            with VerticalScroll(id="history-why-scroll") as why:
                why.display = False  # w shows why the exchange failed, beside its frames
                yield Static("", id="history-why")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#history", DataTable).add_columns(
            "Id", "Time UTC", "Station", "Dir", "Type", "Action", "Message id", "Detail"
        )
        self.action_older()

    def _scope(self) -> str:
        parts = [f"station {self.station}"] if self.station else []
        if self.errors_only:
            parts.append("errors only")
        return "".join(f" · {inert(part)}" for part in parts)

    @work(exclusive=True)
    async def action_older(self) -> None:
        if self.done:
            self.notify("no older messages")
            return
        try:
            page: list[MessageView] = await self.service.list_messages(
                station_id=self.station,
                before_id=self.before,
                errors_only=self.errors_only,
                limit=self.PAGE,
            )
        except ServiceError as exc:
            self.notify(markup_safe(exc.message), severity="error")
            return
        table = self.query_one("#history", DataTable)
        for m in page:
            key = str(m.id)
            self.messages[key] = m
            self._pairs.setdefault((m.station_id, m.message_id), {})[m.message_type == 2] = m
            detail = f"{m.error_code}: {m.error_description}" if m.error_code else ""
            if m.explanation is not None and not m.error_code:
                detail = f"invalid answer: {m.explanation.keyword or 'schema'} at "
                detail += m.explanation.pointer or "(root)"
            table.add_row(
                str(m.id),
                day_ms(m.at),
                plain(m.station_id),
                DIRECTIONS.get(m.direction, m.direction),
                MESSAGE_TYPES.get(m.message_type, "?"),
                plain(m.action),
                plain(m.message_id),
                plain(detail),
                key=key,
            )
        if page:
            self.before = page[-1].id
        self.done = len(page) < self.PAGE
        summary = self.query_one("#history-summary", Static)
        if not table.row_count:
            summary.update(
                plain(
                    f"No stored messages{self._scope()}: the CSMS stores every frame as it "
                    "passes, so they appear once stations talk to it. esc goes back."
                )
            )
            self.query_one("#history-call", Static).update("")
            return
        more = (" · w: why" if self._why_offered() else "") + (
            "" if self.done else " · o: older page"
        )
        summary.update(
            plain(f"{table.row_count} stored messages, newest first{self._scope()}{more}")
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        m = self.messages.get(str(event.row_key.value))
        if m is None:
            return
        self._highlighted = m
        pair = self._pairs.get((m.station_id, m.message_id), {})
        self._show_why()
        self.query_one("#history-call", Static).update(
            message_text("call", pair.get(True), "not on the pages read: o reads older ones")
        )
        self.query_one("#history-answer", Static).update(
            message_text(
                "answer", pair.get(False), "none stored: no answer came, or not before this page"
            )
        )

    def _why_offered(self) -> bool:
        return any(m.explanation is not None for m in self.messages.values())

    def action_why(self) -> None:
        scroll = self.query_one("#history-why-scroll")
        scroll.display = not scroll.display
        self._show_why()

    def _show_why(self) -> None:
        m = self._highlighted
        if m is None or not self.query_one("#history-why-scroll").display:
            return
        # A call is explained by its answer: that is where the error is.
        answer = self._pairs.get((m.station_id, m.message_id), {}).get(False)
        target = answer if m.message_type == 2 else m
        if target is None:
            none = "No answer on the pages read: nothing to explain."
        else:
            none = "No error here: the exchange broke no rule."
        self.query_one("#history-why", Static).update(
            explanation_text(target.explanation if target else None, none)
        )


class OperationDetailScreen(Screen[None]):
    """One call the CSMS made: what was asked, what became of it, and the station's answer in
    full — a table where the answer is a list of things (:mod:`csms_tui.answers`: a schedule's
    periods, configuration keys, variables read), highlighted JSON otherwise. A pending call's
    detail follows it: the Operations tab hands on the core's events."""

    DEFAULT_CSS = """
    OperationDetailScreen #op-state {
        height: auto;
        padding: 0 1;
        text-style: bold;
        background: $panel;
    }
    OperationDetailScreen #op-state.answered {
        background: $success 30%;
    }
    OperationDetailScreen #op-state.failed {
        background: $error 30%;
    }
    OperationDetailScreen #op-state.pending {
        background: $warning 30%;
    }
    OperationDetailScreen VerticalScroll > Static {
        padding: 0 1;
    }
    OperationDetailScreen .section {
        margin-top: 1;
        color: $primary;
        text-style: bold;
    }
    OperationDetailScreen #op-answer-table {
        height: auto;
        max-height: 24;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="op_detail.back")
    ]

    def __init__(
        self, service: Any, call: CallView, late: MessageLogged | MessageView | None = None
    ) -> None:
        """`late`: the station's answer that came after the call timed out (the message log's)."""
        super().__init__()
        self.service, self.call, self.late = service, call, late

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="op-state")
        with VerticalScroll():
            yield Static("", id="op-summary")
            yield Static("Request", id="op-request-title", classes="section")
            yield Static("", id="op-request")
            yield Static("Answer", id="op-answer-title", classes="section")
            yield DataTable(id="op-answer-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="op-answer")
            yield Static("", id="op-why")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def apply(self, batch: Sequence[Event]) -> None:
        """The core's events: this call's end is read back; a late answer is shown."""
        for e in batch:
            if isinstance(e, CallCompleted) and e.call_id == self.call.call_id:
                self.reload()
            elif (
                isinstance(e, MessageLogged)
                and e.direction == "in"
                and e.message_type in (3, 4)
                and e.message_id == self.call.call_id
                and self.call.state == "timed-out"
            ):
                self.late = e
                self.show()

    @work(exclusive=True)
    async def reload(self) -> None:
        try:
            self.call = await self.service.get_call(self.call.call_id)
        except ServiceError as exc:
            self.notify(markup_safe(exc.message), severity="error")
            return
        self.show()

    def show(self) -> None:
        c = self.call
        state = self.query_one("#op-state", Static)
        kind, banner = _call_banner(c, self.late)
        for name in ("answered", "failed", "pending"):
            state.set_class(name == kind, name)
        state.update(plain(banner))
        self.query_one("#op-summary", Static).update(
            Text.assemble(
                (inert(f"{c.action} on {c.station_id}"), "bold"),
                inert(
                    f"  ·  OCPP {c.ocpp_version}  ·  from {c.origin or 'an unnamed caller'}"
                    f"  ·  call id {c.call_id}"
                ),
                "\n",
                f"sent {moment_ms(c.created_at)}",
                f"  ·  ended {moment_ms(c.completed_at)}" if c.completed_at else "",
            )
        )
        self.query_one("#op-request", Static).update(json_text(c.request))
        answer: Any = c.response
        if c.state == "timed-out" and self.late is not None:
            answer = self.late.payload if self.late.message_type == 3 else None
        self._show_answer(c, answer)
        why = self.query_one("#op-why", Static)
        why.display = c.explanation is not None
        if c.explanation is not None:
            why.update(explanation_text(c.explanation, ""))

    def _show_answer(self, c: CallView, response: Any) -> None:
        title = self.query_one("#op-answer-title", Static)
        table = self.query_one("#op-answer-table", DataTable)
        text = self.query_one("#op-answer", Static)
        readable = answer_table(c.action, response) if response is not None else None
        table.display = readable is not None
        if readable is not None:
            title.update(plain(f"Answer: {readable.title}"))
            table.clear(columns=True)
            table.add_columns(*readable.columns)
            for row in readable.rows:
                table.add_row(*(plain(cell) for cell in row))
            text.update("")
            return
        title.update("Answer")
        late = self.late
        if response is not None:
            text.update(json_text(response))
        elif c.state == "pending":
            text.update(plain("none yet: it shows here when the station answers"))
        elif late is not None and late.message_type == 4:
            text.update(plain(f"{late.error_code}: {late.error_description}"))
        elif c.error_code or c.error_description:
            text.update(plain(f"{c.error_code or 'no answer'}: {c.error_description}"))
        else:
            text.update(plain("none"))


def latency(ms: float | None) -> str:
    """``230 ms``, ``30.0 s``; ``-`` when there is none."""
    if ms is None:
        return "-"
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def _call_banner(c: CallView, late: MessageLogged | MessageView | None) -> tuple[str, str]:
    """(class, text) of the line that says what became of the call."""
    took = f" in {latency(c.latency_ms)}" if c.latency_ms is not None else ""
    if c.state == "pending":
        return "pending", "● PENDING: sent, waiting for the station's answer"
    if c.state == "answered":
        status = (c.response or {}).get("status")
        said = f": {status}" if isinstance(status, str) else ""
        return "answered", f"✓ ANSWERED{took}{said}"
    if c.state == "timed-out":
        if late is not None:
            return "failed", (
                f"⏱ LATE: no answer{took.replace(' in ', ' within ')}; it came at "
                f"{moment_ms(late.at)}, after the timeout the CSMS kept (it is below)"
            )
        return "failed", f"⏱ TIMED OUT{took}: {c.error_description or 'no answer in time'}"
    return "failed", f"✗ FAILED{took}: {c.error_code or 'error'} {c.error_description}".rstrip()
