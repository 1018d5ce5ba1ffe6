"""The application's log lines, caught for the console's Log tab: nothing may write to the
terminal the console draws on."""

from __future__ import annotations

import logging
from collections import deque

from core.inert import InertFormatter


class ConsoleLogHandler(logging.Handler):
    """The application's log lines go to the Log tab, never to the terminal the console draws
    on. Records may come from any thread (the store's writer), so they are queued here and the
    console drains them on a timer."""

    def __init__(self, limit: int = 5000) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(InertFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._lines: deque[str] = deque(maxlen=limit)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
        # logging.Handler.emit's own convention: a record that cannot be formatted goes to
        # handleError, and must not take the console down.
        except Exception:  # noqa: BLE001
            self.handleError(record)

    def drain(self) -> list[str]:
        out = []
        while self._lines:
            out.append(self._lines.popleft())
        return out
