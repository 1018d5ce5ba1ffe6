"""Secondary screens of the console: station detail and the token form."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Sparkline, Static

from core.service import CsmsService, ServiceError, StationDetail, TransactionDetail


class StationDetailScreen(Screen[None]):
    """Everything known about one station: identity, connectors, configuration / device model,
    certificates, recent events and messages."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("r", "reload", "Reload", id="detail.reload"),
        Binding("i", "install_root", "Install root certificate", id="detail.install_root"),
        Binding("n", "renew", "Renew station certificate", id="detail.renew"),
    ]

    def __init__(self, service: CsmsService, station_id: str) -> None:
        super().__init__()
        self.service, self.station_id = service, station_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("loading…", id="identity")
            yield Label("Connectors / EVSEs")
            yield DataTable(id="connectors", cursor_type="row")
            yield Label("Configuration (1.6 keys, pending pushes) and device model (2.0.1)")
            yield DataTable(id="config", cursor_type="row")
            yield Label("Certificates")
            yield DataTable(id="certificates", cursor_type="row")
            yield Label("Recent events")
            yield DataTable(id="events", cursor_type="row")
            yield Label("Recent messages")
            yield DataTable(id="messages", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#connectors", DataTable).add_columns(
            "EVSE", "Connector", "Status", "Error", "Updated"
        )
        self.query_one("#config", DataTable).add_columns("Key / variable", "Value", "Status")
        self.query_one("#certificates", DataTable).add_columns("Id", "Type", "Status")
        self.query_one("#events", DataTable).add_columns("Time", "Event", "Detail")
        self.query_one("#messages", DataTable).add_columns("Time", "Dir", "Type", "Action", "Id")
        self.action_reload()

    @work(exclusive=True)
    async def action_reload(self) -> None:
        try:
            detail = await self.service.station_detail(self.station_id)
        except ServiceError as exc:
            self.query_one("#identity", Static).update(f"{self.station_id}: {exc.message}")
            return
        self.show(detail)

    def action_install_root(self) -> None:
        def chosen(form: tuple[str, str] | None) -> None:
            if form is not None:
                self.certificate_command("install", *form)

        self.app.push_screen(InstallCertificateScreen(), chosen)

    def action_renew(self) -> None:
        self.certificate_command("renew")

    @work(group="certificates")
    async def certificate_command(self, command: str, path: str = "", kind: str = "") -> None:
        try:
            if command == "install":
                try:
                    pem = await asyncio.to_thread(read_pem, path)
                except OSError as exc:
                    self.notify(f"cannot read {path}: {exc.strerror}", severity="error")
                    return
                await self.service.install_root_certificate(self.station_id, pem, kind)
                self.notify(f"{kind} root certificate queued for {self.station_id}")
            else:
                await self.service.set_trigger(self.station_id, "SignChargingStationCertificate")
                self.notify(f"certificate renewal requested from {self.station_id}")
        except ServiceError as exc:
            self.notify(f"{exc.field + ': ' if exc.field else ''}{exc.message}", severity="error")
            return
        self.action_reload()

    def show(self, d: StationDetail) -> None:
        state = "online" if d.connected else "offline"
        self.query_one("#identity", Static).update(
            f"[b]{d.station_id}[/b]  {state}  OCPP {d.ocpp_version or '?'}  ·  {d.vendor} {d.model}"
            f"  ·  serial {d.serial_number or '-'}  ·  firmware {d.firmware_version or '-'}\n"
            f"security profile {d.security_profile}  ·  boot {d.boot_status or '-'} ({d.boot_reason or '-'})"
            f"  ·  last seen {d.last_seen_at or '-'}  ·  pending boot {'yes' if d.pending_boot else 'no'}"
        )
        fill(
            self.query_one("#connectors", DataTable),
            [
                (c.evse_id, c.connector_id, c.status, c.error_code, c.updated_at)
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
        fill(self.query_one("#config", DataTable), config)
        fill(
            self.query_one("#certificates", DataTable),
            [(c.certificate_id[:16], c.certificate_type, c.status) for c in d.certificates],
        )
        fill(
            self.query_one("#events", DataTable),
            [(f"{e.at:%H:%M:%S}", e.event_type, str(e.detail)[:80]) for e in d.recent_events],
        )
        fill(
            self.query_one("#messages", DataTable),
            [
                (
                    f"{m.at:%H:%M:%S}",
                    m.direction,
                    {2: "CALL", 3: "RESULT", 4: "ERROR"}.get(m.message_type, "?"),
                    m.action,
                    m.message_id,
                )
                for m in d.recent_messages
            ],
        )


def read_pem(path: str) -> str:
    return Path(path).expanduser().read_text(encoding="utf-8")


def fill(table: DataTable[Any], rows: list[tuple[Any, ...]]) -> None:
    """Small, bounded tables on a detail screen: replaced whole on reload."""
    table.clear()
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row))


class InstallCertificateScreen(ModalScreen[tuple[str, str] | None]):
    """Install a root certificate from a PEM file: path and type (CSMS, V2G, MO, MF)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="install_cert.cancel")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Install a root certificate (pushed by sync)")
            yield Input(placeholder="PEM file path", id="path")
            yield Input(value="CSMS", placeholder="type: CSMS, V2G, MO or MF", id="kind")
            yield Label("", id="error", classes="error")

    @on(Input.Submitted)
    def submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        kind = self.query_one("#kind", Input).value.strip().upper()
        error = self.query_one("#error", Label)
        if not path:
            error.update("the path of a PEM file is required")
            return
        if kind not in ("CSMS", "V2G", "MO", "MF"):
            error.update("the type must be CSMS, V2G, MO or MF")
            return
        self.dismiss((path, kind))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TokenFormScreen(ModalScreen[dict[str, Any] | None]):
    """Add a token: uid, contract id (eMAID, checked by the service), type."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="token_form.cancel")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Add a token")
            yield Input(placeholder="uid (RFID, up to 36 characters)", id="uid")
            yield Input(placeholder="contract id / eMAID, e.g. GBTWK012345678", id="contract")
            yield Input(placeholder="group id (optional)", id="group")
            yield Label("", id="error", classes="error")
            with Horizontal():
                yield Button("Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#add")
    @on(Input.Submitted)
    def submit(self) -> None:
        uid = self.query_one("#uid", Input).value.strip()
        contract = self.query_one("#contract", Input).value.strip()
        group = self.query_one("#group", Input).value.strip()
        error = self.query_one("#error", Label)
        if not uid or len(uid) > 36:
            error.update("the uid must be 1 to 36 characters")
            return
        if not contract:
            error.update("a contract id is required")
            return
        self.dismiss({"uid": uid, "contract_id": contract, "group_id": group or None})


ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"


def series(detail: TransactionDetail, measurand: str) -> list[float]:
    """One value per meter reading (phase totals only), scaled to W / Wh."""
    out = []
    for mv in detail.meter_values:
        for sv in mv.sampled_values:
            if (sv.measurand or ENERGY) == measurand and not sv.phase:
                out.append(sv.value * (1000.0 if (sv.unit or "").startswith("k") else 1.0))
                break
    return out


class TransactionDetailScreen(Screen[None]):
    """A transaction: energy delivered, duration, cost, token, stop reason, and its meter values
    as charts (energy register and power over time) and a table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="tx_detail.back")
    ]

    def __init__(self, service: Any, station_id: str, transaction_id: str) -> None:
        super().__init__()
        self.service, self.station_id, self.transaction_id = service, station_id, transaction_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("loading…", id="tx-summary")
            yield Label("Energy (Wh)")
            yield Sparkline([], id="energy")
            yield Label("Power (W)")
            yield Sparkline([], id="power")
            yield DataTable(id="tx-values", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tx-values", DataTable).add_columns(
            "Time", "Measurand", "Value", "Unit", "Phase", "Context"
        )
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        try:
            d: TransactionDetail = await self.service.transaction_detail(
                self.transaction_id, self.station_id
            )
        except ServiceError as exc:
            self.query_one("#tx-summary", Static).update(exc.message)
            return
        end = d.ended_at or (d.meter_values[-1].timestamp if d.meter_values else None)
        duration = str(end - d.started_at).split(".")[0] if end and d.started_at else "-"
        energy = f"{d.energy_wh / 1000:.3f} kWh" if d.energy_wh is not None else "-"
        cost = f"{d.cost:.2f} {d.currency}" if d.cost is not None else "-"
        self.query_one("#tx-summary", Static).update(
            f"[b]{d.station_id} / {d.transaction_id}[/b]  {'charging' if d.active else 'ended'}  ·  token {d.id_token or '-'}"
            f"  ·  EVSE {d.evse_id}\nenergy {energy}  ·  duration {duration}  ·  cost {cost}"
            f"  ·  stop reason {d.stopped_reason or '-'}  ·  seqNo gaps {d.seq_no_gaps or 'none'}"
        )
        self.query_one("#energy", Sparkline).data = series(d, ENERGY)
        self.query_one("#power", Sparkline).data = series(d, POWER)
        rows = [
            (
                f"{mv.timestamp:%H:%M:%S}",
                sv.measurand or ENERGY,
                sv.value,
                sv.unit,
                sv.phase,
                sv.context,
            )
            for mv in d.meter_values
            for sv in mv.sampled_values
        ]
        fill(self.query_one("#tx-values", DataTable), rows)
