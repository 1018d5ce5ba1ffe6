"""The Transactions tab: charging sessions as the core reports them, updated in place;
filtered by station, token, state and date, and the filtered rows exported as CSV."""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from core.application.errors import ServiceError
from core.application.views import TransactionSummary
from core.events import Event
from csms_tui.inert import markup_safe, plain
from csms_tui.line_table import ERROR, MUTED, KeyedTable
from csms_tui.panes.base import LivePane
from csms_tui.panes.filters import FieldFilter, parse_filter
from csms_tui.transaction_screen import TX_EVENTS, TransactionDetailScreen

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


LOADED = 200  # transactions read at start and on a resync, the newest
FILTERED = 1000  # read for a filter with a state or a date: the store narrows them first
FIELDS = ("station", "token", "state", "since")
FILTER_HINT = (
    "Filter transactions: station:ID token:UID state:active|ended|refused "
    "since:2026-03-14 (or 2026-03-14T09:30, UTC; or 2h, 7d ago); other words anywhere; "
    "empty = all"
)
EMPTY = "No transactions yet: they show here as stations start charging."
# Spreadsheets run a cell that starts like a formula: a token id or stop reason is what a
# station sent, so such text is written with a leading apostrophe (OWASP's CSV injection advice).
FORMULA = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "station",
    "transaction",
    "state",
    "authorized",
    "authStatus",
    "token",
    "tokenType",
    "evse",
    "connector",
    "startedAt",
    "endedAt",
    "meterStartWh",
    "meterStopWh",
    "energyWh",
    "cost",
    "currency",
    "stoppedReason",
)


def parse_since(text: str, now: datetime) -> datetime | None:
    """``2026-03-14``, ``2026-03-14T09:30`` (UTC) or ``2h``/``7d``/``30m`` ago; None if neither."""
    relative = re.fullmatch(r"(\d+)([mhd])", text)
    if relative:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[relative.group(2)]
        return now - timedelta(**{unit: int(relative.group(1))})
    try:
        at = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def state_words(t: TransactionSummary) -> str:
    """What ``state:`` matches: active (charging) or ended, and refused for a start the CSMS
    refused."""
    return ("active charging" if t.active else "ended") + ("" if t.authorized else " refused")


def _csv_text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def csv_row(t: TransactionSummary) -> list[object]:
    return [
        _csv_text(t.station_id),
        _csv_text(t.transaction_id),
        "active" if t.active else "ended",
        t.authorized,
        _csv_text(t.auth_status),
        _csv_text(t.id_token),
        _csv_text(t.token_type),
        t.evse_id,
        t.connector_id,
        t.started_at.isoformat() if t.started_at else "",
        t.ended_at.isoformat() if t.ended_at else "",
        "" if t.meter_start_wh is None else t.meter_start_wh,
        "" if t.meter_stop_wh is None else t.meter_stop_wh,
        "" if t.energy_wh is None else t.energy_wh,
        "" if t.cost is None else t.cost,
        _csv_text(t.currency),
        _csv_text(t.stopped_reason),
    ]


class TransactionsPane(LivePane[tuple[str, str], list[TransactionSummary]]):
    """Rows keyed ``station/transaction``, newest first as read; every transaction read is
    kept (``txs``), those the filter passes are shown."""

    filter_hint = FILTER_HINT

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.txs: dict[str, TransactionSummary] = {}
        self._filter = FieldFilter()
        self._since: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="transactions-summary")
        yield KeyedTable(COLUMNS, id="transactions-table")

    # --- reading -----------------------------------------------------------------------------

    def _query(self) -> dict[str, Any]:
        """What the store can narrow for the filter: its state and its date."""
        state = self._filter.fields.get("state", "")
        active = True if state in ("active", "charging") else False if state == "ended" else None
        query: dict[str, Any] = {"limit": LOADED}
        if active is not None or self._since is not None:
            query = {"active": active, "since": self._since, "limit": FILTERED}
        return query

    async def load(self) -> None:
        assert self.service is not None
        transactions = await self.service.list_transactions(**self._query())
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
            self.txs[f"{tx.station_id}/{tx.transaction_id}"] = tx
            self.upsert(tx)
        self._summarise()

    # --- showing -------------------------------------------------------------------------------

    def matches(self, t: TransactionSummary) -> bool:
        if self._since is not None and (t.ended_at or t.started_at or self._since) < self._since:
            return False
        values = {"station": t.station_id, "token": t.id_token, "state": state_words(t)}
        return self._filter.matches(values, self._cells(t).values())

    def _cells(self, t: TransactionSummary) -> dict[str, str]:
        return {
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

    def upsert(self, t: TransactionSummary) -> None:
        table = self.query_one("#transactions-table", KeyedTable)
        key = f"{t.station_id}/{t.transaction_id}"
        if not self.matches(t):
            if key in table.rows:
                table.remove_row(key)
            return
        # A start the CSMS refused and the station ran anyway stands out: someone charged
        # without authorisation.
        style = ERROR if not t.authorized else ("" if t.active else MUTED)
        table.upsert(key, self._cells(t), style)

    def _summarise(self) -> None:
        table = self.query_one("#transactions-table", KeyedTable)
        summary = self.query_one("#transactions-summary", Static)
        if not self.txs:
            summary.update(EMPTY)
            return
        charging = sum(1 for t in self.txs.values() if t.active)
        parts = [f"{len(self.txs)} transactions, {charging} charging"]
        if self.filter_text:
            parts.append(f"filter {self.filter_text}: {table.row_count} shown")
            if not table.row_count:
                parts.append("/ changes it")
        parts.append("e: CSV of these")
        summary.update(plain("  ·  ".join(parts)))

    # --- keys --------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        parsed = parse_filter(text, FIELDS)
        since: datetime | None = None
        if "since" in parsed.fields:
            since = parse_since(parsed.fields["since"], datetime.now(UTC))
            if since is None:
                self.notify(
                    f"since:{markup_safe(parsed.fields['since'])} is not a date "
                    "(2026-03-14, 2026-03-14T09:30) or a time ago (2h, 7d)",
                    severity="error",
                )
                return
        super().set_filter(text)
        self._filter = FieldFilter(
            {k: v for k, v in parsed.fields.items() if k != "since"}, parsed.words
        )
        self._since = since
        self._refill()
        if self.service is not None and (since is not None or "state" in parsed.fields):
            self.widen()

    @work(exclusive=True, group="transactions-filter")
    async def widen(self) -> None:
        """Read what the filter's state and date select, beyond the newest transactions read
        so far (an old session of a station)."""
        try:
            await self.load()
        except ServiceError as exc:
            self.notify(f"transactions: {markup_safe(exc.message)}", severity="error")

    def _refill(self) -> None:
        """The rows the filter passes, anew (a new filter: never on an update)."""
        table = self.query_one("#transactions-table", KeyedTable)
        with self.app.batch_update():
            table.clear()
            for t in self.txs.values():
                self.upsert(t)
            self._summarise()

    def open_detail(self) -> None:
        assert self.service is not None
        key = self.query_one("#transactions-table", KeyedTable).cursor_key
        if key is not None:
            station_id, _, tx_id = key.partition("/")
            self.app.push_screen(TransactionDetailScreen(self.service, station_id, tx_id))

    def export(self) -> None:
        """The rows shown (the filter's), as CSV, one transaction per line."""
        table = self.query_one("#transactions-table", KeyedTable)
        rows = [csv_row(self.txs[key]) for key in table.rows if self.matches(self.txs[key])]
        path = Path.cwd() / f"transactions-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
        self.export_rows(path, rows)

    @work(group="export")
    async def export_rows(self, path: Path, rows: list[list[object]]) -> None:
        def write() -> None:
            with path.open("w", encoding="utf-8", newline="") as f:
                out = csv.writer(f)
                out.writerow(CSV_COLUMNS)
                out.writerows(rows)

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            self.notify(f"export failed: {markup_safe(exc.strerror)}", severity="error")
            return
        self.notify(f"exported {len(rows)} transactions to {markup_safe(path)}")
