"""What every tab of the console has in common."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from typing import Generic, Protocol, TypeVar, cast

from textual.css.query import NoMatches
from textual.widgets import TabbedContent, TabPane

from core.application.errors import ServiceError
from core.application.service import CsmsService
from core.events import Event
from csms_tui.resilience import KeepsRunning

log = logging.getLogger(__name__)

ROW_REFRESH = 0.5  # seconds between station/transaction row refreshes under load
K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class ConsoleHost(Protocol):
    """What a pane needs from the console: the service, once the core is up (a remote
    console connects after the panes are composed)."""

    service: CsmsService | None


class ConsolePane(KeepsRunning, TabPane):
    """One tab. A ``TabPane`` itself, so the DOM (and the CSS written for it) is what it was
    with plain panes; ``KeepsRunning`` because an error in one of its message handlers must
    cost that message, not the pane's message loop (a timer's error goes to the app anyway)."""

    # What `/` takes on this tab, for the filter dialog; empty: words every shown row contains.
    filter_hint = ""

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


class LivePane(ConsolePane, Generic[K, R]):
    """A tab whose rows the core's events change: an event only marks its row (:meth:`mark`),
    and the marked rows are brought up to date at most every ROW_REFRESH seconds.

    Each changed row is read back from the service (a store query, or an HTTP request in
    --connect mode); a site of 1,000 stations changes something every few milliseconds, so
    a station that changed ten times in half a second is read once.

    Subclasses provide :meth:`read` and :meth:`show` (not ``abc`` abstract methods: Textual's
    metaclass and ``ABCMeta`` do not combine)."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self._dirty: set[K] = set()

    def on_mount(self) -> None:
        self.set_interval(ROW_REFRESH, self.refresh_rows)

    def mark(self, key: K) -> None:
        self._dirty.add(key)

    async def read(self, keys: set[K]) -> R:
        """The marked rows' current state, from the service."""
        raise NotImplementedError

    def show(self, rows: R) -> None:
        """Put what :meth:`read` returned in the table, by row key."""
        raise NotImplementedError

    async def refresh_rows(self) -> None:
        if self.service is None or not self._dirty:
            return
        keys, self._dirty = self._dirty, set()
        # Read everything first: the screen keeps painting (and keys keep working) while the
        # store answers; only the table updates below run under batch_update.
        try:
            rows = await self.read(keys)
        except ServiceError as exc:  # e.g. the remote daemon went away: try again next time
            self._dirty |= keys
            log.warning("refreshing rows failed: %s", exc.message)
            return
        try:
            with self.app.batch_update():
                self.show(rows)
        except NoMatches:
            if self.app.is_running:
                raise
