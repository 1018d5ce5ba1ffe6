"""The Messages tab: the live OCPP message log (a bounded window; older pages are in the
store), the highlighted message's call and answer side by side, export and history."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict, deque
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Static

from core.application.errors import ServiceError
from core.application.views import MessageView
from core.events import Event, MessageLogged
from csms_tui.history_screens import MessageHistoryScreen
from csms_tui.inert import inert
from csms_tui.message_log import MessageLog
from csms_tui.panes.base import ConsolePane
from csms_tui.payload import DIRECTIONS, MESSAGE_TYPES, explanation_text, message_text
from csms_tui.timefmt import clock_ms

COLUMNS = (
    ("Time UTC", 12),
    ("Station", 16),
    ("Dir", 3),
    ("Type", 6),
    ("Action", 28),
    ("Message id", 24),
    ("Latency", 8),
    ("Detail", 0),
)
DETAIL_DELAY = 0.25  # seconds: how often the detail follows a busy log
EMPTY = (
    "No messages yet: every frame between the CSMS and its stations shows here as it passes. "
    "Connect a station, or press o for the stored log."
)
NO_MATCH = "No message in the window matches the filter: / changes it, o searches the stored log."
# How many of a station's newest stored messages are searched for the one to explain.
WHY_SEARCH = 100


class MessagesPane(ConsolePane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "why", "Why", id="messages.why"),
    ]

    def __init__(self, title: str, *, id: str, window: int, follow: bool) -> None:
        """`window`: how many messages are kept; `follow`: whether the newest is selected."""
        super().__init__(title, id=id)
        self.window = window
        self._follow = follow
        self._recent: deque[tuple[MessageLogged, float | None]] = deque(maxlen=window)
        self._open_calls: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._detail: MessageLogged | None = None
        self._detail_timer: Timer | None = None
        self._why_shown = False

    def compose(self) -> ComposeResult:
        yield MessageLog(COLUMNS, self.window, follow=self._follow, id="messages-table")
        # Each side scrolls on its own: a long payload (a report, a certificate) is read there.
        with Horizontal(id="message-detail"):
            with VerticalScroll(classes="json"):
                yield Static(EMPTY, id="message-call")
            with VerticalScroll(classes="json"):
                yield Static("", id="message-result")
            # The error explained (w): beside the frame, not instead of it.
            with VerticalScroll(classes="json", id="message-why-scroll") as why:
                why.display = False
                yield Static("", id="message-why")

    @property
    def follow(self) -> bool:
        """Whether the message log keeps the newest message selected."""
        return self._follow

    @follow.setter
    def follow(self, value: bool) -> None:
        self._follow = value
        with contextlib.suppress(NoMatches):  # not composed yet: the log starts with this
            log = self.query_one("#messages-table", MessageLog)
            log.follow = value
            if value:
                log.move_cursor(row=log.row_count - 1)

    def toggle_follow(self) -> None:
        self.follow = not self.follow
        self.notify("following new messages" if self.follow else "paused")

    def apply(self, batch: Sequence[Event]) -> None:
        """Messages show at once, a burst in one go: one follow, one highlight, one repaint."""
        shown: list[tuple[MessageLogged, float | None]] = []
        for event in batch:
            if isinstance(event, MessageLogged) and self.add_message(event):
                shown.append(self._recent[-1])
        if shown:
            self.query_one("#messages-table", MessageLog).add(
                _message_row(e, lat) for e, lat in shown
            )

    def activated(self) -> None:
        self._show_detail()

    def add_message(self, e: MessageLogged) -> bool:
        """Keep `e` in the bounded window (older pages live in the store); True if the filter shows it."""
        key = (e.station_id, e.message_id)
        latency: float | None = None
        if e.message_type == 2:
            self._open_calls[key] = e.at
            while len(self._open_calls) > self.window:
                self._open_calls.popitem(last=False)
        elif (started := self._open_calls.pop(key, None)) is not None:
            latency = (e.at - started).total_seconds() * 1000
        self._recent.append((e, latency))
        return self._matches(e)

    def _matches(self, e: MessageLogged) -> bool:
        if not self.filter_text:
            return True
        for term in self.filter_text.lower().split():
            name, sep, value = term.partition(":")
            if not sep:
                if term == "errors":
                    if e.message_type != 4:
                        return False
                elif not (
                    term in e.station_id.lower()
                    or term in e.action.lower()
                    or term in e.error_code.lower()
                ):
                    return False
            elif (
                (name == "station" and value not in e.station_id.lower())
                or (name == "action" and value not in e.action.lower())
                or (name == "dir" and value != e.direction)
            ):
                return False
        return True

    def set_filter(self, text: str) -> None:
        """Show the window's messages that pass the filter, keeping the selected message."""
        super().set_filter(text)
        log = self.query_one("#messages-table", MessageLog)
        selected = log.selected
        log.clear()
        log.add(_message_row(e, lat) for e, lat in self._recent if self._matches(e))
        if not log.row_count:
            self._detail = None
            self._show_detail()
        if not self.follow and selected is not None:
            for index, e in enumerate(log.rows()):
                if e is selected:
                    log.move_cursor(row=index)
                    break

    @on(MessageLog.Highlighted, "#messages-table")
    def _message_highlighted(self, event: MessageLog.Highlighted) -> None:
        # Re-laying out the detail pane costs a whole-screen layout: while the log follows a
        # busy site it is refreshed four times a second, not on every burst.
        self._detail = event.data
        if not self.follow:
            self._show_detail()
        elif self._detail_timer is None:
            self._detail_timer = self.set_timer(DETAIL_DELAY, self._show_detail)

    def _show_detail(self) -> None:
        self._detail_timer = None
        e = self._detail
        if not self.app.screen_stack or not self.active:  # a timer that fires while closing
            return
        if e is None or not self.query_one("#messages-table", MessageLog).row_count:
            self.query_one("#message-call", Static).update(
                NO_MATCH if self.filter_text and self._recent else EMPTY
            )
            self.query_one("#message-result", Static).update("")
            return
        call = e if e.message_type == 2 else self._find(e, want_call=True)
        answer = self._find(e, want_call=False) if e.message_type == 2 else e
        self.query_one("#message-call", Static).update(_pretty("call", call))
        self.query_one("#message-result", Static).update(_pretty("answer", answer))
        if self._why_shown:
            self._load_why(answer if e.message_type == 2 and answer is not None else e)

    def action_why(self) -> None:
        """Show (or hide) why the highlighted exchange failed, beside its frames."""
        self._why_shown = not self._why_shown
        self.query_one("#message-why-scroll").display = self._why_shown
        if self._why_shown:
            self._show_detail()

    @work(exclusive=True, group="why")
    async def _load_why(self, e: MessageLogged) -> None:
        # The stored message carries the explanation the API gives: worked out by the core from
        # the station's version and the payload that broke the rule, not guessed here.
        why = self.query_one("#message-why", Static)
        if e.message_type == 2:
            why.update(explanation_text(None, "No answer yet: nothing to explain."))
            return
        if self.service is None:
            why.update(explanation_text(None, "The core is not up yet."))
            return
        stored = None
        for attempt in range(3):  # the log is written in batches: a frame just seen may wait
            try:
                page: list[MessageView] = await self.service.list_messages(
                    station_id=e.station_id,
                    action=e.action or None,
                    errors_only=e.message_type == 4,
                    limit=WHY_SEARCH,
                )
            except ServiceError as exc:
                why.update(explanation_text(None, inert(exc.message)))
                return
            stored = _stored(page, e)
            if stored is not None or attempt == 2:
                break
            await asyncio.sleep(0.1)
        if stored is None:
            why.update(explanation_text(None, "Not in the stored log (yet): o searches it."))
        elif stored.explanation is None:
            why.update(explanation_text(None, "No error here: the frame broke no rule."))
        else:
            why.update(explanation_text(stored.explanation, ""))

    @on(MessageLog.FollowChanged)
    def _message_log_follow(self, event: MessageLog.FollowChanged) -> None:
        self._follow = event.following
        if event.following:
            self.notify("following new messages")
        else:
            self.notify("paused: new messages no longer move the cursor (p or end follows again)")

    def _find(self, e: MessageLogged, want_call: bool) -> MessageLogged | None:
        for other, _ in reversed(self._recent):
            if (
                other.station_id == e.station_id
                and other.message_id == e.message_id
                and (other.message_type == 2) == want_call
            ):
                return other
        return None

    def export(self) -> None:
        """The filtered in-memory window as JSON lines, one message per line."""
        path = Path.cwd() / f"messages-{datetime.now(UTC):%Y%m%d-%H%M%S}.jsonl"
        rows = [_message_json(e) for e, _ in self._recent if self._matches(e)]
        self.export_messages(path, rows)

    @work(group="export")
    async def export_messages(self, path: Path, rows: list[dict[str, Any]]) -> None:
        def write() -> None:
            with path.open("w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, default=str) + "\n")

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            self.notify(f"export failed: {exc.strerror}", severity="error")
            return
        self.notify(f"exported {len(rows)} messages to {path}")

    def history(self) -> None:
        if self.service is not None:
            self.app.push_screen(MessageHistoryScreen(self.service, self.filter_text))


def _message_json(e: MessageLogged) -> dict[str, Any]:
    return {
        "at": e.at.isoformat(),
        "station": e.station_id,
        "direction": e.direction,
        "type": e.message_type,
        "id": e.message_id,
        "action": e.action,
        "payload": e.payload,
        "errorCode": e.error_code or None,
        "errorDescription": e.error_description or None,
    }


def _message_row(e: MessageLogged, latency: float | None) -> tuple[list[str], bool, MessageLogged]:
    detail = ": ".join(part for part in (e.error_code, e.error_description) if part)
    cells = [
        clock_ms(e.at),
        e.station_id,
        DIRECTIONS.get(e.direction, e.direction),
        MESSAGE_TYPES.get(e.message_type, "?"),
        e.action,
        e.message_id,
        f"{latency:.0f} ms" if latency is not None else "",
        detail,
    ]
    return cells, e.message_type == 4, e


def _stored(page: list[MessageView], e: MessageLogged) -> MessageView | None:
    for m in page:
        if (m.message_id, m.message_type, m.direction) == (
            e.message_id,
            e.message_type,
            e.direction,
        ):
            return m
    return None


def _pretty(title: str, e: MessageLogged | None) -> Text:
    return message_text(title, e, "not in the window: o pages through the stored log")
