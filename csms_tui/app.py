"""The operations console: live stations, messages and transactions over the core's service
layer and event stream. The console never reaches into the store: it reads snapshots from
:class:`core.service.CsmsService` and applies the core's events on top of them."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
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
from csms_tui.screens import StationDetailScreen, TokenFormScreen, TransactionDetailScreen

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


class RemoteStartScreen(ModalScreen[tuple[str, int] | None]):
    """Remote start form: token and connector, validated inline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="remote_start.cancel")
    ]

    def __init__(self, station_id: str) -> None:
        super().__init__()
        self.station_id = station_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Remote start on {self.station_id}")
            yield Input(placeholder="id token (e.g. RFID uid)", id="token")
            yield Input(placeholder="connector / EVSE id", id="connector", value="1")
            yield Label("", id="error", classes="error")
            with Horizontal():
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#start")
    @on(Input.Submitted)
    def submit(self) -> None:
        token = self.query_one("#token", Input).value.strip()
        connector = self.query_one("#connector", Input).value.strip()
        error = self.query_one("#error", Label)
        if not token or len(token) > 36:
            error.update("the token must be 1 to 36 characters")
            return
        if not connector.isdigit() or int(connector) < 1:
            error.update("the connector must be a number from 1")
            return
        self.dismiss((token, int(connector)))


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
                "Filter messages by station, action or error code ('errors' = errors only; empty = all)"
            )
            yield Input(value=self.current, id="filter")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CsmsConsole(App[int]):
    """Stations (1), Messages (2), Transactions (3), Log (4)."""

    TITLE = "csms-tui"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show('stations')", "Stations", id="mode.stations"),
        Binding("2", "show('messages')", "Messages", id="mode.messages"),
        Binding("3", "show('transactions')", "Transactions", id="mode.transactions"),
        Binding("4", "show('tokens')", "Tokens", id="mode.tokens"),
        Binding("5", "show('log')", "Log", id="mode.log"),
        Binding("enter", "detail", "Detail", id="station.detail", show=False),
        Binding("a", "add_token", "Add token", id="tokens.add"),
        Binding("b", "toggle_block", "Block/unblock", id="tokens.block"),
        Binding("d", "delete_token", "Delete token", id="tokens.delete"),
        Binding("s", "remote_start", "Remote start", id="station.remote_start"),
        Binding("x", "reset", "Reset", id="station.reset"),
        Binding("p", "toggle_follow", "Follow/pause", id="messages.follow"),
        Binding("slash", "filter", "Filter", id="messages.filter"),
        Binding("question_mark", "show_help_panel", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]
    MESSAGE_WINDOW = 2000

    def __init__(
        self,
        service_factory: Callable[[], Any] | None = None,
        *,
        service: CsmsService | None = None,
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._service_factory = service_factory
        self.service: CsmsService | None = service
        self.follow = True
        self._messages: deque[int] = deque()
        self._recent: deque[MessageLogged] = deque(maxlen=self.MESSAGE_WINDOW)
        self.message_filter = ""
        self._message_key = 0
        self._keymap = keymap or {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("starting…", id="summary")
        with TabbedContent(initial="stations"):
            with TabPane("1 Stations", id="stations"):
                yield DataTable(id="stations-table", cursor_type="row")
            with TabPane("2 Messages", id="messages"):
                yield DataTable(id="messages-table", cursor_type="row")
            with TabPane("3 Transactions", id="transactions"):
                yield DataTable(id="transactions-table", cursor_type="row")
            with TabPane("4 Tokens", id="tokens"):
                yield DataTable(id="tokens-table", cursor_type="row")
            with TabPane("5 Log", id="log-pane"):
                yield RichLog(id="log", max_lines=5000)
        yield Footer()

    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        stations = self.query_one("#stations-table", DataTable)
        for key, label in (
            ("id", "Station"),
            ("state", "State"),
            ("version", "OCPP"),
            ("model", "Vendor / model"),
            ("connectors", "Connectors"),
            ("tx", "Active tx"),
            ("seen", "Last seen"),
            ("profile", "Profile"),
        ):
            stations.add_column(label, key=key)
        messages = self.query_one("#messages-table", DataTable)
        for key, label in (
            ("time", "Time"),
            ("station", "Station"),
            ("dir", "Dir"),
            ("type", "Type"),
            ("action", "Action"),
            ("id", "Message id"),
            ("detail", "Detail"),
        ):
            messages.add_column(label, key=key)
        tokens = self.query_one("#tokens-table", DataTable)
        for key, label in (
            ("uid", "Uid"),
            ("contract", "Contract id"),
            ("type", "Type"),
            ("status", "Status"),
            ("group", "Group"),
            ("expiry", "Expires"),
        ):
            tokens.add_column(label, key=key)
        txs = self.query_one("#transactions-table", DataTable)
        for key, label in (
            ("station", "Station"),
            ("tx", "Transaction"),
            ("state", "State"),
            ("token", "Token"),
            ("evse", "EVSE"),
            ("energy", "Energy kWh"),
            ("cost", "Cost"),
            ("reason", "Stop reason"),
        ):
            txs.add_column(label, key=key)
        self.run_core()

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
                self.query_one("#summary", Static).update(
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
            await self.apply(batch)

    async def reload(self) -> None:
        assert self.service is not None
        page = await self.service.list_stations(limit=1000)
        with self.batch_update():
            for station in page.stations:
                self.upsert_station(station)
            for tx in await self.service.list_transactions(limit=200):
                self.upsert_transaction(tx)
        await self.reload_tokens()
        self.query_one("#log", RichLog).write(f"loaded {len(page.stations)} stations")

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
                    self.query_one("#log", RichLog).write(
                        f"{event.at:%H:%M:%S} refused {event.station_id}: {event.reason}"
                    )
            for station_id in stations:
                try:
                    self.upsert_station(await self.service.station_summary(station_id))
                except ServiceError:
                    continue  # an unknown station that tried to connect
            for station_id, tx_id in txs:
                for tx in await self.service.list_transactions(station_id=station_id, limit=20):
                    if tx.transaction_id == tx_id:
                        self.upsert_transaction(tx)

    # --- tables: updated in place by row key ---------------------------------------------------

    def upsert_station(self, s: StationSummary) -> None:
        table = self.query_one("#stations-table", DataTable)
        connectors = " ".join(f"{c.connector_id}:{c.status}" for c in s.connectors) or "-"
        row = {
            "id": s.station_id,
            "state": "● online" if s.connected else "○ offline",
            "version": s.ocpp_version or "-",
            "model": f"{s.vendor} {s.model}".strip() or "-",
            "connectors": connectors,
            "tx": ", ".join(t.transaction_id for t in s.active_transactions) or "-",
            "seen": f"{s.last_seen_at:%H:%M:%S}" if s.last_seen_at else "-",
            "profile": str(s.security_profile),
        }
        self._upsert(table, s.station_id, row)

    def upsert_transaction(self, t: TransactionSummary) -> None:
        table = self.query_one("#transactions-table", DataTable)
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

    def add_message(self, e: MessageLogged) -> None:
        self._recent.append(e)  # bounded: older pages live in the store
        if self._matches(e):
            self._show_message(e)

    def _matches(self, e: MessageLogged) -> bool:
        if not self.message_filter:
            return True
        needle = self.message_filter.lower()
        if needle == "errors":
            return e.message_type == 4
        return (
            needle in e.station_id.lower()
            or needle in e.action.lower()
            or needle in e.error_code.lower()
        )

    def _show_message(self, e: MessageLogged) -> None:
        table = self.query_one("#messages-table", DataTable)
        self._message_key += 1
        key = str(self._message_key)
        detail = f"{e.error_code}: {e.error_description}" if e.error_code else ""
        table.add_row(
            f"{e.at:%H:%M:%S.%f}"[:-3],
            e.station_id,
            _DIRECTION.get(e.direction, e.direction),
            _TYPE.get(e.message_type, "?"),
            e.action,
            e.message_id,
            detail,
            key=key,
        )
        self._messages.append(self._message_key)
        while len(self._messages) > self.MESSAGE_WINDOW:
            table.remove_row(str(self._messages.popleft()))
        if self.follow:
            table.move_cursor(row=table.row_count - 1)

    def action_filter(self) -> None:
        if self.query_one(TabbedContent).active != "messages":
            return

        def chosen(text: str | None) -> None:
            if text is None:
                return
            self.message_filter = text.strip()
            table = self.query_one("#messages-table", DataTable)
            with self.batch_update():
                table.clear()
                self._messages.clear()
                for e in self._recent:
                    if self._matches(e):
                        self._show_message(e)
            self.notify(f"filter: {self.message_filter or 'none'}")

        self.push_screen(FilterScreen(self.message_filter), chosen)

    async def reload_tokens(self) -> None:
        assert self.service is not None
        table = self.query_one("#tokens-table", DataTable)
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

    # --- actions -------------------------------------------------------------------------------

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = "log-pane" if tab == "log" else tab

    def action_detail(self) -> None:
        active = self.query_one(TabbedContent).active
        if self.service is None:
            return
        if active == "stations":
            station_id = self._selected_station()
            if station_id is not None:
                self.push_screen(StationDetailScreen(self.service, station_id))
        elif active == "transactions":
            table = self.query_one("#transactions-table", DataTable)
            if table.row_count:
                key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
                station_id, _, tx_id = key.partition("/")
                self.push_screen(TransactionDetailScreen(self.service, station_id, tx_id))

    def _selected_token(self) -> str | None:
        table = self.query_one("#tokens-table", DataTable)
        if self.query_one(TabbedContent).active != "tokens" or table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_add_token(self) -> None:
        if self.query_one(TabbedContent).active != "tokens":
            return

        def chosen(form: dict[str, Any] | None) -> None:
            if form is not None:
                self.token_command("add", form)

        self.push_screen(TokenFormScreen(), chosen)

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

    def _selected_station(self) -> str | None:
        table = self.query_one("#stations-table", DataTable)
        if table.row_count == 0:
            self.notify("no station selected", severity="warning")
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_reset(self) -> None:
        station_id = self._selected_station()
        if station_id is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.send_command(station_id, "reset")

        self.push_screen(ConfirmScreen(f"Reset {station_id}?"), confirmed)

    def action_remote_start(self) -> None:
        station_id = self._selected_station()
        if station_id is None:
            return

        def chosen(result: tuple[str, int] | None) -> None:
            if result is not None:
                self.send_command(station_id, "remote_start", token=result[0], connector=result[1])

        self.push_screen(RemoteStartScreen(station_id), chosen)

    @work(group="commands")
    async def send_command(self, station_id: str, command: str, **args: Any) -> None:
        if self.service is None:
            self.notify("the core is not running", severity="error")
            return
        try:
            if command == "reset":
                call = await self.service.reset(station_id, "Soft", wait=30, origin="console")
            else:
                call = await self.service.remote_start(
                    station_id,
                    args["token"],
                    evse_id=args["connector"],
                    token_type="ISO14443",
                    wait=30,
                    origin="console",
                )
        except ServiceError as exc:
            self.notify(f"{command} on {station_id} failed: {exc.message}", severity="error")
            return
        if call.state == "answered":
            self.notify(
                f"{station_id} answered {call.action}: {(call.response or {}).get('status', call.response)}"
            )
        else:
            self.notify(
                f"{call.action} on {station_id}: {call.state} {call.error_description}",
                severity="error",
            )


def run_console(config: Config, connect: str | None, token: str | None) -> int:
    """Run the console on an embedded core (``connect`` is for a remote daemon)."""
    if connect is not None:
        from csms_tui.remote import connect as remote

        app = CsmsConsole(lambda: remote(connect, token), keymap=dict(config.tui.keymap))
        app.theme = config.tui.theme
        return app.run() or 0
    from core.runtime import Csms

    app = CsmsConsole(lambda: Csms(config), keymap=dict(config.tui.keymap))
    app.theme = config.tui.theme
    result = app.run()
    return result or 0
