"""A transaction's detail: its meter values as charts and a table, live while it runs; an
active one the station will never end can be closed here, with a reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Label, Static

from core.application.errors import ServiceError
from core.application.views import TransactionDetail
from core.events import (
    Event,
    Resync,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from csms_tui.charts import Point, SeriesChart
from csms_tui.close_transaction import CloseTransactionScreen
from csms_tui.inert import inert, plain
from csms_tui.key_footer import KeyFooter
from csms_tui.screens import fill
from csms_tui.timefmt import clock, moment

ENERGY = "Energy.Active.Import.Register"


POWER = "Power.Active.Import"


# The events that change what a transaction's detail shows.
TX_EVENTS = (TransactionStarted, TransactionUpdated, TransactionEnded)


LIVE_RELOAD = 0.5  # seconds: a running transaction's detail is read again at most this often


def utc_now() -> datetime:
    """Now, for a running transaction's duration (a test fixes it)."""
    return datetime.now(UTC)


def series(detail: TransactionDetail, measurand: str) -> list[Point]:
    """One (time, value) per meter reading (phase totals only), scaled to W / Wh."""
    out: list[Point] = []
    for mv in detail.meter_values:
        for sv in mv.sampled_values:
            if (sv.measurand or ENERGY) == measurand and not sv.phase:
                scale = 1000.0 if (sv.unit or "").startswith("k") else 1.0
                out.append((mv.timestamp, sv.value * scale))
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
        Binding("escape", "app.pop_screen", "Back", id="tx_detail.back"),
        Binding("x", "close_transaction", "Close…", id="tx_detail.close"),
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
            yield SeriesChart("Energy register", "kWh", 1000.0, id="energy")
            yield SeriesChart("Power", "kW", 1000.0, id="power")
            yield Label("Meter values")
            yield Static("", id="tx-empty")
            yield DataTable(id="tx-values", cursor_type="row")
        yield KeyFooter()

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
        self.refresh_bindings()  # Close is offered while it runs only
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
            closed = f"  closed by an operator: {d.close_reason}" if d.close_reason else ""
            state.update(plain(f"■ ENDED {moment(d.ended_at)}{reason}{closed}: final figures"))
            if self._tick is not None:
                self._tick.stop()
                self._tick = None
        self._show_summary()
        self.query_one("#energy", SeriesChart).show(series(d, ENERGY))
        self.query_one("#power", SeriesChart).show(series(d, POWER))
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Closing is for a transaction that is still open: the key is not offered otherwise.
        if action == "close_transaction":
            return self.detail is not None and self.detail.active
        return True

    def action_close_transaction(self) -> None:
        d = self.detail
        if d is None or not d.active:
            return

        def closed(done: bool | None) -> None:
            if done:
                self.notify(f"transaction {d.transaction_id} at {d.station_id} closed")
                self.load()

        self.app.push_screen(
            CloseTransactionScreen(self.service, d.station_id, d.transaction_id), closed
        )
