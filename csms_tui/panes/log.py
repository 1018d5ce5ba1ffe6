"""The Log tab: the application's log lines (see :mod:`csms_tui.log_handler`) and the console's
own notes, such as refused connections."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.widgets import RichLog

from core.events import ConnectionRefused, Event
from csms_tui.inert import inert
from csms_tui.log_handler import ConsoleLogHandler
from csms_tui.panes.base import ConsolePane
from csms_tui.timefmt import clock


class LogPane(ConsolePane):
    FLUSH = 0.25  # seconds between drains of the handler's queue

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self._handler = ConsoleLogHandler()

    def compose(self) -> ComposeResult:
        yield RichLog(id="log", max_lines=5000)

    def on_mount(self) -> None:
        logging.getLogger().addHandler(self._handler)
        self.set_interval(self.FLUSH, self._flush)

    def on_unmount(self) -> None:
        logging.getLogger().removeHandler(self._handler)

    def write(self, line: str) -> None:
        self.query_one("#log", RichLog).write(line)

    def apply(self, batch: Sequence[Event]) -> None:
        for event in batch:
            if isinstance(event, ConnectionRefused):
                self.write(
                    f"{clock(event.at)} UTC refused {inert(event.station_id)}: "
                    f"{inert(event.reason)}"
                )

    def _flush(self) -> None:
        lines = self._handler.drain()
        if lines:
            log_view = self.query_one("#log", RichLog)
            for line in lines:
                log_view.write(line)
