"""What every tab of the console has in common."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast

from textual.widgets import TabbedContent, TabPane

from core.events import Event
from core.service import CsmsService
from csms_tui.resilience import KeepsRunning

ROW_REFRESH = 0.5  # seconds between station/transaction row refreshes under load


class ConsoleHost(Protocol):
    """What a pane needs from the console: the service, once the core is up (a remote
    console connects after the panes are composed)."""

    service: CsmsService | None


class ConsolePane(KeepsRunning, TabPane):
    """One tab. A ``TabPane`` itself, so the DOM (and the CSS written for it) is what it was
    with plain panes; ``KeepsRunning`` because an error in a pane's handler or timer must cost
    that event, not the pane's message loop."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.filter_text = ""  # what `/` last set on this tab

    @property
    def service(self) -> CsmsService | None:
        return cast(ConsoleHost, self.app).service

    @property
    def active(self) -> bool:
        """Whether this is the tab on show."""
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        return tabs is not None and tabs.active == self.id

    def apply(self, batch: Sequence[Event]) -> None:
        """The core's events, a burst at a time, inside the app's ``batch_update``."""

    def activated(self) -> None:
        """The tab was brought on show."""

    def open_detail(self) -> None:
        """``enter``: the highlighted row's detail, where the tab has one."""

    def set_filter(self, text: str) -> None:
        """``/``: words every shown row contains."""
        self.filter_text = text
