"""The form that closes a transaction its station will never end.

It says what closing does before anything happens — the transaction ends now with the energy
known so far, and a stop the station sends later still counts — and it needs a reason, which
is kept with the transaction. The form sends the close itself and stays open when the core
refuses it (ended meanwhile, daemon gone, …): the reason typed is kept and the refusal shown.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from core import limits
from core.application.errors import ServiceError
from csms_tui.actions import BoundedInput
from csms_tui.inert import inert, plain
from csms_tui.resilience import KeepsRunning

EXPLANATION = (
    "Close a transaction the station will never end (a station replaced or reset, a stop "
    "lost for good). It ends now, stopped reason Other, with the energy known so far, and "
    "is priced. If the station sends its stop after all, that replaces this close."
)


class CloseTransactionScreen(KeepsRunning, ModalScreen[bool]):
    """Dismissed with True once the core closed the transaction, False when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="close_tx.cancel")
    ]

    def __init__(self, service: Any, station_id: str, transaction_id: str) -> None:
        super().__init__()
        self.service, self.station_id, self.transaction_id = service, station_id, transaction_id
        self._sending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                plain(f"Close transaction {inert(self.transaction_id)} at {inert(self.station_id)}")
            )
            yield Static(EXPLANATION, classes="help")
            yield BoundedInput(
                placeholder=f"reason (required, up to {limits.CLOSE_REASON.hi} characters)",
                id="reason",
                max_length=limits.CLOSE_REASON.hi,
            )
            yield Static("", id="error", classes="error")
            with Horizontal():
                yield Button("Close transaction", variant="error", id="close")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#close")
    @on(Input.Submitted)
    def submit(self) -> None:
        if self._sending:
            return  # one close on its way is enough
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#error", Static).update("reason: say why it is closed")
            return
        self.query_one("#error", Static).update("")
        self._sending = True
        self._send(reason)

    @work(group="close-transaction")
    async def _send(self, reason: str) -> None:
        try:
            await self.service.close_transaction(
                self.station_id, self.transaction_id, reason, origin="console"
            )
        except ServiceError as exc:
            self.query_one("#error", Static).update(plain(exc.detail))
            return
        finally:
            self._sending = False
        self.dismiss(True)
