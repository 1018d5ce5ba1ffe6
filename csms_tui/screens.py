"""The station detail screen and what the console's full screens share (a transaction's detail
is in :mod:`csms_tui.transaction_screen`, the message history and a call's detail in
:mod:`csms_tui.history_screens`, the dialogs in :mod:`csms_tui.modals`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from core.application.errors import ServiceError
from core.application.leniency import LeniencyView
from core.application.service import CsmsService
from core.application.views import StationDetail
from core.events import (
    Event,
    MessageLogged,
)
from core.leniency import Leniency
from csms_tui.inert import inert, markup_safe, plain
from csms_tui.key_footer import KeyFooter
from csms_tui.leniency_form import LeniencyFormScreen
from csms_tui.modals import InstallCertificateScreen
from csms_tui.timefmt import clock, day_minute, moment


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
        Binding("l", "leniency", "Leniency", id="detail.leniency"),
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
        (
            "leniency",
            "Leniency (violations of the spec accepted from this station)",
            "strict: no leniency granted (l grants one)",
        ),
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
        self._leniency: LeniencyView | None = None  # the last loaded, for the grant form

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
        self.query_one("#leniency", DataTable).add_columns(
            "Leniency", "Granted by", "Accepted", "Last UTC", "Last accepted"
        )
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
            leniency = await self.service.station_leniency(self.station_id)
        except ServiceError as exc:
            self.query_one("#identity", Static).update(plain(f"{self.station_id}: {exc.message}"))
            return
        self.show(detail)
        self.show_leniency(leniency)

    def show_leniency(self, view: LeniencyView) -> None:
        """Each leniency granted or ever used: who granted it and how often it let a violation
        through, the latest shown as the station sent it (inert)."""
        self._leniency = view
        counts = {c.name: c for c in view.counts}
        rows: list[tuple[Any, ...]] = []
        for name in sorted(set(view.granted) | set(counts)):
            by = [
                w
                for w, names in (("config", view.from_config), ("console/API", view.stored))
                if name in names
            ]
            if name == Leniency.NO_SUBPROTOCOL and view.no_subprotocol:
                name_text = f"{name} ({view.no_subprotocol})"
            else:
                name_text = name
            used = counts.get(name)
            rows.append(
                (
                    name_text,
                    ", ".join(by) or "revoked",
                    used.count if used else 0,
                    day_minute(used.last_at) if used else "-",
                    plain(inert(used.last_detail)) if used else "-",
                )
            )
        self._fill("leniency", rows)

    def action_leniency(self) -> None:
        view = self._leniency
        stored = [n for n in view.stored if n != Leniency.NO_SUBPROTOCOL] if view else []
        version = view.no_subprotocol if view and Leniency.NO_SUBPROTOCOL in view.stored else ""

        def done(stored_now: bool | None) -> None:
            if stored_now:
                self.notify(f"leniency of {inert(self.station_id)} stored")
                self.action_reload()

        self.app.push_screen(
            LeniencyFormScreen(self.service, self.station_id, stored, version), done
        )

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
        # The form's word for the bad input, never the API's field name.
        label = {"type": "certificate type", "certificate": "PEM file"}.get(exc.field or "")
        reason = f"{label}: {exc.message}" if label else exc.message
        notify(markup_safe(reason), severity="error")
        return False
    return True


def fill(table: DataTable[Any], rows: list[tuple[Any, ...]]) -> None:
    """Small, bounded tables on a detail screen: replaced whole on reload. Cells are plain
    text (what stations sent: never markup, controls shown as escapes)."""
    table.clear()
    for row in rows:
        table.add_row(*(plain("-" if v is None else v) for v in row))
