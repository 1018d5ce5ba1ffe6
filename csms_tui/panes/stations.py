"""The Stations tab: every station the CSMS knows or has refused, updated in place, and the
commands sent to a station (from here, its detail screen or the palette)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from textual import work
from textual.app import ComposeResult

from core.application.errors import NotFound, ServiceError
from core.application.views import PasswordRotation, StationSummary
from core.events import (
    ConnectionRefused,
    Event,
    StationBooted,
    StationConnected,
    StationDisconnected,
    StatusChanged,
)
from csms_tui.actions import BY_ID, ActionFormScreen, ActionMenuScreen, describe_answer
from csms_tui.inert import markup_safe
from csms_tui.line_table import ERROR, MUTED, KeyedTable
from csms_tui.modals import (
    ConfirmScreen,
    NewPasswordScreen,
    RegisterStationScreen,
    RegistrationResultScreen,
)
from csms_tui.panes.base import LivePane
from csms_tui.panes.transactions import TX_EVENTS
from csms_tui.screens import StationDetailScreen
from csms_tui.timefmt import clock

# (key, title, maximum width): the widths grow with the content up to the maximum.
COLUMNS = (
    ("id", "Station", 24),
    ("state", "State", 36),
    ("version", "OCPP", 6),
    ("model", "Vendor / model", 28),
    ("connectors", "Connectors", 40),
    ("tx", "Active tx", 16),
    ("seen", "Last seen UTC", 13),
    ("profile", "Profile", 7),
)
# A transaction changes its station's row too (the active transactions column).
STATION_EVENTS = (
    StationConnected,
    StationDisconnected,
    StationBooted,
    StatusChanged,
    ConnectionRefused,
    *TX_EVENTS,
)
# What a station's row is read back as: its summary, or None when it is not registered.
Summaries = dict[str, StationSummary | None]


class StationsPane(LivePane[str, Summaries]):
    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.refused: dict[str, str] = {}  # station → why its last connection was refused
        self.versions: dict[str, str] = {}  # station → its OCPP version, for the action menu

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="stations-table")

    async def load(self) -> int:
        """Every station, in place; the number of them."""
        assert self.service is not None
        page = await self.service.list_stations(limit=1000)
        with self.app.batch_update():
            for station in page.stations:
                self.upsert(station)
        return len(page.stations)

    def apply(self, batch: Sequence[Event]) -> None:
        for e in batch:
            if isinstance(e, STATION_EVENTS):
                self.mark(e.station_id)
            if isinstance(e, ConnectionRefused):
                self.refused[e.station_id] = e.reason

    async def read(self, keys: set[str]) -> Summaries:
        assert self.service is not None
        summaries: Summaries = {}
        for station_id in keys:
            try:
                summaries[station_id] = await self.service.station_summary(station_id)
            except NotFound:  # refused: it tried to connect but is not registered
                summaries[station_id] = None
        return summaries

    def show(self, rows: Summaries) -> None:
        for station_id, summary in rows.items():
            if summary is None:
                self.show_refused(station_id)
            else:
                self.upsert(summary)

    def upsert(self, s: StationSummary) -> None:
        table = self.query_one("#stations-table", KeyedTable)
        if s.ocpp_version:
            self.versions[s.station_id] = s.ocpp_version
        connectors = " ".join(f"{c.connector_id}:{c.status}" for c in s.connectors) or "-"
        refused = self.refused.get(s.station_id) if not s.connected else None
        state = "● online" if s.connected else "○ offline"
        row = {
            "id": s.station_id,
            "state": f"✗ {refused}" if refused else state,
            "version": s.ocpp_version or "-",
            "model": f"{s.vendor} {s.model}".strip() or "-",
            "connectors": connectors,
            "tx": ", ".join(t.transaction_id for t in s.active_transactions) or "-",
            "seen": clock(s.last_seen_at),
            "profile": str(s.security_profile),
        }
        if s.connected:
            self.refused.pop(s.station_id, None)
        table.upsert(s.station_id, row, ERROR if refused else "" if s.connected else MUTED)

    def show_refused(self, station_id: str) -> None:
        """A station that tried to connect but is not registered: shown, one key to register."""
        reason = self.refused.get(station_id, "unknown")
        row = {
            "id": station_id,
            "state": f"✗ {reason} (g: register)",
            "version": "-",
            "model": "-",
            "connectors": "-",
            "tx": "-",
            "seen": clock(datetime.now(UTC)),
            "profile": "-",
        }
        self.query_one("#stations-table", KeyedTable).upsert(station_id, row, ERROR)

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        self.query_one("#stations-table", KeyedTable).set_filter(text)

    def selected(self, quiet: bool = False) -> str | None:
        key = self.query_one("#stations-table", KeyedTable).cursor_key
        if key is None and not quiet:
            self.notify("no station selected", severity="warning")
        return key

    def open_detail(self) -> None:
        assert self.service is not None
        station_id = self.selected()
        if station_id is not None:
            self.app.push_screen(StationDetailScreen(self.service, station_id))

    # --- commands --------------------------------------------------------------------------------

    def choose_action(self) -> None:
        station_id = self.selected()
        if station_id is None:
            return

        def chosen(action_id: str | None) -> None:
            if action_id is not None:
                self.start_action(station_id, action_id)

        self.app.push_screen(ActionMenuScreen(station_id, self.versions.get(station_id)), chosen)

    def start_selected(self, action_id: str) -> None:
        if (station_id := self.selected()) is not None:
            self.start_action(station_id, action_id)

    def start_action(self, station_id: str, action_id: str, **defaults: str) -> None:
        """Form (when the action has fields) → confirmation (when destructive) → send."""
        action = BY_ID[action_id]
        if action_id == "remote_stop" and "transaction_id" not in defaults:
            tx = self._active_transaction(station_id)
            if tx:
                defaults["transaction_id"] = tx

        def confirmed(values: dict[str, Any], yes: bool | None) -> None:
            if yes:
                self.send_action(station_id, action_id, values)

        def filled(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            if action.confirm:
                # Said with the form's labels ("Kind Soft"), not the API's field names.
                labels = {f.name: f.label for f in action.fields}
                details = ", ".join(
                    f"{labels.get(k, k)} {v}" for k, v in values.items() if v is not None
                )
                question = (
                    f"{action.title} on {station_id}{' (' + details + ')' if details else ''}?"
                    + (f" {action.warning}" if action.warning else "")
                )
                self.app.push_screen(ConfirmScreen(question), partial(confirmed, values))
            else:
                self.send_action(station_id, action_id, values)

        if action.fields:
            self.app.push_screen(ActionFormScreen(action, station_id, **defaults), filled)
        else:
            filled({})

    @work(group="commands")
    async def send_action(self, station_id: str, action_id: str, values: dict[str, Any]) -> None:
        if self.service is None:
            self.notify("the core is not running", severity="error")
            return
        action = BY_ID[action_id]
        self.notify(
            f"{action.title}: sent to {markup_safe(station_id)}, waiting for its answer…",
            timeout=3,
        )
        try:
            result = await action.run(self.service, station_id, values)
        except ServiceError as exc:
            self.notify(
                markup_safe(f"{action.title} on {station_id} failed: {exc.detail}"),
                severity="error",
            )
            return
        call, password = (
            (result.call, result.password)
            if isinstance(result, PasswordRotation)
            else (result, None)
        )
        message, severity = describe_answer(station_id, call)
        self.notify(message, severity=severity)  # type: ignore[arg-type]
        if password:
            self.app.push_screen(NewPasswordScreen(station_id, password))

    def _active_transaction(self, station_id: str) -> str | None:
        table = self.query_one("#stations-table", KeyedTable)
        if station_id not in table.rows:
            return None
        first = str(table.get_cell(station_id, "tx")).split(",")[0].strip()
        return None if first in ("", "-") else first

    def register(self, station_id: str) -> None:
        if self.service is None:
            self.notify("the core is not running", severity="error")
            return
        service = self.service

        async def send(station_id: str, profile: int) -> Any:
            return await service.register_station(station_id, profile)

        def registered(registration: Any) -> None:
            if registration is not None:
                self.show_registration(registration)

        self.app.push_screen(RegisterStationScreen(send, station_id), registered)

    @work(group="register")
    async def show_registration(self, registration: Any) -> None:
        assert self.service is not None
        station_id = registration.station_id
        self.refused.pop(station_id, None)
        self.app.push_screen(RegistrationResultScreen(registration))
        try:
            self.upsert(await self.service.station_summary(station_id))
        except ServiceError:
            pass
