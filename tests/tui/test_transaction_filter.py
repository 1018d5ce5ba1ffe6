"""The Transactions tab's filter and export, on the real core with real `ocpp` package
stations: by station, token, state and date (the store reading what a state or date selects),
and the rows shown exported as CSV — a station's text written so no spreadsheet runs it."""

from __future__ import annotations

import asyncio
import contextlib
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call as call16
from textual.widgets import Input, Static

from core.application.views import TransactionSummary
from core.runtime import Csms
from csms_tui.app import CsmsConsole
from csms_tui.line_table import KeyedTable
from csms_tui.panes.filters import HintedFilterScreen
from csms_tui.panes.transactions import TransactionsPane, parse_since
from tests.e2e.conftest import add_token, basic_header, register
from tests.fixtures.running import service_of
from tests.tui.test_actions import notes
from tests.tui.test_console import core_config, wait_until
from tests.tui.test_snapshots import FixedService

pytestmark = pytest.mark.tui


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def charge(csms: Csms, station_id: str, sessions: list[tuple[str, bool]]) -> list[int]:
    """Each (token, ended) a 1.6 transaction at ``station_id``; their ids."""
    async with websockets.connect(
        f"ws://127.0.0.1:{csms.ports['ws']}/ws/{station_id}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers={"Authorization": basic_header(station_id)},
    ) as ws:
        cp = Cp16(station_id, ws)
        task = asyncio.create_task(cp.start())
        await cp.call(call16.BootNotification(charge_point_vendor="Acme", charge_point_model="X"))
        ids = []
        for i, (token, ended) in enumerate(sessions):
            start = await cp.call(
                call16.StartTransaction(
                    connector_id=i + 1,
                    id_tag=token,
                    meter_start=1000,
                    timestamp=iso(datetime.now(UTC)),
                )
            )
            ids.append(start.transaction_id)
            if ended:
                await cp.call(
                    call16.StopTransaction(
                        meter_stop=3500,
                        timestamp=iso(datetime.now(UTC)),
                        transaction_id=start.transaction_id,
                        reason="EVDisconnected",
                    )
                )
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await task
        return ids


def shown_keys(app: CsmsConsole) -> set[str]:
    return set(app.query_one("#transactions-table", KeyedTable).rows)


async def test_transactions_filter_by_station_token_state_and_date_and_export_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with Csms(core_config(tmp_path)) as csms:
        for station in ("CS-NORTH", "CS-SOUTH"):
            await register(csms, station)
        for token in ("TAG-ANNA", "TAG-BEN", "=HYPERLINK(1)"):
            await add_token(csms, token)
        north = await charge(csms, "CS-NORTH", [("TAG-ANNA", True), ("TAG-BEN", False)])
        south = await charge(csms, "CS-SOUTH", [("=HYPERLINK(1)", True)])
        everyone = {f"CS-NORTH/{n}" for n in north} | {f"CS-SOUTH/{south[0]}"}
        app = CsmsConsole(service=service_of(csms))
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("3")
            await wait_until(pilot, lambda: shown_keys(app) == everyone)
            pane = app.query_one(TransactionsPane)

            async def filtered(text: str) -> set[str]:
                await pilot.press("slash")
                await wait_until(pilot, lambda: isinstance(app.screen, HintedFilterScreen))
                app.screen.query_one(Input).value = text
                await pilot.press("enter")
                await pilot.pause()
                return shown_keys(app)

            assert await filtered("station:north") == {f"CS-NORTH/{n}" for n in north}
            assert await filtered("token:ben") == {f"CS-NORTH/{north[1]}"}
            assert await filtered("state:active") == {f"CS-NORTH/{north[1]}"}
            assert await filtered("state:ended station:south") == {f"CS-SOUTH/{south[0]}"}
            assert await filtered("since:1d") == everyone
            tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
            assert await filtered(f"since:{tomorrow}") == set()
            summary = str(app.query_one("#transactions-summary", Static).render())
            assert f"filter since:{tomorrow}: 0 shown" in summary
            # A date that is none: said, and the filter in force stays.
            assert await filtered("since:yesterday") == set()
            assert pane.filter_text == f"since:{tomorrow}"

            # Export what the filter shows.
            await filtered("state:ended")
            await pilot.press("e")
            await wait_until(pilot, lambda: "exported 2 transactions to" in notes(app))
            [path] = list(tmp_path.glob("transactions-*.csv"))
            with path.open(encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
            assert {(r["station"], r["transaction"]) for r in rows} == {
                ("CS-NORTH", str(north[0])),
                ("CS-SOUTH", str(south[0])),
            }
            anna = next(r for r in rows if r["station"] == "CS-NORTH")
            assert (anna["state"], anna["token"], anna["energyWh"], anna["cost"]) == (
                "ended",
                "TAG-ANNA",
                "2500.0",
                "1.375",
            )
            assert anna["startedAt"].endswith("+00:00")
            # The station's text that looks like a formula is written as text.
            assert next(r for r in rows if r["station"] == "CS-SOUTH")["token"] == "'=HYPERLINK(1)"


class Recording(FixedService):
    def __init__(self) -> None:
        self.queries: list[dict[str, Any]] = []

    async def list_transactions(
        self, station_id: str | None = None, limit: int = 50, **kw: Any
    ) -> list[TransactionSummary]:
        self.queries.append({"station_id": station_id, "limit": limit, **kw})
        return await super().list_transactions(station_id=station_id, limit=limit)


async def test_a_state_or_date_filter_reads_what_it_selects_from_the_store() -> None:
    """The tab holds the newest transactions; an ended session of last month is found by asking
    the store for what the filter's state and date select."""
    service = Recording()
    app = CsmsConsole(service=service)  # type: ignore[arg-type]
    async with app.run_test(size=(130, 30)) as pilot:
        for _ in range(5):
            await pilot.pause()
        assert service.queries == [{"station_id": None, "limit": 200}]
        app.query_one(TransactionsPane).set_filter("state:ended since:2026-02-01 token:04a2")
        await wait_until(pilot, lambda: len(service.queries) == 2)
        assert service.queries[1] == {
            "station_id": None,
            "limit": 1000,
            "active": False,
            "since": datetime(2026, 2, 1, tzinfo=UTC),
        }
        app.query_one(TransactionsPane).set_filter("token:04a2")  # words only: no new read
        await pilot.pause()
        assert len(service.queries) == 2


def test_since_is_a_utc_date_a_moment_or_a_time_ago() -> None:
    now = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    assert parse_since("2026-03-01", now) == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_since("2026-03-01t09:30", now) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert parse_since("2h", now) == datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    assert parse_since("soon", now) is None
