"""The Transactions tab: charging sessions as the core reports them, updated in place."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult

from core.application.views import TransactionSummary
from core.events import Event
from csms_tui.line_table import ERROR, MUTED, KeyedTable
from csms_tui.panes.base import LivePane
from csms_tui.screens import TX_EVENTS, TransactionDetailScreen

# TX_EVENTS lives with the transaction detail (which follows them too); the Stations tab reads
# it from here.
__all__ = ["TX_EVENTS", "TransactionsPane"]

# (key, title, maximum width): the widths grow with the content up to the maximum.
COLUMNS = (
    ("station", "Station", 24),
    ("tx", "Transaction", 38),
    ("state", "State", 8),
    ("token", "Token", 24),
    ("evse", "EVSE", 4),
    ("energy", "Energy kWh", 10),
    ("cost", "Cost", 12),
    ("reason", "Stop reason", 20),
)


class TransactionsPane(LivePane[tuple[str, str], list[TransactionSummary]]):
    """Rows keyed ``station/transaction``."""

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="transactions-table")

    async def load(self) -> None:
        assert self.service is not None
        transactions = await self.service.list_transactions(limit=200)
        with self.app.batch_update():
            self.show(transactions)

    def apply(self, batch: Sequence[Event]) -> None:
        for e in batch:
            if isinstance(e, TX_EVENTS):
                self.mark((e.station_id, e.transaction_id))
        # An open transaction detail follows its transaction on the same events.
        for screen in self.app.screen_stack:
            if isinstance(screen, TransactionDetailScreen):
                screen.apply(batch)

    async def read(self, keys: set[tuple[str, str]]) -> list[TransactionSummary]:
        assert self.service is not None
        # One read per station, however many of its transactions changed.
        wanted: dict[str, set[str]] = {}
        for station_id, tx_id in keys:
            wanted.setdefault(station_id, set()).add(tx_id)
        txs: list[TransactionSummary] = []
        for station_id, ids in wanted.items():
            for tx in await self.service.list_transactions(station_id=station_id, limit=20):
                if tx.transaction_id in ids:
                    txs.append(tx)
        return txs

    def show(self, rows: list[TransactionSummary]) -> None:
        for tx in rows:
            self.upsert(tx)

    def upsert(self, t: TransactionSummary) -> None:
        table = self.query_one("#transactions-table", KeyedTable)
        row = {
            "station": t.station_id,
            "tx": t.transaction_id,
            "state": ("charging" if t.active else "ended")
            + ("" if t.authorized else f", refused ({t.auth_status})"),
            "token": t.id_token or "-",
            "evse": str(t.evse_id),
            "energy": f"{t.energy_wh / 1000:.3f}" if t.energy_wh is not None else "-",
            "cost": f"{t.cost:.2f} {t.currency}" if t.cost is not None else "-",
            "reason": t.stopped_reason or "-",
        }
        # A start the CSMS refused and the station ran anyway stands out: someone charged
        # without authorisation.
        style = ERROR if not t.authorized else ("" if t.active else MUTED)
        table.upsert(f"{t.station_id}/{t.transaction_id}", row, style)

    def set_filter(self, text: str) -> None:
        super().set_filter(text)
        self.query_one("#transactions-table", KeyedTable).set_filter(text)

    def open_detail(self) -> None:
        assert self.service is not None
        key = self.query_one("#transactions-table", KeyedTable).cursor_key
        if key is not None:
            station_id, _, tx_id = key.partition("/")
            self.app.push_screen(TransactionDetailScreen(self.service, station_id, tx_id))
