"""The console's full screens over the tabs: a station's detail, a transaction's detail and the
stored message history (the dialogs are in :mod:`csms_tui.modals`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Label, Sparkline, Static

from core.application.errors import ServiceError
from core.application.service import CsmsService
from core.application.views import CallView, MessageView, StationDetail, TransactionDetail
from core.events import (
    CallCompleted,
    Event,
    MessageLogged,
    Resync,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from csms_tui.answers import answer_table
from csms_tui.inert import inert, markup_safe, plain
from csms_tui.key_footer import KeyFooter
from csms_tui.modals import InstallCertificateScreen
from csms_tui.payload import DIRECTIONS, MESSAGE_TYPES, json_text, message_text
from csms_tui.timefmt import clock, day_minute, day_ms, moment, moment_ms


class StationDetailScreen(Screen[None]):
    """Everything known about one station: identity, connectors, configuration / device model,
    certificates, recent events and messages.

    It follows the station: the console hands it the core's events (``apply``) and any event
    of this station — a frame, a status, a call's answer — reloads it within a second, the
    tables keeping their cursor. Empty sections say so and what fills them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("r", "reload", "Reload", id="detail.reload"),
        Binding("c", "actions", "Actions", id="detail.actions"),
        Binding("e", "edit_config", "Edit setting", id="detail.edit_config"),
        Binding("i", "install_root", "Install root certificate", id="detail.install_root"),
        Binding("n", "renew", "Renew station certificate", id="detail.renew"),
        Binding("v", "last_answer", "Answer", id="detail.last_answer"),
    ]
    RELOAD = 1.0  # seconds: at most one reload a second however busy the station is
    # (section id, heading, what fills it when it is empty)
    SECTIONS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        (
            "connectors",
            "Connectors / EVSEs",
            "nothing yet: a station reports its connectors (StatusNotification) after it boots",
        ),
        (
            "config",
            "Configuration (1.6 keys, pending pushes) and device model (2.0.1)",
            "nothing yet: c → Get configuration (1.6) or Get report (2.0.1) reads it",
        ),
        ("certificates", "Certificates", "none yet: i installs a root certificate"),
        ("reservations", "Reservations", "none: c → Reserve now holds a connector"),
        (
            "events",
            "Recent events",
            "nothing yet: security events, firmware and log status reports appear here",
        ),
        (
            "messages",
            "Recent messages",
            "nothing yet: the station's frames appear here once it connects",
        ),
    )

    def __init__(self, service: CsmsService, station_id: str) -> None:
        super().__init__()
        self.service, self.station_id = service, station_id
        self.version: str | None = None  # known once the detail is loaded
        self.sub_title = f"station {inert(station_id)}"
        self._dirty = False
        self._seen: datetime | None = None  # the station's last frame in, from the events
        self._rows: dict[str, list[tuple[Any, ...]]] = {}  # what each table shows

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="station-detail"):
            yield Static("loading…", id="identity")
            for section, heading, empty in self.SECTIONS:
                yield Label(heading, id=f"{section}-heading", classes="section")
                yield DataTable(id=section, cursor_type="row")
                yield Static(empty, id=f"{section}-empty", classes="empty")
        # The console's key bar: at 80 columns it keeps help and quit in view (Footer cuts).
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#connectors", DataTable).add_columns(
            "EVSE", "Connector", "Status", "Error", "Info", "Updated UTC"
        )
        self.query_one("#config", DataTable).add_columns("Key / variable", "Value", "Status")
        self.query_one("#certificates", DataTable).add_columns("Id", "Type", "Status")
        self.query_one("#reservations", DataTable).add_columns(
            "Id", "Token", "EVSE", "Status", "Expires UTC"
        )
        self.query_one("#events", DataTable).add_columns("Time UTC", "Event", "Detail")
        self.query_one("#messages", DataTable).add_columns(
            "Time UTC", "Dir", "Type", "Action", "Id"
        )
        for section, _, _ in self.SECTIONS:
            self.query_one(f"#{section}", DataTable).display = False
        self.set_interval(self.RELOAD, self._reload_if_changed)
        self.action_reload()

    def apply(self, batch: Sequence[Event]) -> None:
        """The core's events (from the console): this station's mark the detail for reload."""
        for e in batch:
            if e.station_id != self.station_id:
                continue
            self._dirty = True
            if isinstance(e, MessageLogged) and e.direction == "in":
                self._seen = e.at if self._seen is None else max(self._seen, e.at)

    def _reload_if_changed(self) -> None:
        if self._dirty:
            self._dirty = False
            self.action_reload()

    @work(exclusive=True)
    async def action_reload(self) -> None:
        try:
            detail = await self.service.station_detail(self.station_id)
        except ServiceError as exc:
            self.query_one("#identity", Static).update(plain(f"{self.station_id}: {exc.message}"))
            return
        self.show(detail)

    def action_actions(self) -> None:
        from csms_tui.actions import ActionMenuScreen

        def chosen(action_id: str | None) -> None:
            if action_id is not None:
                self.app.start_action(self.station_id, action_id)  # type: ignore[attr-defined]

        self.app.push_screen(ActionMenuScreen(self.station_id, self.version), chosen)

    def action_last_answer(self) -> None:
        """The last answer with content (a schedule, keys, data), as on the stations list."""
        self.app.action_last_answer()  # type: ignore[attr-defined]

    def action_edit_config(self) -> None:
        """Set the highlighted 1.6 key or 2.0.1 variable (pre-filled) on the station."""
        table = self.query_one("#config", DataTable)
        defaults: dict[str, str] = {}
        if table.row_count:
            name, value = map(str, table.get_row_at(table.cursor_row)[:2])
            key = name.split(" [")[0]
            if "/" in key:  # a device-model row: Component[;evse]/Variable → Component.Variable
                component, _, variable = key.partition("/")
                key = f"{component.split(';')[0]}.{variable}"
            defaults = {"key": key, "value": "" if value == "-" else value}
        self.app.start_action(self.station_id, "set_configuration", **defaults)  # type: ignore[attr-defined]

    def action_install_root(self) -> None:
        def chosen(form: tuple[str, str] | None) -> None:
            if form is not None:
                self.certificate_command("install", *form)

        self.app.push_screen(InstallCertificateScreen(self.station_id), chosen)

    def action_renew(self) -> None:
        self.certificate_command("renew")

    @work(group="certificates")
    async def certificate_command(self, command: str, path: str = "", kind: str = "") -> None:
        sent = await send_certificate_command(
            self.service, self.notify, self.station_id, command, path, kind
        )
        if sent:
            self.action_reload()

    def _status(self, status: str) -> Text:
        """A connector status in the colour that says what it means: error for Faulted,
        warning for Unavailable (the theme's colours, so every theme keeps the meaning)."""
        theme = self.app.current_theme
        colour = {"Faulted": theme.error or "red", "Unavailable": theme.warning or "yellow"}
        style = colour.get(status)
        return plain(status, f"bold {style}" if style else "")

    def _identity(self, d: StationDetail) -> Text:
        seen = d.last_seen_at
        if self._seen is not None and (seen is None or self._seen > seen):
            seen = self._seen
        state = ("● online", "bold") if d.connected else ("○ offline", "dim")
        # Separated with " · " (never run together, whatever the width), each line short
        # enough to stay whole on an 80-column terminal. Vendor, model, serial, firmware and
        # boot reason are what the station said: inert.
        lines = Text.assemble(
            (inert(d.station_id), "bold"),
            "  ·  ",
            state,
            inert(f"  ·  OCPP {d.ocpp_version or '?'}  ·  {d.vendor} {d.model}"),
            "\n",
            inert(
                f"serial {d.serial_number or '-'}  ·  firmware {d.firmware_version or '-'}"
                f"  ·  security profile {d.security_profile}"
            ),
            "\n",
            inert(
                f"boot {d.boot_status or '-'} ({d.boot_reason or '-'})"
                f"  ·  pending boot {'yes' if d.pending_boot else 'no'}"
            ),
            "\n",
            inert(f"last seen {moment(seen)}"),
        )
        theme = self.app.current_theme
        for c in d.connectors:
            trouble = [x for x in (c.error_code, c.info) if x and x != "NoError"]
            if c.status in ("Faulted", "Unavailable") or trouble:
                where = (
                    f"{c.evse_id}/{c.connector_id}"
                    if d.ocpp_version == "2.0.1"
                    else str(c.connector_id)
                )
                colour = theme.error if c.status == "Faulted" else theme.warning
                lines.append("\n")
                lines.append(
                    inert(
                        f"⚠ connector {where} {c.status}"
                        + (f": {' — '.join(trouble)}" if trouble else "")
                    ),
                    f"bold {colour or 'red'}",
                )
        return lines

    def show(self, d: StationDetail) -> None:
        self.version = d.ocpp_version
        self.query_one("#identity", Static).update(self._identity(d))
        self._fill(
            "connectors",
            [
                (
                    c.evse_id,
                    c.connector_id,
                    self._status(c.status),
                    "-" if c.error_code in ("", "NoError") else c.error_code,
                    c.info or "-",
                    day_minute(c.updated_at) if c.updated_at else "-",
                )
                for c in d.connectors
            ],
        )
        config: list[tuple[Any, ...]] = [(s.name, s.value, s.status) for s in d.settings]
        config += [
            (
                f"{v.component}{';' + str(v.evse_id) if v.evse_id is not None else ''}/{v.variable} [{v.attribute_type}]",
                v.value,
                "device model",
            )
            for v in d.device_model
        ]
        self._fill("config", config)
        self._fill(
            "certificates",
            [(c.certificate_id[:16], c.certificate_type, c.status) for c in d.certificates],
        )
        self._fill(
            "reservations",
            [
                (r.reservation_id, r.id_token, r.evse_id, r.status, day_minute(r.expires_at))
                for r in d.reservations
            ],
        )
        self._fill(
            "events",
            [(clock(e.at), e.event_type, as_json(e.detail)) for e in d.recent_events],
        )
        self._fill(
            "messages",
            [
                (
                    clock(m.at),
                    m.direction,
                    {2: "CALL", 3: "RESULT", 4: "ERROR"}.get(m.message_type, "?"),
                    m.action,
                    m.message_id,
                )
                for m in d.recent_messages
            ],
        )

    def _fill(self, section: str, rows: list[tuple[Any, ...]]) -> None:
        """One section's table, shown when it has rows (its hint otherwise), refilled only
        when its rows changed and with the cursor where it was: the detail reloads while the
        operator reads it."""
        table = self.query_one(f"#{section}", DataTable)
        table.display = bool(rows)
        self.query_one(f"#{section}-empty", Static).display = not rows
        heading = next(h for s, h, _ in self.SECTIONS if s == section)
        self.query_one(f"#{section}-heading", Label).update(
            f"{heading} · {len(rows)}" if rows else heading
        )
        if self._rows.get(section) == rows:
            return
        self._rows[section] = rows
        cursor = table.cursor_row
        table.clear()
        for row in rows:
            table.add_row(
                *(v if isinstance(v, Text) else plain("-" if v is None else v) for v in row)
            )
        if rows and cursor > 0:
            table.move_cursor(row=min(cursor, len(rows) - 1), animate=False)


def as_json(detail: Any) -> str:
    """A station event's detail as JSON (what the station sent, not a Python repr), cut to
    what a row shows."""
    text = json.dumps(detail, ensure_ascii=False, default=str, separators=(", ", ": "))
    return text if len(text) <= 100 else text[:99] + "…"


def read_pem(path: str) -> str:
    return Path(path).expanduser().read_text(encoding="utf-8")


async def send_certificate_command(
    service: Any, notify: Callable[..., None], station_id: str, command: str, path: str, kind: str
) -> bool:
    """Install a root certificate from a PEM file (``install``) or ask the station to renew its
    own (``renew``), telling the operator what happened; True when it went out."""
    try:
        if command == "install":
            try:
                pem = await asyncio.to_thread(read_pem, path)
            except OSError as exc:
                notify(f"cannot read {path}: {exc.strerror}", severity="error")
                return False
            await service.install_root_certificate(station_id, pem, kind)
            notify(f"{kind} root certificate queued for {markup_safe(station_id)}")
        else:
            await service.set_trigger(station_id, "SignChargingStationCertificate")
            notify(f"certificate renewal requested from {markup_safe(station_id)}")
    except ServiceError as exc:
        notify(markup_safe(exc.detail), severity="error")
        return False
    return True


def fill(table: DataTable[Any], rows: list[tuple[Any, ...]]) -> None:
    """Small, bounded tables on a detail screen: replaced whole on reload. Cells are plain
    text (what stations sent: never markup, controls shown as escapes)."""
    table.clear()
    for row in rows:
        table.add_row(*(plain("-" if v is None else v) for v in row))


ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
# The events that change what a transaction's detail shows.
TX_EVENTS = (TransactionStarted, TransactionUpdated, TransactionEnded)
LIVE_RELOAD = 0.5  # seconds: a running transaction's detail is read again at most this often


def utc_now() -> datetime:
    """Now, for a running transaction's duration (a test fixes it)."""
    return datetime.now(UTC)


def series(detail: TransactionDetail, measurand: str) -> list[float]:
    """One value per meter reading (phase totals only), scaled to W / Wh."""
    out = []
    for mv in detail.meter_values:
        for sv in mv.sampled_values:
            if (sv.measurand or ENERGY) == measurand and not sv.phase:
                out.append(sv.value * (1000.0 if (sv.unit or "").startswith("k") else 1.0))
                break
    return out


def _duration(d: TransactionDetail) -> str:
    if d.started_at is None:
        return "-"
    seconds = max(0, int(((d.ended_at or utc_now()) - d.started_at).total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}"


def _meter(d: TransactionDetail) -> str:
    """Where the energy register stood at the start and the end, where known."""
    if d.meter_start_wh is None:
        return ""
    if d.meter_stop_wh is None:
        return f"  ·  meter from {d.meter_start_wh:.0f} Wh"
    return f"  ·  meter {d.meter_start_wh:.0f} → {d.meter_stop_wh:.0f} Wh"


class TransactionDetailScreen(Screen[None]):
    """A transaction: energy delivered, duration, cost, token, stop reason, and its meter values
    as charts (energy register and power over time) and a table. While it runs the screen
    follows it: the Transactions tab hands on the core's events, this transaction's bring a new
    read (at most every LIVE_RELOAD seconds) and the duration counts on; once ended it says so."""

    DEFAULT_CSS = """
    TransactionDetailScreen #tx-state {
        height: 1;
        padding: 0 1;
        text-style: bold;
        background: $panel;
    }
    TransactionDetailScreen #tx-state.live {
        background: $success 30%;
    }
    TransactionDetailScreen #tx-state.ended {
        color: $text-muted;
    }
    TransactionDetailScreen #tx-summary, TransactionDetailScreen #tx-empty {
        padding: 0 1;
    }
    TransactionDetailScreen #tx-empty {
        color: $text-muted;
    }
    TransactionDetailScreen #tx-values {
        height: auto;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="tx_detail.back")
    ]

    def __init__(self, service: Any, station_id: str, transaction_id: str) -> None:
        super().__init__()
        self.service, self.station_id, self.transaction_id = service, station_id, transaction_id
        self.detail: TransactionDetail | None = None
        self._rows: list[tuple[Any, ...]] = []  # the meter-value rows the table holds
        self._reload: Timer | None = None
        self._tick: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="tx-state")
        with VerticalScroll():
            yield Static("", id="tx-summary")
            yield Label("Energy (Wh)")
            yield Sparkline([], id="energy")
            yield Label("Power (W)")
            yield Sparkline([], id="power")
            yield Label("Meter values")
            yield Static("", id="tx-empty")
            yield DataTable(id="tx-values", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tx-values", DataTable).add_columns(
            "Time UTC", "Measurand", "Value", "Unit", "Phase", "Context"
        )
        self.load()

    def apply(self, batch: Sequence[Event]) -> None:
        """The core's events: one of this transaction's (or a resync) reads it again."""
        if self.detail is not None and not self.detail.active:
            return  # ended: a late event re-prices it at most, which a reopen shows
        for e in batch:
            if isinstance(e, Resync) or (
                isinstance(e, TX_EVENTS)
                and e.transaction_id == self.transaction_id
                and e.station_id == self.station_id
            ):
                if self._reload is None:
                    self._reload = self.set_timer(LIVE_RELOAD, self._read_again)
                return

    def _read_again(self) -> None:
        self._reload = None
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        try:
            d: TransactionDetail = await self.service.transaction_detail(
                self.transaction_id, self.station_id
            )
        except ServiceError as exc:
            self.query_one("#tx-state", Static).update(plain(exc.message))
            return
        self.show(d)

    def show(self, d: TransactionDetail) -> None:
        self.detail = d
        state = self.query_one("#tx-state", Static)
        state.set_class(d.active, "live")
        state.set_class(not d.active, "ended")
        if d.active:
            state.update(
                plain(f"● LIVE  {d.charging_state or 'Charging'}: updates as the station reports")
            )
            if self._tick is None:
                self._tick = self.set_interval(1.0, self._show_summary)
        else:
            reason = f"  {d.stopped_reason}" if d.stopped_reason else ""
            state.update(plain(f"■ ENDED {moment(d.ended_at)}{reason}: final figures"))
            if self._tick is not None:
                self._tick.stop()
                self._tick = None
        self._show_summary()
        self.query_one("#energy", Sparkline).data = series(d, ENERGY)
        self.query_one("#power", Sparkline).data = series(d, POWER)
        rows = [
            (clock(mv.timestamp), sv.measurand or ENERGY, sv.value, sv.unit, sv.phase, sv.context)
            for mv in d.meter_values
            for sv in mv.sampled_values
        ]
        table = self.query_one("#tx-values", DataTable)
        if rows[: len(self._rows)] == self._rows:
            # New readings come after the old: added, so the cursor and scroll stay put.
            for row in rows[len(self._rows) :]:
                table.add_row(*(plain("-" if v is None else v) for v in row))
        else:  # a reading replayed from the past lands in between: read whole again
            fill(table, rows)
        self._rows = rows
        empty = ""
        if not rows:
            empty = (
                "none yet: readings show here as the station sends them"
                if d.active
                else "the station sent none for this transaction"
            )
        self.query_one("#tx-empty", Static).update(empty)

    def _show_summary(self) -> None:
        d = self.detail
        if d is None:
            return
        so_far = " so far" if d.active else ""
        energy = f"{d.energy_wh / 1000:.3f} kWh" if d.energy_wh is not None else "-"
        cost = f"{d.cost:.2f} {d.currency}" if d.cost is not None else "-"
        self.query_one("#tx-summary", Static).update(
            Text.assemble(
                (inert(f"{d.station_id} / {d.transaction_id}"), "bold"),
                inert(
                    f"  {'charging' if d.active else 'ended'}  ·  token {d.id_token or '-'}"
                    f"  ·  EVSE {d.evse_id}"
                    + ("" if d.authorized else f"  ·  start refused ({d.auth_status})")
                ),
                "\n",
                inert(f"started {moment(d.started_at)}  ·  duration {_duration(d)}{so_far}"),
                inert(_meter(d)),
                "\n",
                inert(
                    f"energy {energy}{so_far}  ·  cost {cost}{so_far}"
                    + (f"  ·  stop reason {d.stopped_reason}" if d.stopped_reason else "")
                    + (f"  ·  seqNo gaps {d.seq_no_gaps}" if d.seq_no_gaps else "")
                ),
            )
        )


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

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="history-summary")
        yield DataTable(id="history", cursor_type="row")
        with Horizontal(id="history-detail"):
            with VerticalScroll():
                yield Static("", id="history-call")
            with VerticalScroll():
                yield Static("", id="history-answer")
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
        more = "" if self.done else " · o: older page"
        summary.update(
            plain(f"{table.row_count} stored messages, newest first{self._scope()}{more}")
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        m = self.messages.get(str(event.row_key.value))
        if m is None:
            return
        pair = self._pairs.get((m.station_id, m.message_id), {})
        self.query_one("#history-call", Static).update(
            message_text("call", pair.get(True), "not on the pages read: o reads older ones")
        )
        self.query_one("#history-answer", Static).update(
            message_text(
                "answer", pair.get(False), "none stored: no answer came, or not before this page"
            )
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
