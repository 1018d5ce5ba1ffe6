"""Keeping the console's message loops alive through an error in one of its handlers.

Textual ends a widget's or screen's message loop at the first exception a handler raises (and
the app with it). For the console's own screens and the app, an error in one key press or one
event must cost that key press, not the console: the error is handed to the app, which reports
it (``CsmsConsole.report_error``) and the loop goes on with the next message."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump


class KeepsRunning(MessagePump):
    """Mix in before the Textual base class: ``class X(KeepsRunning, ModalScreen[T])``."""

    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            report: Any = getattr(self.app, "report_error", None)
            if report is None or not getattr(self.app, "_program", False):
                raise  # tests and plain apps: Textual's own handling (the app ends)
            report(error)
