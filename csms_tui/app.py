"""The operations console: live stations, messages and transactions over the core's service
layer and event stream. The console never reaches into the store: it reads snapshots from
:class:`core.service.CsmsService` and applies the core's events on top of them."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    RichLog,
    Static,
    TabbedContent,
    TabPane,
)

from core.config import Config
from core.events import (
    ConnectionRefused,
    Event,
    MessageLogged,
    Resync,
    StationBooted,
    StationConnected,
    StationDisconnected,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from core.service import CsmsService, ServiceError, StationSummary, TokenInput, TransactionSummary
from csms_tui.actions import (
    BY_ID,
    ActionFormScreen,
    ActionMenuScreen,
    describe_answer,
)
from csms_tui.screens import (
    InstallCertificateScreen,
    MessageHistoryScreen,
    RegisterStationScreen,
    RegistrationResultScreen,
    StationDetailScreen,
    TokenFormScreen,
    TransactionDetailScreen,
    read_pem,
)

log = logging.getLogger(__name__)

_DIRECTION = {"in": "→", "out": "←"}
_TYPE = {2: "CALL", 3: "RESULT", 4: "ERROR"}
_STATION_EVENTS = (
    StationConnected,
    StationDisconnected,
    StationBooted,
    StatusChanged,
    ConnectionRefused,
)
_TX_EVENTS = (TransactionStarted, TransactionUpdated, TransactionEnded)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question for destructive actions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel")
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question)
            with Horizontal():
                yield Button("Yes", variant="error", id="yes")
                yield Button("No", id="no")

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_cancel(self) -> None:
        self.dismiss(False)


class FilterScreen(ModalScreen[str | None]):
    """Filter the message log: a station id, an action, an error code, or ``errors``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="filter.cancel")
    ]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                "Filter messages: words match station, action or error code; "
                "station:ID action:NAME dir:in|out errors; empty = all"
            )
            yield Input(value=self.current, id="filter")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConsoleLogHandler(logging.Handler):
    """The application's log lines go to the Log tab, never to the terminal the console draws
    on. Records may come from any thread (the store's writer), so they are queued here and the
    console drains them on a timer."""

    def __init__(self, limit: int = 5000) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._lines: deque[str] = deque(maxlen=limit)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
        except Exception:  # a broken record must not take the console down
            self.handleError(record)

    def drain(self) -> list[str]:
        out = []
        while self._lines:
            out.append(self._lines.popleft())
        return out


class StationCommands(Provider):
    """``ctrl+p``: every action for the station in context (the highlighted row, or the station
    whose detail screen is open), and the screens."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app = self.app
        assert isinstance(app, CsmsConsole)
        out: list[tuple[str, Callable[[], Any], str]] = []
        station = app.context_station(self.screen)
        if station is not None:
            from csms_tui.actions import ACTIONS

            for action in ACTIONS:
                out.append(
                    (
                        f"{action.title} on {station}",
                        partial(app.start_action, station, action.id),
                        action.help or f"send {action.title.lower()} to {station}",
                    )
                )
            out.append(
                (f"Register {station} again", partial(app.register, station), "new password")
            )
        for tab, title in TABS:
            out.append((f"Show {title}", partial(app.action_show, tab), f"switch to {title}"))
        out.append(("Export the message log", app.action_export, "filtered, as JSON lines"))
        out.append(("Older messages", app.action_history, "page through the stored log"))
        return out

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)


TABS = (
    ("stations", "Stations"),
    ("messages", "Messages"),
    ("transactions", "Transactions"),
    ("tokens", "Tokens"),
    ("certificates", "Certificates"),
    ("log", "Log"),
)


class CsmsConsole(App[int]):
    """Stations (1), Messages (2), Transactions (3), Tokens (4), Certificates (5), Log (6)."""

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
        Binding("enter", "detail", "Detail", id="station.detail", show=False),
        Binding("c", "actions", "Actions", id="station.actions"),
        Binding("s", "remote_start", "Remote start", id="station.remote_start"),
        Binding("x", "reset", "Reset", id="station.reset"),
        Binding("g", "register", "Register", id="station.register"),
        Binding("a", "add_token", "Add token", id="tokens.add"),
        Binding("b", "toggle_block", "Block/unblock", id="tokens.block"),
        Binding("d", "delete_token", "Delete token", id="tokens.delete"),
        Binding("i", "install_root", "Install root cert", id="certificates.install"),
        Binding("n", "renew", "Renew cert", id="certificates.renew"),
        Binding("p", "toggle_follow", "Follow/pause", id="messages.follow"),
        Binding("e", "export", "Export", id="messages.export"),
        Binding("o", "history", "Older", id="messages.history"),
        Binding("slash", "filter", "Filter", id="messages.filter"),
        Binding("question_mark", "show_help_panel", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]
    # Which bindings make sense on which tab: the footer shows only those.
    TAB_ACTIONS: ClassVar[dict[str, set[str]]] = {
        "stations": {"actions", "remote_start", "reset", "register", "detail"},
        "messages": {"toggle_follow", "export", "history", "filter"},
        "transactions": {"detail"},
        "tokens": {"add_token", "toggle_block", "delete_token", "detail"},
        "certificates": {"install_root", "renew"},
        "log-pane": set(),
    }
    CONTEXT_ACTIONS = frozenset().union(*TAB_ACTIONS.values())
    MESSAGE_WINDOW = 2000

    def __init__(
        self,
        service_factory: Callable[[], Any] | None = None,
        *,
        service: CsmsService | None = None,
        keymap: dict[str, str] | None = None,
        message_window: int | None = None,
    ) -> None:
        super().__init__()
        self._service_factory = service_factory
        self.service: CsmsService | None = service
        self.follow = True
        self.window = message_window or self.MESSAGE_WINDOW
        self._messages: deque[int] = deque()
        self._recent: deque[MessageLogged] = deque(maxlen=self.window)
        self._shown: dict[str, MessageLogged] = {}
        self._open_calls: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._latency: dict[int, float] = {}
        self._refused: dict[str, str] = {}
        self.message_filter = ""
        self._message_key = 0
        self._keymap = keymap or {}

    def _main(self, selector: Any, expect_type: Any = None) -> Any:
        """Query the console's own screen: ``App.query_one`` searches the active screen, which
        is a form or a detail screen whenever one is open, while events keep arriving."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        if expect_type is None:
            return screen.query_one(selector)
        return screen.query_one(selector, expect_type)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("starting…", id="summary")
        with TabbedContent(initial="stations"):
            with TabPane("1 Stations", id="stations"):
                yield DataTable(id="stations-table", cursor_type="row")
            with TabPane("2 Messages", id="messages"):
                yield DataTable(id="messages-table", cursor_type="row")
                with Horizontal(id="message-detail"):
                    yield Static("", id="message-call", classes="json")
                    yield Static("", id="message-result", classes="json")
            with TabPane("3 Transactions", id="transactions"):
                yield DataTable(id="transactions-table", cursor_type="row")
            with TabPane("4 Tokens", id="tokens"):
                yield DataTable(id="tokens-table", cursor_type="row")
            with TabPane("5 Certificates", id="certificates"):
                yield DataTable(id="certificates-table", cursor_type="row")
                yield Label("The CSMS's own certificates")
                yield DataTable(id="own-certificates-table", cursor_type="row")
            with TabPane("6 Log", id="log-pane"):
                yield RichLog(id="log", max_lines=5000)
        yield Footer()

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        columns = {
            "#stations-table": (
                ("id", "Station"),
                ("state", "State"),
                ("version", "OCPP"),
                ("model", "Vendor / model"),
                ("connectors", "Connectors"),
                ("tx", "Active tx"),
                ("seen", "Last seen"),
                ("profile", "Profile"),
            ),
            "#messages-table": (
                ("time", "Time"),
                ("station", "Station"),
                ("dir", "Dir"),
                ("type", "Type"),
                ("action", "Action"),
                ("id", "Message id"),
                ("latency", "Latency"),
                ("detail", "Detail"),
            ),
            "#tokens-table": (
                ("uid", "Uid"),
                ("contract", "Contract id"),
                ("type", "Type"),
                ("status", "Status"),
                ("group", "Group"),
                ("expiry", "Expires"),
            ),
            "#transactions-table": (
                ("station", "Station"),
                ("tx", "Transaction"),
                ("state", "State"),
                ("token", "Token"),
                ("evse", "EVSE"),
                ("energy", "Energy kWh"),
                ("cost", "Cost"),
                ("reason", "Stop reason"),
            ),
            "#certificates-table": (
                ("station", "Station"),
                ("type", "Type"),
                ("status", "Status"),
                ("subject", "Subject"),
                ("expires", "Expires"),
                ("attempts", "Attempts"),
                ("id", "Id"),
            ),
            "#own-certificates-table": (
                ("role", "Role"),
                ("subject", "Subject"),
                ("issuer", "Issuer"),
                ("expires", "Expires"),
                ("path", "File"),
            ),
        }
        for selector, cols in columns.items():
            table = self._main(selector, DataTable)
            for key, label in cols:
                table.add_column(label, key=key)
        self._log_handler = ConsoleLogHandler()
        logging.getLogger().addHandler(self._log_handler)
        self.set_interval(0.25, self._flush_log)
        self.run_core()

    def on_unmount(self) -> None:
        logging.getLogger().removeHandler(self._log_handler)

    def _flush_log(self) -> None:
        lines = self._log_handler.drain()
        if lines:
            log_view = self._main("#log", RichLog)
            for line in lines:
                log_view.write(line)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab-specific keys act (and show in the footer) only on their tab."""
        if action in self.CONTEXT_ACTIONS and self.screen is self.screen_stack[0]:
            return action in self.TAB_ACTIONS.get(self._main(TabbedContent).active, set())
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        if event.pane.id == "certificates" and self.service is not None:
            self.reload_certificates()

    # --- the core and its events ---------------------------------------------------------------

    @work(exclusive=True, group="core")
    async def run_core(self) -> None:
        if self.service is not None:
            await self.consume(self.service)
            return
        assert self._service_factory is not None
        try:
            async with self._service_factory() as csms:
                self.service = csms.service
                self._main("#summary", Static).update(
                    getattr(csms, "description", "")
                    or f"gateway ws://127.0.0.1:{csms.ports.get('ws')}  ·  API http://127.0.0.1:{csms.ports.get('api')}"
                )
                await self.consume(csms.service)
        except Exception as exc:  # the core could not start: say why, don't vanish
            log.exception("the CSMS core failed")
            self.notify(f"the CSMS core failed: {exc}", severity="error", timeout=30)

    async def consume(self, service: CsmsService) -> None:
        sub = service.subscribe(maxsize=20_000)
        await self.reload()
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
        page = await self.service.list_stations(limit=1000)
        with self.batch_update():
            for station in page.stations:
                self.upsert_station(station)
            for tx in await self.service.list_transactions(limit=200):
                self.upsert_transaction(tx)
        await self.reload_tokens()
        self._main("#log", RichLog).write(f"loaded {len(page.stations)} stations")

    async def apply(self, batch: list[Event]) -> None:
        assert self.service is not None
        stations = {e.station_id for e in batch if isinstance(e, _STATION_EVENTS)}
        txs = {(e.station_id, e.transaction_id) for e in batch if isinstance(e, _TX_EVENTS)}
        stations |= {s for s, _ in txs}
        if any(isinstance(e, Resync) for e in batch):
            await self.reload()
        with self.batch_update():
            for event in batch:
                if isinstance(event, MessageLogged):
                    self.add_message(event)
                elif isinstance(event, ConnectionRefused):
                    self._refused[event.station_id] = event.reason
                    self._main("#log", RichLog).write(
                        f"{event.at:%H:%M:%S} refused {event.station_id}: {event.reason}"
                    )
            for station_id in stations:
                try:
                    self.upsert_station(await self.service.station_summary(station_id))
                except ServiceError:
                    self.show_refused(station_id)
            for station_id, tx_id in txs:
                for tx in await self.service.list_transactions(station_id=station_id, limit=20):
                    if tx.transaction_id == tx_id:
                        self.upsert_transaction(tx)

    # --- tables: updated in place by row key ---------------------------------------------------

    def upsert_station(self, s: StationSummary) -> None:
        table = self._main("#stations-table", DataTable)
        connectors = " ".join(f"{c.connector_id}:{c.status}" for c in s.connectors) or "-"
        refused = self._refused.get(s.station_id) if not s.connected else None
        state = "● online" if s.connected else "○ offline"
        row = {
            "id": s.station_id,
            "state": f"✗ {refused}" if refused else state,
            "version": s.ocpp_version or "-",
            "model": f"{s.vendor} {s.model}".strip() or "-",
            "connectors": connectors,
            "tx": ", ".join(t.transaction_id for t in s.active_transactions) or "-",
            "seen": f"{s.last_seen_at:%H:%M:%S}" if s.last_seen_at else "-",
            "profile": str(s.security_profile),
        }
        if s.connected:
            self._refused.pop(s.station_id, None)
        self._upsert(table, s.station_id, row)

    def show_refused(self, station_id: str) -> None:
        """A station that tried to connect but is not registered: shown, one key to register."""
        reason = self._refused.get(station_id, "unknown")
        row = {
            "id": station_id,
            "state": f"✗ {reason} (g: register)",
            "version": "-",
            "model": "-",
            "connectors": "-",
            "tx": "-",
            "seen": f"{datetime.now(UTC):%H:%M:%S}",
            "profile": "-",
        }
        self._upsert(self._main("#stations-table", DataTable), station_id, row)

    def upsert_transaction(self, t: TransactionSummary) -> None:
        table = self._main("#transactions-table", DataTable)
        row = {
            "station": t.station_id,
            "tx": t.transaction_id,
            "state": "charging" if t.active else "ended",
            "token": t.id_token or "-",
            "evse": str(t.evse_id),
            "energy": f"{t.energy_wh / 1000:.3f}" if t.energy_wh is not None else "-",
            "cost": f"{t.cost:.2f} {t.currency}" if t.cost is not None else "-",
            "reason": t.stopped_reason or "-",
        }
        self._upsert(table, f"{t.station_id}/{t.transaction_id}", row)

    @staticmethod
    def _upsert(table: DataTable[Any], key: str, row: dict[str, str]) -> None:
        if key in table.rows:
            for column, value in row.items():
                table.update_cell(key, column, value)
        else:
            table.add_row(*row.values(), key=key)

    # --- messages --------------------------------------------------------------------------------

    def add_message(self, e: MessageLogged) -> None:
        self._recent.append(e)  # bounded: older pages live in the store
        key = (e.station_id, e.message_id)
        if e.message_type == 2:
            self._open_calls[key] = e.at
            while len(self._open_calls) > self.window:
                self._open_calls.popitem(last=False)
        elif (started := self._open_calls.pop(key, None)) is not None:
            self._latency[id(e)] = (e.at - started).total_seconds() * 1000
        if self._matches(e):
            self._show_message(e)

    def _matches(self, e: MessageLogged) -> bool:
        if not self.message_filter:
            return True
        for term in self.message_filter.lower().split():
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

    def _show_message(self, e: MessageLogged) -> None:
        table = self._main("#messages-table", DataTable)
        self._message_key += 1
        key = str(self._message_key)
        detail = ": ".join(part for part in (e.error_code, e.error_description) if part)
        latency = self._latency.pop(id(e), None)
        table.add_row(
            f"{e.at:%H:%M:%S.%f}"[:-3],
            e.station_id,
            _DIRECTION.get(e.direction, e.direction),
            _TYPE.get(e.message_type, "?"),
            e.action,
            e.message_id,
            f"{latency:.0f} ms" if latency is not None else "",
            detail,
            key=key,
        )
        self._shown[key] = e
        self._messages.append(self._message_key)
        while len(self._messages) > self.window:
            old = str(self._messages.popleft())
            table.remove_row(old)
            self._shown.pop(old, None)
        if self.follow:
            table.move_cursor(row=table.row_count - 1)

    @on(DataTable.RowHighlighted, "#messages-table")
    def _message_highlighted(self, event: DataTable.RowHighlighted) -> None:
        e = self._shown.get(str(event.row_key.value))
        if e is None:
            return
        call = e if e.message_type == 2 else self._find(e, want_call=True)
        answer = self._find(e, want_call=False) if e.message_type == 2 else e
        self._main("#message-call", Static).update(_pretty("call", call))
        self._main("#message-result", Static).update(_pretty("answer", answer))

    def _find(self, e: MessageLogged, want_call: bool) -> MessageLogged | None:
        for other in reversed(self._recent):
            if (
                other.station_id == e.station_id
                and other.message_id == e.message_id
                and (other.message_type == 2) == want_call
            ):
                return other
        return None

    def action_filter(self) -> None:
        if self._main(TabbedContent).active != "messages":
            return

        def chosen(text: str | None) -> None:
            if text is None:
                return
            self.message_filter = text.strip()
            table = self._main("#messages-table", DataTable)
            with self.batch_update():
                table.clear()
                self._messages.clear()
                self._shown.clear()
                for e in self._recent:
                    if self._matches(e):
                        self._show_message(e)
            self.notify(f"filter: {self.message_filter or 'none'}")

        self.push_screen(FilterScreen(self.message_filter), chosen)

    def action_export(self) -> None:
        """The filtered in-memory window as JSON lines, one message per line."""
        path = Path.cwd() / f"messages-{datetime.now(UTC):%Y%m%d-%H%M%S}.jsonl"
        rows = [_message_json(e) for e in self._recent if self._matches(e)]
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

    def action_history(self) -> None:
        if self.service is not None:
            self.push_screen(MessageHistoryScreen(self.service, self.message_filter))

    async def reload_tokens(self) -> None:
        assert self.service is not None
        table = self._main("#tokens-table", DataTable)
        tokens = await self.service.list_tokens(limit=100)
        with self.batch_update():
            for key in [k for k in table.rows if k.value not in {t.uid for t in tokens}]:
                table.remove_row(key)
            for t in tokens:
                status = t.status or ("Accepted" if t.valid else "Invalid")
                row = {
                    "uid": t.uid,
                    "contract": t.contract_id,
                    "type": t.type,
                    "status": status,
                    "group": t.group_id or "-",
                    "expiry": f"{t.expiry_date:%Y-%m-%d}" if t.expiry_date else "-",
                }
                self._upsert(table, t.uid, row)

    # --- certificates ----------------------------------------------------------------------------

    @work(exclusive=True, group="certificates")
    async def reload_certificates(self) -> None:
        assert self.service is not None
        try:
            overview = await self.service.list_certificates()
        except ServiceError as exc:
            self.notify(f"certificates: {exc.message}", severity="error")
            return
        table = self._main("#certificates-table", DataTable)
        own = self._main("#own-certificates-table", DataTable)
        with self.batch_update():
            table.clear()
            for c in overview.stations:
                table.add_row(
                    c.station_id,
                    c.certificate_type,
                    c.status,
                    c.subject or "-",
                    f"{c.not_after:%Y-%m-%d}" if c.not_after else "-",
                    str(c.attempts),
                    c.certificate_id[:16],
                    key=f"{c.station_id}/{c.certificate_id}",
                )
            own.clear()
            for o in overview.own:
                own.add_row(
                    o.role,
                    o.subject or f"[red]{o.error}[/red]",
                    o.issuer or "-",
                    f"{o.not_after:%Y-%m-%d}" if o.not_after else "-",
                    o.path,
                )

    def _certificate_station(self) -> str | None:
        """The station of the highlighted certificate row, else the highlighted station."""
        table = self._main("#certificates-table", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            return str(key).partition("/")[0]
        return self._selected_station()

    def action_install_root(self) -> None:
        station_id = self._certificate_station()
        if station_id is None:
            return

        def chosen(form: tuple[str, str] | None) -> None:
            if form is not None:
                self.certificate_command(station_id, "install", *form)

        self.push_screen(InstallCertificateScreen(station_id), chosen)

    def action_renew(self) -> None:
        station_id = self._certificate_station()
        if station_id is not None:
            self.certificate_command(station_id, "renew")

    @work(group="certificates-commands")
    async def certificate_command(
        self, station_id: str, command: str, path: str = "", kind: str = ""
    ) -> None:
        assert self.service is not None
        try:
            if command == "install":
                try:
                    pem = await asyncio.to_thread(read_pem, path)
                except OSError as exc:
                    self.notify(f"cannot read {path}: {exc.strerror}", severity="error")
                    return
                await self.service.install_root_certificate(station_id, pem, kind)
                self.notify(f"{kind} root certificate queued for {station_id}")
            else:
                await self.service.set_trigger(station_id, "SignChargingStationCertificate")
                self.notify(f"certificate renewal requested from {station_id}")
        except ServiceError as exc:
            self.notify(f"{exc.field + ': ' if exc.field else ''}{exc.message}", severity="error")
            return
        self.reload_certificates()

    # --- actions -------------------------------------------------------------------------------

    def action_show(self, tab: str) -> None:
        self._main(TabbedContent).active = "log-pane" if tab == "log" else tab

    def action_detail(self) -> None:
        active = self._main(TabbedContent).active
        if self.service is None:
            return
        if active == "stations":
            station_id = self._selected_station()
            if station_id is not None:
                self.push_screen(StationDetailScreen(self.service, station_id))
        elif active == "tokens":
            self.edit_token()
        elif active == "transactions":
            table = self._main("#transactions-table", DataTable)
            if table.row_count:
                key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
                station_id, _, tx_id = key.partition("/")
                self.push_screen(TransactionDetailScreen(self.service, station_id, tx_id))

    def _selected_token(self) -> str | None:
        table = self._main("#tokens-table", DataTable)
        if self._main(TabbedContent).active != "tokens" or table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_add_token(self) -> None:
        def chosen(form: dict[str, Any] | None) -> None:
            if form is not None:
                self.token_command("add", form)

        self.push_screen(TokenFormScreen(), chosen)

    @work(group="tokens")
    async def edit_token(self) -> None:
        uid = self._selected_token()
        if uid is None or self.service is None:
            return
        tokens = await self.service.list_tokens(limit=100)
        current = next((t for t in tokens if t.uid == uid), None)
        if current is None:
            return

        def chosen(form: dict[str, Any] | None) -> None:
            if form is not None:
                self.token_command("edit", {**form, "uid": uid})

        self.push_screen(TokenFormScreen(current), chosen)

    def action_toggle_block(self) -> None:
        uid = self._selected_token()
        if uid is not None:
            self.token_command("block", {"uid": uid})

    def action_delete_token(self) -> None:
        uid = self._selected_token()
        if uid is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.token_command("delete", {"uid": uid})

        self.push_screen(ConfirmScreen(f"Delete token {uid}?"), confirmed)

    @work(group="tokens")
    async def token_command(self, command: str, form: dict[str, Any]) -> None:
        assert self.service is not None
        try:
            if command == "add":
                await self.service.set_token(
                    TokenInput(
                        country_code=form["contract_id"][:2].upper(),
                        party_id=form["contract_id"][2:5].upper(),
                        type="RFID",
                        uid=form["uid"],
                        contract_id=form["contract_id"],
                        issuer="csms-tui",
                        valid=True,
                        cache_mode="ALWAYS",
                        group_id=form["group_id"],
                    )
                )
                self.notify(f"token {form['uid']} added")
            elif command == "edit":
                current = next(
                    t for t in await self.service.list_tokens(limit=100) if t.uid == form["uid"]
                )
                data = current.model_dump(exclude={"last_updated"})
                data.update(contract_id=form["contract_id"], group_id=form["group_id"])
                await self.service.set_token(TokenInput(**data))
                self.notify(f"token {form['uid']} saved")
            elif command == "block":
                current = next(
                    t for t in await self.service.list_tokens(limit=100) if t.uid == form["uid"]
                )
                blocked = current.status == "Blocked"
                data = current.model_dump(exclude={"last_updated"})
                data["status"] = None if blocked else "Blocked"
                await self.service.set_token(TokenInput(**data))
                self.notify(f"token {form['uid']} {'unblocked' if blocked else 'blocked'}")
            else:
                await self.service.delete_token(form["uid"])
                self.notify(f"token {form['uid']} deleted")
        except ServiceError as exc:
            self.notify(
                f"{command} token failed: {exc.field + ': ' if exc.field else ''}{exc.message}",
                severity="error",
            )
        await self.reload_tokens()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.notify("following new messages" if self.follow else "paused")

    def _selected_station(self, quiet: bool = False) -> str | None:
        table = self._main("#stations-table", DataTable)
        if table.row_count == 0:
            if not quiet:
                self.notify("no station selected", severity="warning")
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def context_station(self, screen: Any) -> str | None:
        if isinstance(screen, StationDetailScreen):
            return screen.station_id
        return self._selected_station(quiet=True)

    def action_actions(self) -> None:
        station_id = self._selected_station()
        if station_id is None:
            return

        def chosen(action_id: str | None) -> None:
            if action_id is not None:
                self.start_action(station_id, action_id)

        self.push_screen(ActionMenuScreen(station_id), chosen)

    def action_remote_start(self) -> None:
        if (station_id := self._selected_station()) is not None:
            self.start_action(station_id, "remote_start")

    def action_reset(self) -> None:
        if (station_id := self._selected_station()) is not None:
            self.start_action(station_id, "reset")

    def start_action(self, station_id: str, action_id: str, **defaults: str) -> None:
        """Form (when the action has fields) → confirmation (when destructive) → send."""
        action = BY_ID[action_id]
        if action_id == "remote_stop" and "transaction" not in defaults:
            tx = self._active_transaction(station_id)
            if tx:
                defaults["transaction"] = tx

        def confirmed(values: dict[str, Any], yes: bool | None) -> None:
            if yes:
                self.send_action(station_id, action_id, values)

        def filled(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            if action.confirm:
                details = ", ".join(f"{k} {v}" for k, v in values.items() if v is not None)
                question = (
                    f"{action.title} on {station_id}{' (' + details + ')' if details else ''}?"
                )
                self.push_screen(ConfirmScreen(question), partial(confirmed, values))
            else:
                self.send_action(station_id, action_id, values)

        if action.fields:
            self.push_screen(ActionFormScreen(action, station_id, **defaults), filled)
        else:
            filled({})

    @work(group="commands")
    async def send_action(self, station_id: str, action_id: str, values: dict[str, Any]) -> None:
        if self.service is None:
            self.notify("the core is not running", severity="error")
            return
        action = BY_ID[action_id]
        self.notify(f"{action.title}: sent to {station_id}, waiting for its answer…", timeout=3)
        try:
            call = await action.run(self.service, station_id, values)
        except ServiceError as exc:
            field = f"{exc.field}: " if exc.field else ""
            self.notify(
                f"{action.title} on {station_id} failed: {field}{exc.message}", severity="error"
            )
            return
        message, severity = describe_answer(station_id, call)
        self.notify(message, severity=severity)  # type: ignore[arg-type]

    def _active_transaction(self, station_id: str) -> str | None:
        table = self._main("#stations-table", DataTable)
        if station_id not in table.rows:
            return None
        first = str(table.get_cell(station_id, "tx")).split(",")[0].strip()
        return None if first in ("", "-") else first

    def action_register(self, station_id: str | None = None) -> None:
        self.register(station_id or self._selected_station(quiet=True) or "")

    def register(self, station_id: str) -> None:
        def chosen(form: tuple[str, int] | None) -> None:
            if form is not None:
                self.register_station(*form)

        self.push_screen(RegisterStationScreen(station_id), chosen)

    @work(group="register")
    async def register_station(self, station_id: str, profile: int) -> None:
        assert self.service is not None
        try:
            registration = await self.service.register_station(station_id, profile)
        except ServiceError as exc:
            field = f"{exc.field}: " if exc.field else ""
            self.notify(f"register {station_id} failed: {field}{exc.message}", severity="error")
            return
        self._refused.pop(station_id, None)
        self.push_screen(RegistrationResultScreen(registration))
        try:
            self.upsert_station(await self.service.station_summary(station_id))
        except ServiceError:
            pass


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


def _pretty(title: str, e: MessageLogged | None) -> str:
    from rich.markup import escape

    if e is None:
        return f"[b]{title}[/b]\n(not in the window)"
    heading = f"[b]{title}[/b] {_TYPE.get(e.message_type, '?')} {e.action} {e.at:%H:%M:%S.%f}"[:-3]
    body = json.dumps(e.payload, indent=2, ensure_ascii=False, default=str)
    if e.error_code:
        body = f"{e.error_code}: {e.error_description}\n{body}"
    return f"{heading}\n{escape(body)}"


def run_console(config: Config, connect: str | None, token: str | None) -> int:
    """Run the console on an embedded core (``connect`` is for a remote daemon)."""
    if connect is not None:
        from csms_tui.remote import connect as remote

        app = CsmsConsole(
            lambda: remote(connect, token),
            keymap=dict(config.tui.keymap),
            message_window=config.tui.message_window,
        )
        app.theme = config.tui.theme
        return app.run() or 0
    from core.runtime import Csms

    app = CsmsConsole(
        lambda: Csms(config),
        keymap=dict(config.tui.keymap),
        message_window=config.tui.message_window,
    )
    app.theme = config.tui.theme
    result = app.run()
    return result or 0
