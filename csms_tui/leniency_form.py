"""Grant or revoke a station's leniencies from the console: the names as a comma-separated
list and the subprotocol assumed when its handshake offers none. The service checks them; a
refusal is shown under the form, which keeps what was typed."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from core.application.errors import ServiceError
from core.leniency import REASONS, Leniency
from csms_tui.actions import BoundedInput
from csms_tui.inert import markup_safe

_GRANTABLE = [n for n in Leniency if n is not Leniency.NO_SUBPROTOCOL]


class LeniencyFormScreen(ModalScreen[bool]):
    """Dismissed with True once the service stored the grant, False when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="leniency.cancel")
    ]

    def __init__(self, service: Any, station_id: str, grant: list[str], version: str) -> None:
        super().__init__()
        self.service, self.station_id = service, station_id
        self._grant, self._version = grant, version

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                f"Leniency for {markup_safe(self.station_id)}: strict unless granted; "
                "the configuration's grants stay"
            )
            for name in _GRANTABLE:
                yield Label(f"  {name}: {REASONS[name]}", classes="hint")
            yield BoundedInput(
                value=", ".join(self._grant),
                placeholder="granted, comma-separated (empty: none)",
                id="grant",
                max_length=200,
            )
            yield BoundedInput(
                value=self._version,
                placeholder="no subprotocol offered: taken as ocpp1.6 / ocpp2.0.1 (empty: refused)",
                id="version",
                max_length=16,
            )
            yield Label("", id="error", classes="error")

    @on(Input.Submitted)
    def submit(self) -> None:
        grant = [n.strip() for n in self.query_one("#grant", Input).value.split(",") if n.strip()]
        version = self.query_one("#version", Input).value.strip()
        self._store(grant, version)

    @work(exclusive=True)
    async def _store(self, grant: list[str], version: str) -> None:
        try:
            await self.service.set_station_leniency(self.station_id, grant, version)
        except ServiceError as exc:
            self.query_one("#error", Label).update(markup_safe(exc.detail))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
