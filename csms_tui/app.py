"""The operations console: live stations, messages and transactions over the core's service
layer and event stream. The console never reaches into the store: it reads snapshots from
:class:`core.application.service.CsmsService` and applies the core's events on top of them.

Each tab is a pane (:mod:`csms_tui.panes`) that owns its widgets, timers and queries; the app
composes them, holds the keys (so they work wherever the focus is, and the footer shows those of
the tab on show), runs the core or connects to it, and hands the core's events to the panes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Static, TabbedContent

from core.application.errors import ServiceError
from core.application.service import CsmsService
from core.collector import CollectorPolicy
from core.config import Config
from core.events import Event, Resync, Subscription
from csms_tui.inert import markup_safe
from csms_tui.key_footer import KeyFooter
from csms_tui.modals import ConfirmScreen, FilterScreen
from csms_tui.palette import StationCommands
from csms_tui.panes.base import ConsolePane
from csms_tui.panes.certificates import CertificatesPane
from csms_tui.panes.filters import HintedFilterScreen
from csms_tui.panes.log import LogPane
from csms_tui.panes.messages import MessagesPane
from csms_tui.panes.operations import OperationsPane
from csms_tui.panes.stations import StationsPane
from csms_tui.panes.tokens import TokensPane
from csms_tui.panes.transactions import TransactionsPane
from csms_tui.remote import DaemonLink
from csms_tui.resilience import KeepsRunning
from csms_tui.screens import StationDetailScreen
from csms_tui.timefmt import moment

log = logging.getLogger(__name__)
P = TypeVar("P", bound=ConsolePane)

# How long a console told to end by a signal may take to restore its terminal and stop before it
# is ended without that. A terminal that is gone (the SSH session dropped, the tmux server killed:
# SIGHUP) fails Textual's output thread on its next write, and Textual's shutdown then waits for
# that thread forever: the process, its embedded core and the stations' port would stay.
EXIT_GRACE_S = 5.0


class CsmsConsole(KeepsRunning, App[int]):
    """Stations (1), Messages (2), Transactions (3), Tokens (4), Certificates (5), Log (6),
    Operations (7)."""

    TITLE = "csms-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {StationCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show('stations')", "Stations", id="mode.stations"),
        Binding("2", "show('messages')", "Messages", id="mode.messages"),
        Binding("3", "show('transactions')", "Transactions", id="mode.transactions"),
        Binding("4", "show('tokens')", "Tokens", id="mode.tokens"),
        Binding("5", "show('certificates')", "Certificates", id="mode.certificates"),
        Binding("6", "show('log')", "Log", id="mode.log"),
        Binding("7", "show('operations')", "Operations", id="mode.operations"),
        Binding("enter", "detail", "Detail", id="station.detail", show=False),
        Binding("c", "actions", "Actions", id="station.actions"),
        Binding("s", "remote_start", "Remote start", id="station.remote_start"),
        Binding("x", "reset", "Reset", id="station.reset"),
        # A refused station is registered; a registered one is offered a password rotation:
        # either way, the station's password (a short label: it stays in view at 80 columns).
        Binding("g", "register", "Password", id="station.register"),
        Binding("G", "register_new", "New station", id="station.register_new"),
        Binding("v", "last_answer", "Answer", id="station.last_answer"),
        Binding("a", "add_token", "Add token", id="tokens.add"),
        Binding("b", "toggle_block", "Block/unblock", id="tokens.block"),
        Binding("d", "delete_token", "Delete token", id="tokens.delete"),
        Binding("i", "install_root", "Install root cert", id="certificates.install"),
        Binding("n", "renew", "Renew cert", id="certificates.renew"),
        Binding("p", "toggle_follow", "Follow/pause", id="messages.follow"),
        Binding("e", "export", "Export", id="messages.export"),
        Binding("o", "history", "Older", id="messages.history"),
        Binding("slash", "filter", "Filter", id="app.filter"),
        Binding("question_mark", "toggle_help", "Help", id="app.help"),
        # Only while the help panel is open (check_action): it closes like every other panel.
        Binding("escape", "hide_help_panel", "Close help", show=False, id="app.help_close"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]
    # Which bindings make sense on which tab: the footer shows only those.
    TAB_ACTIONS: ClassVar[dict[str, set[str]]] = {
        "stations": {
            "actions",
            "remote_start",
            "reset",
            "register",
            "register_new",
            "last_answer",
            "detail",
            "filter",
        },
        "messages": {"toggle_follow", "export", "history", "filter"},
        "transactions": {"detail", "filter", "export"},
        "tokens": {"add_token", "toggle_block", "delete_token", "detail", "filter"},
        "certificates": {"install_root", "renew", "filter"},
        "log-pane": set(),
        "operations": {"detail", "filter"},
    }
    CONTEXT_ACTIONS = frozenset().union(*TAB_ACTIONS.values())
    MESSAGE_WINDOW = 2000
    bell_on_alert = True  # tui.bell: the Stations tab rings when a station faults or drops

    def __init__(
        self,
        service_factory: Callable[[], Any] | None = None,
        *,
        service: CsmsService | None = None,
        keymap: dict[str, str] | None = None,
        message_window: int | None = None,
        program: bool = False,
    ) -> None:
        """`program`: the console is the program, as `csms-tui` runs it — the collector's
        policy started after loading (see `consume`), an unhandled error reported and survived
        instead of ending the app (see `_handle_exception`), SIGTERM and SIGHUP a clean exit.
        Tests leave it off, so an error in the console fails them."""
        super().__init__()
        self._program = program
        self._collector: CollectorPolicy | None = None  # the program's (see `consume`)
        self._exit_deadline: threading.Timer | None = None  # armed by a signal to end
        # What must happen before the process is ended without the app's own exit (see
        # EXIT_GRACE_S): run_console stops the embedded core there.
        self.before_forced_exit: Callable[[], None] | None = None
        self.embedded = service is not None  # the core is in this process: quitting stops it
        self.errors: list[BaseException] = []  # the errors survived, newest last
        self._last_error_notice = (0.0, "")
        self._service_factory = service_factory
        self._summary = ""  # the header line: where the core runs (restored when a link is back)
        self.service: CsmsService | None = service
        self._follow = True
        self.window = message_window or self.MESSAGE_WINDOW
        self._keymap = keymap or {}
        # Whether the CSMS listens on wss (what registration offers first); None: unknown.
        self.wss_listener: bool | None = None

    @property
    def follow(self) -> bool:
        """Whether the message log keeps the newest message selected."""
        with contextlib.suppress(NoMatches):
            return self._pane(MessagesPane).follow
        return self._follow

    @follow.setter
    def follow(self, value: bool) -> None:
        self._follow = value  # not composed yet: the log starts with this setting
        if self.is_running:
            with contextlib.suppress(NoMatches):
                self._pane(MessagesPane).follow = value

    @property
    def message_filter(self) -> str:
        """The message log's filter (its syntax: `FilterScreen`)."""
        return self._pane(MessagesPane).filter_text

    @message_filter.setter
    def message_filter(self, text: str) -> None:
        self._pane(MessagesPane).filter_text = text

    def _main(self, selector: Any, expect_type: Any = None) -> Any:
        """Query the console's own screen: ``App.query_one`` searches the active screen, which
        is a form or a detail screen whenever one is open, while events keep arriving."""
        if not self.screen_stack:  # closing: the screens are gone while events still arrive
            raise NoMatches(f"no screen to hold {selector}")
        screen = self.screen_stack[0]
        if expect_type is None:
            return screen.query_one(selector)
        return screen.query_one(selector, expect_type)

    def _pane(self, kind: type[P]) -> P:
        """The console's tab of this kind."""
        pane: P = self._main(kind)
        return pane

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("starting…", id="summary")
        with TabbedContent(initial="stations"):
            yield StationsPane("1 Stations", id="stations")
            yield MessagesPane("2 Messages", id="messages", window=self.window, follow=self._follow)
            yield TransactionsPane("3 Transactions", id="transactions")
            yield TokensPane("4 Tokens", id="tokens")
            yield CertificatesPane(
                "5 Certificates", id="certificates", fallback_station=self._selected_station
            )
            yield LogPane("6 Log", id="log-pane")
            yield OperationsPane("7 Operations", id="operations")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        if self._program:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                # Ends the app normally, so the terminal leaves the alternate screen and the
                # embedded core is stopped cleanly (stations closed with 1001) by run_console.
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self._exit_on_signal, sig)
        self.run_core()

    # --- errors and quitting ---------------------------------------------------------------------

    def _exit_on_signal(self, sig: signal.Signals) -> None:
        """Ends the app normally, and makes sure the process ends even if that cannot finish."""
        log.info("console ending on %s", sig.name)
        self.exit(0)
        if self._exit_deadline is None:
            self._exit_deadline = threading.Timer(EXIT_GRACE_S, self._end_stuck_exit, (sig,))
            self._exit_deadline.daemon = True
            self._exit_deadline.start()

    def exited(self) -> None:
        """The app has ended: what follows (stopping the embedded core) is the caller's, and
        takes as long as it takes."""
        if self._exit_deadline is not None:
            self._exit_deadline.cancel()

    def _end_stuck_exit(self, sig: signal.Signals) -> None:
        """On the deadline's thread: the app did not end. The embedded core is stopped as a
        normal exit stops it (stations closed with 1001, pending writes committed), then the
        process ends without waiting for the terminal."""
        log.error(
            "console did not end within %.0f s of %s (its terminal gone?): ending it",
            EXIT_GRACE_S,
            sig.name,
        )
        try:
            if self.before_forced_exit is not None:
                self.before_forced_exit()
        finally:
            logging.shutdown()
            os._exit(0)

    def _handle_exception(self, error: Exception) -> None:
        """Textual ends the app on any unhandled error; as the program, the console instead logs
        it with its traceback (csms.log and the Log tab), tells the operator, and goes on — the
        core serves its stations on its own loop whatever happens here."""
        if not self._program or not self.is_running:
            super()._handle_exception(error)
            return
        self.report_error(error)

    def report_error(self, error: BaseException) -> None:
        self.errors.append(error)
        del self.errors[:-20]
        log.error("console error (the stations are not affected)", exc_info=error)
        text = f"{type(error).__name__}: {error}"[:300]
        now = time.monotonic()
        last_at, last_text = self._last_error_notice
        if text == last_text and now - last_at < 10:
            return  # the same error again and again (a timer): one notice per ten seconds
        self._last_error_notice = (now, text)
        self.notify(
            f"{text}\nThe console went on; the traceback is in the log (6). Stations are not affected.",
            title="Console error",
            severity="error",
            timeout=15,
        )

    async def action_quit(self) -> None:
        """Quitting the embedded console stops the CSMS: say how many stations that drops."""
        count = 0
        if self.embedded and self.service is not None:
            with contextlib.suppress(Exception):  # a core that cannot say: quit anyway
                count = len(self.service.connected_stations())
        if count == 0:
            self.exit(0)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        plural = "station" if count == 1 else "stations"
        self.push_screen(
            ConfirmScreen(
                f"Quit? {count} connected {plural} will be disconnected: the CSMS stops with "
                "the console."
            ),
            answered,
        )

    def _help_shown(self) -> bool:
        return bool(self.screen.query("HelpPanel"))

    def action_toggle_help(self) -> None:
        """``?`` opens the key help and closes it again (Textual's own only opens it)."""
        if self._help_shown():
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab-specific keys act (and show in the footer) only on their tab."""
        if action == "hide_help_panel":
            return self._help_shown()  # otherwise Esc goes on to whatever else it does
        if action in self.CONTEXT_ACTIONS:
            # On a detail or history screen the tabs' own keys are not offered (`a` there must
            # not open Add token); that screen's bindings come first anyway.
            if self.screen is not self.screen_stack[0]:
                return False
            return action in self.TAB_ACTIONS.get(self._main(TabbedContent).active, set())
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        # A mode key lands the user on that mode's table, so arrows and enter act at once (the
        # focus change refreshes the footer's keys too).
        tables = event.pane.query("DataTable, LineTable") if event.pane is not None else None
        if tables and self.focused is not tables.first():
            tables.first().focus()
        else:
            self.refresh_bindings()
        if isinstance(event.pane, ConsolePane):
            event.pane.activated()

    # --- the core and its events ---------------------------------------------------------------

    @work(exclusive=True, group="core")
    async def run_core(self) -> None:
        if self.service is not None:
            # Handed a service: the core runs in this process, started by whoever made it.
            self._summary = "in-process core"
            self._main("#summary", Static).update(self._summary)
            await self.consume(self.service)
            return
        assert self._service_factory is not None
        try:
            async with self._service_factory() as csms:
                self.service = csms.service
                ports = dict(getattr(csms, "ports", {}) or {})
                if "ws" in ports or "wss" in ports:  # the gateway's listeners are known
                    self.wss_listener = "wss" in ports
                self.embedded = bool(getattr(csms, "embedded", False)) or (
                    getattr(csms, "gateway", None) is not None
                )
                self._summary = getattr(csms, "description", "") or (
                    f"gateway ws://127.0.0.1:{csms.ports.get('ws')}  ·  "
                    f"API http://127.0.0.1:{csms.ports.get('api')}"
                )
                self._main("#summary", Static).update(self._summary)
                await self.consume(csms.service)
        except Exception as exc:  # the core could not start: say why, don't vanish
            log.exception("the CSMS core failed")
            self.notify(f"the CSMS core failed: {exc}", severity="error", timeout=30)

    async def consume(self, service: CsmsService) -> None:
        sub = service.subscribe(maxsize=20_000)
        try:
            await self._consume(sub)
        finally:
            # Closed with the console: an embedded core's forwarding task (on the core's loop)
            # ends with it instead of being left to die with that loop.
            sub.close()
            if self._collector is not None:
                self._collector.stop()
                self._collector = None

    async def _consume(self, sub: Subscription) -> None:
        await self.reload()
        # What exists now (modules, schemas, widgets, the stations loaded) lives as long as the
        # program: moved out of the collector's way, a full collection no longer stalls the
        # screen for ~100 ms every few seconds (bench/bench_tui.py measured it); and so, as they
        # survive, do the embedded core's connections (core/collector.py).
        if self._program and self._collector is None:
            self._collector = CollectorPolicy()
            self._collector.start()
        while True:
            batch = [await sub.get()]
            while (more := sub.get_nowait()) is not None and len(batch) < 500:
                batch.append(more)  # coalesce a burst into one screen update
            try:
                await self.apply(batch)
            except NoMatches:
                if not self.is_running:  # events still arriving while the app closes
                    return
                raise

    async def reload(self) -> None:
        assert self.service is not None
        count = await self._pane(StationsPane).load()
        await self._pane(TransactionsPane).load()
        await self._pane(TokensPane).load()
        self._pane(LogPane).write(f"loaded {count} stations")

    async def apply(self, batch: list[Event]) -> None:
        """A burst of the core's events, to every pane in one screen update (messages show at
        once; station and transaction rows are marked for their next refresh)."""
        assert self.service is not None
        for event in batch:
            if isinstance(event, DaemonLink):
                self._link_changed(event)
        if any(isinstance(e, Resync) for e in batch):
            try:
                await self.reload()
            except ServiceError as exc:  # the daemon went again: its DaemonLink follows
                # The reason alone: its API field name (``csId: …``) means nothing here.
                self.notify(markup_safe(f"reload failed: {exc.message}"), severity="error")
        with self.batch_update():
            for pane in self._main(TabbedContent).query(ConsolePane):
                pane.apply(batch)

    def _link_changed(self, link: DaemonLink) -> None:
        """A remote daemon lost or back: the header says so, so nothing on screen passes for
        live while it is a snapshot of the moment the link went."""
        summary = self._main("#summary", Static)
        if link.up:
            summary.update(self._summary)
            self.notify("the daemon is back: everything reloaded", timeout=5)
            return
        summary.update(
            Text(
                f"⚠ daemon unreachable since {moment(link.at)}: what you see is as of then; "
                "retrying",
                style="bold red",
            )
        )
        self.notify(
            markup_safe(f"lost the daemon ({link.detail}); retrying every second"),
            severity="error",
            timeout=10,
        )

    # --- keys: the global ones, then those of one tab (check_action), handled by its pane -----

    def action_show(self, tab: str) -> None:
        """`1`…`6` from anywhere: a detail or history screen on top closes, and that tab shows.
        An open dialog answers first (its keys are its own)."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            self.pop_screen()
        if isinstance(self.screen, ModalScreen):
            return
        # Focus left in the old tab would pull it back: Textual shows the pane holding the
        # focus, and the Certificates tab keeps a second table focusable (6 did nothing there).
        self.screen.set_focus(None)
        self._main(TabbedContent).active = "log-pane" if tab == "log" else tab

    def action_detail(self) -> None:
        pane = self._main(TabbedContent).active_pane
        if self.service is not None and isinstance(pane, ConsolePane):
            pane.open_detail()

    def action_filter(self) -> None:
        """`/` on any list: words every shown row contains (the message log has its syntax)."""
        pane = self._main(TabbedContent).active_pane
        if not isinstance(pane, ConsolePane):
            return

        def chosen(text: str | None) -> None:
            if text is not None:
                text = text.strip()
                pane.set_filter(text)
                self.notify(f"filter: {text or 'none'}")

        if pane.filter_hint:  # a tab whose filter knows fields says which
            self.push_screen(HintedFilterScreen(pane.filter_text, pane.filter_hint), chosen)
            return
        messages = isinstance(pane, MessagesPane)
        self.push_screen(FilterScreen(pane.filter_text, messages=messages), chosen)

    def _selected_station(self, quiet: bool = False) -> str | None:
        return self._pane(StationsPane).selected(quiet)

    def context_station(self, screen: Screen[Any]) -> str | None:
        """The station the palette's commands are for."""
        if isinstance(screen, StationDetailScreen):
            return screen.station_id
        return self._selected_station(quiet=True)

    def start_action(self, station_id: str, action_id: str, **defaults: str) -> None:
        """Form (when the action has fields) → confirmation (when destructive) → send; for the
        station's detail screen and the palette too."""
        self._pane(StationsPane).start_action(station_id, action_id, **defaults)

    def action_actions(self) -> None:
        self._pane(StationsPane).choose_action()

    def action_remote_start(self) -> None:
        self._pane(StationsPane).start_selected("remote_start")

    def action_reset(self) -> None:
        self._pane(StationsPane).start_selected("reset")

    def action_register(self, station_id: str | None = None) -> None:
        self._pane(StationsPane).credentials(station_id or self._selected_station(quiet=True))

    def action_register_new(self) -> None:
        pane = self._pane(StationsPane)
        pane.register(self._selected_station(quiet=True) or "")

    def action_last_answer(self) -> None:
        self._pane(StationsPane).show_last_answer()

    def action_toggle_follow(self) -> None:
        self._pane(MessagesPane).toggle_follow()

    def action_export(self, tab: str = "") -> None:
        """`e`: the tab's rows as a file — the message log's as JSON lines, the transactions' as
        CSV; `tab` names the one (the palette), else the tab on show."""
        if (tab or self._main(TabbedContent).active) == "transactions":
            self._pane(TransactionsPane).export()
        else:
            self._pane(MessagesPane).export()

    def action_history(self) -> None:
        self._pane(MessagesPane).history()

    def action_add_token(self) -> None:
        self._pane(TokensPane).add_token()

    def action_toggle_block(self) -> None:
        self._pane(TokensPane).toggle_block()

    def action_delete_token(self) -> None:
        self._pane(TokensPane).delete_token()

    def action_install_root(self) -> None:
        self._pane(CertificatesPane).install_root()

    def action_renew(self) -> None:
        self._pane(CertificatesPane).renew()


def run_console(
    config: Config, connect: str | None, token: str | None, ca_file: str | None = None
) -> int:
    """Run the console on an embedded core (``connect`` is for a remote daemon).

    The embedded core runs on its own event loop in its own thread (``csms_tui.embedded``), and
    is serving before the first screen is drawn: a port in use or an unopenable store is one
    line from the command, not a screen that opens and dies. The exit code is 1 when the console
    itself ended on an error."""
    options: dict[str, Any] = {
        "keymap": dict(config.tui.keymap),
        "message_window": config.tui.message_window,
        "program": True,
    }
    if connect is not None:
        from csms_tui.remote import connect as remote

        return _run_app(CsmsConsole(lambda: remote(connect, token, ca_file), **options), config)

    from core.runtime import Csms
    from csms_tui.embedded import SWITCH_INTERVAL, CoreThread

    sys.setswitchinterval(SWITCH_INTERVAL)  # the core's answers wait for the GIL less
    core: CoreThread[Csms] = CoreThread(lambda: Csms(config))
    core.start()  # raises what stops it from serving, before any screen
    try:
        console = CsmsConsole(core.attach, **options)
        console.before_forced_exit = core.stop
        return _run_app(console, config)
    finally:
        core.stop()


def _run_app(app: CsmsConsole, config: Config) -> int:
    app.theme = config.tui.theme
    app.bell_on_alert = config.tui.bell
    try:
        result = app.run()
    except Exception:
        log.exception("the console ended on an error")
        return 1
    finally:
        app.exited()
    return app.return_code or result or 0
